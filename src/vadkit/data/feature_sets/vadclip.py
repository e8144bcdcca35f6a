"""VadCLIP's CLIP ViT-B/16 releases (UCF-Crime, XD-Violence), read from their ``path,label`` CSV lists."""

from __future__ import annotations

from pathlib import Path

from vadkit.data.feature_sets.base import FeatureSet, FeatureVideo
from vadkit.data.feature_sets.labels import class_from_name, is_normal_class
from vadkit.data.feature_sets.list_rows import VideoRows, read_video_rows
from vadkit.data.feature_sets.per_crop import check_crop_indices, crop_files, default_keep_parts
from vadkit.data.lists import check_split_counts
from vadkit.errors import AnnotationError


def _class_name(dataset: str, video: VideoRows, list_file: Path) -> str:
    """The class of a CSV video from its label column, checked against its name for UCF-Crime and XD."""
    label = video.label or ""
    if not label:
        raise AnnotationError(list_file, f"line {video.lines[0]}: {video.name} has an empty label")
    if dataset == "xd_violence":
        tag = video.name.rpartition("_label_")[2]
        named = class_from_name(dataset, video.name)
        if label != tag or named is None:
            raise AnnotationError(
                list_file, f"line {video.lines[0]}: {video.name} is labelled {label!r}, its name says {tag!r}"
            )
        return named
    if dataset == "ucf_crime" and label != class_from_name(dataset, video.name):
        raise AnnotationError(
            list_file,
            f"line {video.lines[0]}: {video.name} is labelled {label!r}, its name says "
            f"{class_from_name(dataset, video.name)!r}",
        )
    return label


def read_vadclip_csv(
    csv_file: str | Path,
    feature_root: str | Path | None,
    *,
    dataset: str,
    split: str,
    check_counts: bool = True,
    keep_parts: int | None = None,
    dim: int | None = None,
) -> FeatureSet:
    """The videos of a VadCLIP CSV list: one ``(T, 512)`` CLIP file per crop, ``<video>__<k>.npy``.

    Reads ``csv_file`` only (``ucf_CLIP_rgb.csv``, ``ucf_CLIP_rgbtest.csv``, ``xd_CLIP_rgb.csv``,
    ``xd_CLIP_rgbtest.csv``): an optional ``path,label`` header, then ``<path>,<label>`` rows, crops of a
    video consecutive (10 per training video; one per test video, ``__5`` for UCF-Crime, ``__0`` for XD).
    Every video must list the same crops as the first one.

    Labels come from the label column: ``Normal`` (UCF-Crime) and ``A`` (XD-Violence) are normal, any other
    class abnormal. ``class_name`` is the UCF-Crime class as written, the XD-Violence tag without its ``0``
    padding (``B2-0-0`` -> ``"B2"``; ``"A"`` for normal videos), the label as written for other datasets.
    For UCF-Crime and XD-Violence the label must agree with the video's name.

    Args:
        csv_file: the CSV list.
        feature_root: the folder holding the release here (``UCFClipFeatures/``); ``None`` keeps the listed
            paths.
        dataset: ``ucf_crime``, ``xd_violence`` or another (labels from the column only).
        split: ``train`` or ``test`` (known counts checked).
        check_counts: check the normal/abnormal counts of the public split; off for custom subsets.
        keep_parts: trailing path parts kept under ``feature_root``; ``None``: 2 for UCF-Crime (class
            folders ``Abuse/``, ``Training_Normal_Videos_Anomaly/``), 1 for the others.
        dim: the feature size (512); ``None``: the first video's.

    Raises:
        AnnotationError: naming the CSV and line: malformed rows, a label disagreeing with the name, a video
            with other crops than the first, counts differing from the public split.
    """
    path = Path(csv_file)
    keep = default_keep_parts(dataset, keep_parts)
    rows = read_video_rows(path)
    if rows[0].label is None:
        raise AnnotationError(path, "not a CSV list: expected a 'path,label' header or a .csv name")
    expected: tuple[int, ...] | None = None
    videos = []
    for video in rows:
        indices, files = crop_files(video, feature_root, keep, path)
        if expected is None:
            expected = indices
        check_crop_indices(video, indices, expected, path, f"the crops of {rows[0].name}")
        class_name = _class_name(dataset, video, path)
        videos.append(FeatureVideo(video.name, 0 if is_normal_class(class_name) else 1, class_name, files))
    if check_counts:
        abnormal = sum(video.label for video in videos)
        check_split_counts(path, dataset, split, abnormal, len(videos) - abnormal)
    assert expected is not None
    return FeatureSet(
        videos, dataset=dataset, split=split, source=f"VadCLIP CSV {path}", crops=len(expected), dim=dim
    )
