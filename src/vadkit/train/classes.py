"""Classes for class-aware methods: each dataset's class list, the class index of each training video, the
class-score files of a run and their class-wise temporal detection metric (``map@iou``).

**Class lists** (:class:`ClassList`, normal first; :meth:`~vadkit.train.datasets.DatasetSpec.class_list`):
the synthetic benchmark's ``metadata.json`` ``classes`` (``Normal``, then its anomaly classes); UCF-Crime's
:data:`~vadkit.data.UCF_CLASSES`; XD-Violence's codes ``A B1 B2 B4 B5 B6 G`` named by
:data:`~vadkit.data.XD_CLASS_NAMES` (``normal``, ``fighting``, ...). ShanghaiTech has none. A list has
``codes`` (how the annotations and the feature lists name the classes) and ``names`` (what a class-aware
method is given, e.g. as text prompts); they differ for XD-Violence only.

**Video classes.** A video's class is its :attr:`~vadkit.data.FeatureVideo.class_name` (from its name, class
folder or label column); an XD-Violence video with several tags (``G-B2-B6``) counts as its first.

**Detection.** A class-aware method writes, per test video, its class scores ``(T, C)`` (one row per
snippet, column ``k`` the method's class ``k``, 0 = normal) as ``<video>.npy`` in float32. Column ``k``
stands for the dataset's class ``k`` when the method has as many classes as the dataset (the default, the
dataset's own list; a user's list of that length renames the dataset's classes in their order).
:func:`with_class_detection` then adds ``map@iou`` (:func:`~vadkit.eval.map_at_iou`, correct mode, IoU 0.1
... 0.5 and their mean, each score row repeated over ``snippet_length`` frames) over every test video, as
the metric's definition and VadCLIP's test scripts pass them (predictions in videos without an event of
their class are false positives), with the events of the test ground truth
(:func:`~vadkit.eval.events_from_ground_truth`). Where that cannot be
computed (no class list, a class count that differs, events without classes such as XD-Violence's binary
``annotations.txt``) the metrics are NaN (undefined) and the report says why.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vadkit.data.feature_sets.labels import is_normal_class
from vadkit.errors import ValidationError
from vadkit.eval import DEFAULT_IOU_THRESHOLDS, events_from_ground_truth, map_at_iou
from vadkit.train.source import FeatureSetLike, describe
from vadkit.types import EvalReport, GroundTruth, save_npy

MAP_METRIC_NAMES: tuple[str, ...] = (*(f"map@iou{t:g}" for t in DEFAULT_IOU_THRESHOLDS), "map@iou_mean")
"""The class-wise detection metrics of class-aware methods (:meth:`~vadkit.eval.DetectionMAP.metrics`)."""

SETTINGS_KEY = "class_detection"
"""The entry of a report's settings that records how ``map@iou`` was computed (or why not)."""


@dataclass(frozen=True)
class ClassList:
    """A dataset's classes, normal first (module docstring).

    Attributes:
        codes: the classes as the annotations and feature lists name them (``"B1"``, ``"Abuse"``).
        names: the names class-aware methods are given, in the same order (``"fighting"``, ``"Abuse"``).

    Raises:
        ValidationError: fewer than two classes, repeated codes, lists of different lengths, or a first class
            that is not normal (:func:`~vadkit.data.is_normal_class`).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        codes, names = tuple(str(c) for c in self.codes), tuple(str(n) for n in self.names)
        if len(codes) < 2 or len(set(codes)) != len(codes) or len(names) != len(codes):
            raise ValidationError(
                f"ClassList: need two or more distinct codes with one name each, got {codes} named {names}"
            )
        if not is_normal_class(codes[0]) or any(is_normal_class(code) for code in codes[1:]):
            raise ValidationError(f"ClassList: the normal class comes first and only there, got {codes}")
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "names", names)

    def index(self, class_name: str) -> int:
        """The index of a video's class (the first code of a ``-``-joined XD-Violence tag).

        Raises:
            ValidationError: a class that is not in the list.
        """
        for candidate in (class_name, class_name.split("-")[0]):
            if candidate in self.codes:
                return self.codes.index(candidate)
        raise ValidationError(f"class {class_name!r} is not one of {', '.join(self.codes)}")


def video_class_indices(feature_set: FeatureSetLike, classes: ClassList) -> dict[str, int]:
    """``{video: class index}`` of every video of ``feature_set`` (what the trainer's batches carry).

    Raises:
        ValidationError: a video without a class, with a class outside ``classes``, or whose class
            contradicts its label (a normal class for an abnormal video or the reverse); all named.
    """
    indices, problems = {}, []
    for video in feature_set:
        if video.class_name is None:
            problems.append(f"{video.name} has no class")
            continue
        try:
            index = classes.index(video.class_name)
        except ValidationError as error:
            problems.append(f"{video.name}: {error}")
            continue
        if (index == 0) != (video.label == 0):
            problems.append(f"{video.name} is labelled {video.label} but its class is {video.class_name!r}")
        indices[video.name] = index
    if problems:
        shown = "; ".join(problems[:5]) + (f"; ... ({len(problems)} in all)" if len(problems) > 5 else "")
        raise ValidationError(
            f"{describe(feature_set)}: class-aware training needs each video's class: {shown}"
        )
    return indices


@dataclass(frozen=True)
class ClassColumns:
    """What the class-score columns of a run are: the dataset's class codes, or why ``map@iou`` cannot be
    computed (module docstring)."""

    codes: tuple[str, ...] | None
    reason: str | None = None


def class_columns(
    method_classes: Sequence[str], dataset: ClassList | None, dataset_name: str
) -> ClassColumns:
    """The dataset class of each of the method's class-score columns (module docstring, **Detection**)."""
    if dataset is None:
        return ClassColumns(None, f"dataset {dataset_name} has no class list")
    if len(method_classes) != len(dataset.codes):
        return ClassColumns(
            None,
            f"the method's {len(method_classes)} classes ({', '.join(method_classes)}) do not correspond to "
            f"the {len(dataset.codes)} classes of {dataset_name} ({', '.join(dataset.codes)})",
        )
    return ClassColumns(dataset.codes)


def with_class_detection(
    report: EvalReport,
    class_scores: Mapping[str, np.ndarray],
    truth: Mapping[str, GroundTruth],
    columns: ClassColumns,
    snippet_length: int,
) -> EvalReport:
    """``report`` with the metrics :data:`MAP_METRIC_NAMES` of ``class_scores`` over the videos of ``truth``
    and their settings under :data:`SETTINGS_KEY` (module docstring, **Detection**).

    Raises:
        ValidationError: a test video without class scores, or scores that are not ``(T, len(codes))``.
    """
    settings: dict[str, Any] = {
        "videos": "every test video",
        "frames_per_score": snippet_length,
        "mode": "correct (vadkit.eval.map_at_iou, compat=None)",
    }
    reason = columns.reason
    if reason is None and any(event.label is None for gt in truth.values() for event in gt.events):
        reason = "the ground-truth events have no class (XD-Violence: use annotations_multiclasses.txt)"
    if reason is not None:
        metrics = {name: math.nan for name in MAP_METRIC_NAMES}
        settings["not_computed"] = reason
    else:
        assert columns.codes is not None
        result = map_at_iou(
            class_scores, events_from_ground_truth(truth), columns.codes, frames_per_score=snippet_length
        )
        metrics = result.metrics()
        settings.update({k: v for k, v in result.to_dict().items() if k != "metrics"})
    return dataclasses.replace(
        report, metrics={**report.metrics, **metrics}, settings={**report.settings, SETTINGS_KEY: settings}
    )


def write_class_scores(folder: Path, scores: Mapping[str, np.ndarray]) -> Path:
    """Save ``{video: (T, C) class scores}`` as float32 ``folder/<video>.npy`` (replacing earlier files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in scores.items():
        save_npy(folder / f"{name}.npy", np.asarray(values, dtype=np.float32))
    return folder


def load_class_scores(folder: Path) -> dict[str, np.ndarray]:
    """``{video: (T, C) class scores}`` of the ``<video>.npy`` files of ``folder`` (no pickles).

    Raises:
        ValidationError: no such folder or no files, an unreadable file, or an array that is not 2-D.
    """
    files = sorted(folder.glob("*.npy")) if folder.is_dir() else []
    if not files:
        raise ValidationError(f"{folder}: no <video>.npy class-score files")
    scores = {}
    for file in files:
        try:
            array = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ValidationError(f"{file}: cannot read class scores ({error})") from None
        if array.ndim != 2:
            raise ValidationError(f"{file}: class scores must be (T, C), got shape {array.shape}")
        scores[file.stem] = array
    return scores
