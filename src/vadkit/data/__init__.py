"""Benchmark adapters: list files, annotations and frame-level ground truth of the public VAD benchmarks.

One entry point builds the per-video ground truth of any supported dataset::

    from vadkit.data import build_ground_truth, concatenate_labels
    gts = build_ground_truth("shanghaitech", "test_frame_mask", list_file="shanghai-i3d-test-10crop.list")
    vector = concatenate_labels(gts)          # what RTFM evaluates against (gt-sh.npy)

Frame conventions (0/1-based, inclusive/exclusive end, length rules) are explicit options, see
:mod:`vadkit.data.conventions`; every :class:`~vadkit.types.GroundTruth` records in ``source`` which file and
conventions produced it.
"""

from __future__ import annotations

from vadkit.data.avenue import build_avenue_gt, read_avenue_masks
from vadkit.data.conventions import (
    CONVENTIONS,
    LENGTH_RULES,
    IntervalConvention,
    apply_length_rule,
    get_convention,
    to_events,
)
from vadkit.data.counts import CountTable, read_counts
from vadkit.data.descriptions import (
    DESCRIPTION_LAYOUTS,
    ReferenceEvent,
    VideoDescriptions,
    read_descriptions,
    read_synthetic_descriptions,
    read_uca_descriptions,
)
from vadkit.data.feature_sets import (
    FeatureSet,
    FeatureVideo,
    check_lengths,
    check_lengths_against_gt,
    read_per_crop_list,
    read_rtfm_list,
    read_sultani_c3d,
    read_vadclip_csv,
    read_vadkit_features,
    synthetic_feature_set,
)
from vadkit.data.framing import IntervalAnnotation, concatenate_labels
from vadkit.data.lists import (
    KNOWN_SPLIT_COUNTS,
    VideoSplit,
    check_split_counts,
    is_abnormal_name,
    read_lines,
    read_list_entries,
    read_split,
    read_video_list,
    video_name,
)
from vadkit.data.object_npy import load_object_npy
from vadkit.data.ped2 import PED2_TEST_FRAME_COUNTS, build_ped2_gt, read_ped2_annotation
from vadkit.data.registry import DATASETS, build_ground_truth
from vadkit.data.shanghaitech import build_shanghaitech_gt, load_frame_mask, read_frame_masks
from vadkit.data.synthetic import (
    SyntheticVideo,
    build_synthetic_gt,
    read_synthetic_split,
    read_track_file,
)
from vadkit.data.ucf_crime import UCF_CLASSES, build_ucf_crime_gt, read_ucf_crime_annotation
from vadkit.data.vadclip_gt import read_vadclip_segments
from vadkit.data.xd_violence import (
    XD_CLASS_NAMES,
    build_xd_violence_gt,
    read_xd_violence_annotation,
    xd_video_label,
)

__all__ = [
    "CONVENTIONS",
    "DATASETS",
    "DESCRIPTION_LAYOUTS",
    "KNOWN_SPLIT_COUNTS",
    "LENGTH_RULES",
    "PED2_TEST_FRAME_COUNTS",
    "UCF_CLASSES",
    "XD_CLASS_NAMES",
    "CountTable",
    "FeatureSet",
    "FeatureVideo",
    "IntervalAnnotation",
    "IntervalConvention",
    "ReferenceEvent",
    "SyntheticVideo",
    "VideoDescriptions",
    "VideoSplit",
    "apply_length_rule",
    "build_avenue_gt",
    "build_ground_truth",
    "build_ped2_gt",
    "build_shanghaitech_gt",
    "build_synthetic_gt",
    "build_ucf_crime_gt",
    "build_xd_violence_gt",
    "check_lengths",
    "check_lengths_against_gt",
    "check_split_counts",
    "concatenate_labels",
    "get_convention",
    "is_abnormal_name",
    "load_frame_mask",
    "load_object_npy",
    "read_avenue_masks",
    "read_counts",
    "read_descriptions",
    "read_frame_masks",
    "read_lines",
    "read_list_entries",
    "read_ped2_annotation",
    "read_per_crop_list",
    "read_rtfm_list",
    "read_split",
    "read_sultani_c3d",
    "read_synthetic_descriptions",
    "read_synthetic_split",
    "read_track_file",
    "read_uca_descriptions",
    "read_ucf_crime_annotation",
    "read_vadclip_csv",
    "read_vadclip_segments",
    "read_vadkit_features",
    "read_video_list",
    "read_xd_violence_annotation",
    "synthetic_feature_set",
    "to_events",
    "video_name",
    "xd_video_label",
]
