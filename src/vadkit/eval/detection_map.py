"""Class-wise temporal detection: ``map@iou``, the mean average precision of predicted event segments at
temporal IoU thresholds (VadCLIP's fine-grained UCF-Crime / XD-Violence metric, docs §2.7).

Input: per video, class-wise scores ``(T, C)`` (one row per frame, or per snippet of ``frames_per_score``
frames, repeated per frame as VadCLIP's ``np.repeat(softmax, 16)``), one column per entry of ``classes``
(the normal class included where the model scores it, as VadCLIP's column 0), and the ground-truth events of
every video with their class. Pass every test video: predictions in videos without an event of their class
are false positives.

Default (correct) mode, each decision:

1. **Segments from scores** (VadCLIP's proposal rule, kept so numbers stay comparable): per video and class
   column ``x`` of ``F`` frames, the frames with ``x >= max(x) - 0.6 * (max(x) - min(x))`` form maximal runs;
   runs of at least 2 frames are predicted segments ``[s, e)``. A constant column therefore yields one
   whole-video segment (the reference's strict ``>`` yields none, so it misses a class that fills a video).
2. **Segment score**: ``max(x[s:e]) + 0.7 * c``, with ``c`` the mean of the top ``max(1, F // 16)`` values of
   the column (a video-level class confidence that makes scores comparable across videos).
3. **NMS**: none. The runs of one column at one threshold are disjoint, so VadCLIP's temporal NMS at 0.6
   never removes a segment (its IoU between disjoint runs is 0); it is not run in either mode.
4. **Ranking**: all videos' segments of a class by decreasing score; ties in video order, then start frame
   (a stable sort, so the result does not depend on the sorting algorithm).
5. **Matching**: in rank order, a segment matches the still unmatched ground-truth event of its class and
   video with the highest IoU (the first in ground-truth order on equal IoUs) when that IoU ``>= t``; the
   event is then used up. IoU of half-open integer intervals: ``|[s,e) ∩ [a,b)| / |[s,e) ∪ [a,b)|``, which
   equals VadCLIP's IoU of Python frame sets, computed on arrays.
6. **AP**: ``sum_k precision@k * tp_k / #GT`` over the ranked segments (non-interpolated AP, scikit-learn's
   step definition; events never matched count in ``#GT``); 0 when no segment matches.
7. **Classes**: the mAP is the mean AP over the classes with at least one ground-truth event. A class without
   events (the normal class; a class absent from a subset) has AP ``nan`` and is left out of the mean; a class
   with events but no predicted segment has AP 0. Events labelled normal (``A``, ``Normal``: VadCLIP's
   whole-video placeholders of normal videos) are dropped; any other label missing from ``classes`` is an
   error.
8. Results are fractions in ``[0, 1]`` (VadCLIP prints ``100 *`` the same numbers).

``compat="vadclip"`` reproduces nwpu-zxr/VadCLIP ``src/utils/ucf_detectionMAP.py`` and ``xd_detectionMAP.py``
(``getDetectionMAP(..., excludeNormal=False)``, as its test scripts call it) on the same inputs:

* the threshold test is the strict ``x > max - (max - min) * 0.6``, in float64 from the input's dtype as
  numpy 2 evaluates the reference (float32 softmax inputs keep float32 for ``max - min``, the top-``F // 16``
  mean and the score ``max + 0.7 * c``); a column whose top-``F // 16`` mean is ``<= 0`` is zeroed first and
  so yields no segment; ``F < 16`` is refused (the reference's mean of no values is NaN);
* ranking by numpy's default (unstable) ``argsort`` of the negated scores, first within each video, then over
  all videos in video order, which decides the order of tied scores as the reference does;
* the mAP at each IoU is the mean over **all** ``classes``, a class without ground truth counting as AP 0,
  and it is **0 at every IoU as soon as one class gets no predicted segment** in any video;
* ground-truth labels that are not class names are ignored (counted in ``ignored_gt_labels``). The UCF
  script's class list says ``'Normal'`` where the GT files say ``'A'``, so with :data:`UCF_CLASSES` the normal
  class never has ground truth and always scores 0 (perfect predictions give 13/14 = 92.857%). The XD script
  uses ``'A'`` in both places (its class lookup would crash on an unknown label; the UCF one ignores it).
The two reference files differ only in the class list, the class count and that lookup.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from vadkit.data.feature_sets.labels import is_normal_class
from vadkit.errors import ValidationError
from vadkit.types import EventInterval, GroundTruth

DetectionCompat = Literal["vadclip"]
DETECTION_COMPAT_MODES: tuple[str, ...] = ("vadclip",)
"""Reference behaviours :func:`map_at_iou` can reproduce."""

DEFAULT_IOU_THRESHOLDS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5)
"""VadCLIP's IoU thresholds."""

RELATIVE_THRESHOLD = 0.6
"""A frame is in a segment when its score passes ``max - RELATIVE_THRESHOLD * (max - min)`` of its column."""
VIDEO_SCORE_WEIGHT = 0.7
"""Weight of the video-level class confidence in a segment's score."""
TOP_FRACTION = 16
"""The video-level confidence is the mean of the top ``F // TOP_FRACTION`` frame scores."""
MIN_SEGMENT_FRAMES = 2
"""Shorter runs are not predicted segments."""


@dataclass(frozen=True)
class DetectionMAP:
    """The outcome of :func:`map_at_iou`.

    Attributes:
        classes: the score columns, in order.
        iou_thresholds: the IoU thresholds, in order.
        ap: ``(len(classes), len(iou_thresholds))`` float64 AP per class and threshold, fractions; ``nan`` for
            the classes the correct mode leaves out (no ground-truth event).
        map: the mAP per threshold (fractions).
        num_gt: ground-truth events per class.
        num_predictions: predicted segments per class.
        compat: ``None`` (correct mode) or ``"vadclip"``.
        ignored_gt_labels: events left out, by label (normal labels; in compat mode any non-class label).
        empty_classes: classes without any predicted segment (in compat mode they zero every mAP).
    """

    classes: tuple[str, ...]
    iou_thresholds: tuple[float, ...]
    ap: np.ndarray
    map: tuple[float, ...]
    num_gt: tuple[int, ...]
    num_predictions: tuple[int, ...]
    compat: str | None = None
    ignored_gt_labels: Mapping[str, int] = field(default_factory=dict)
    empty_classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ap = np.array(self.ap, dtype=np.float64, copy=True)
        ap.setflags(write=False)
        object.__setattr__(self, "ap", ap)
        object.__setattr__(self, "ignored_gt_labels", MappingProxyType(dict(self.ignored_gt_labels)))

    @property
    def average(self) -> float:
        """The mean of :attr:`map` over the thresholds (VadCLIP's "average MAP")."""
        return float(np.mean(self.map))

    @property
    def evaluated_classes(self) -> tuple[str, ...]:
        """The classes in the mean: all in compat mode, those with ground truth in the correct mode."""
        return tuple(name for name, row in zip(self.classes, self.ap, strict=True) if not np.isnan(row).all())

    def metrics(self) -> dict[str, float]:
        """``{"map@iou0.1": …, …, "map@iou_mean": …}``, fractions (the names :class:`EvalReport` uses)."""
        named = {f"map@iou{t:g}": value for t, value in zip(self.iou_thresholds, self.map, strict=True)}
        return {**named, "map@iou_mean": self.average}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (``nan`` APs become ``null``)."""
        per_class = {
            name: [None if math.isnan(v) else float(v) for v in row]
            for name, row in zip(self.classes, self.ap, strict=True)
        }
        return {
            "metrics": self.metrics(),
            "iou_thresholds": list(self.iou_thresholds),
            "ap_per_class": per_class,
            "num_gt": dict(zip(self.classes, self.num_gt, strict=True)),
            "num_predictions": dict(zip(self.classes, self.num_predictions, strict=True)),
            "evaluated_classes": list(self.evaluated_classes),
            "compat": self.compat,
            "ignored_gt_labels": dict(self.ignored_gt_labels),
            "empty_classes": list(self.empty_classes),
        }


@dataclass(frozen=True)
class _Segments:
    """Predicted segments of all videos: parallel arrays, in video, class, start order."""

    video: np.ndarray
    cls: np.ndarray
    start: np.ndarray
    end: np.ndarray
    score: np.ndarray


def events_from_ground_truth(ground_truth: Mapping[str, GroundTruth]) -> dict[str, tuple[EventInterval, ...]]:
    """``{video: events}`` from vadkit ground truth (UCF-Crime's temporal annotation, XD-Violence's
    ``annotations_multiclasses.txt``, the synthetic benchmark), in the same order; normal videos have none.

    Raises:
        ValidationError: an event without a class (XD-Violence's binary ``annotations.txt``).
    """
    for video, truth in ground_truth.items():
        if any(event.label is None for event in truth.events):
            raise ValidationError(
                f"{video}: events without a class; class-wise detection needs class labels "
                "(XD-Violence: annotations_multiclasses.txt)"
            )
    return {video: truth.events for video, truth in ground_truth.items()}


def _checked_scores(video: str, value: ArrayLike, num_classes: int, compat: bool) -> np.ndarray:
    array = np.asarray(value)
    if (
        array.ndim != 2
        or array.shape[0] == 0
        or array.shape[1] != num_classes
        or array.dtype.kind not in "biuf"
    ):
        raise ValidationError(
            f"{video}: class scores must be a numeric (T, {num_classes}) array, "
            f"got {array.shape} {array.dtype}"
        )
    if not np.isfinite(array).all():
        raise ValidationError(f"{video}: class scores contain NaN or inf")
    keep = compat and array.dtype in (np.float32, np.float64)
    return np.ascontiguousarray(array.T, dtype=array.dtype if keep else np.float64)


def _top_mean(columns: np.ndarray, count: int, repeat: int) -> np.ndarray:
    """Mean of the ``count`` largest frame scores of each row of ``columns`` ``(C, T)``, each value
    standing for ``repeat`` frames; summed from the largest down, as ``np.mean`` of the sorted frames does."""
    rows = -(-count // repeat)
    top = -np.sort(np.partition(-columns, rows - 1, axis=1)[:, :rows], axis=1)
    frames = np.repeat(top, repeat, axis=1)[:, :count]
    return np.ascontiguousarray(frames.T).mean(axis=0)


def _video_segments(columns: np.ndarray, repeat: int, compat: bool) -> tuple[np.ndarray, ...]:
    """``(cls, start, end, score)`` of one video's segments, from its scores ``(C, T)``."""
    num_classes, length = columns.shape
    count = length * repeat // TOP_FRACTION
    confidence = _top_mean(columns, max(count, 1), repeat)
    high, low = columns.max(axis=1), columns.min(axis=1)
    if compat:
        threshold = high.astype(np.float64) - (high - low).astype(np.float64) * RELATIVE_THRESHOLD
        above = (columns > threshold[:, None]) & (confidence > 0)[:, None]
    else:
        above = columns >= (high - (high - low) * RELATIVE_THRESHOLD)[:, None]
    padded = np.zeros((num_classes, length + 2), dtype=np.int8)
    padded[:, 1:-1] = above
    step = np.diff(padded, axis=1)
    cls, starts = np.nonzero(step == 1)
    ends = np.nonzero(step == -1)[1]
    if cls.size == 0:
        return cls, starts, ends, np.empty(0)
    flat = np.append(columns.ravel(), columns.flat[0])
    bounds = np.empty(2 * cls.size, dtype=np.intp)
    bounds[0::2] = cls * length + starts
    bounds[1::2] = cls * length + ends
    run_max = np.maximum.reduceat(flat, bounds)[0::2]
    score = (run_max + confidence[cls] * VIDEO_SCORE_WEIGHT).astype(np.float64)
    keep = (ends - starts) * repeat >= MIN_SEGMENT_FRAMES
    return cls[keep], starts[keep] * repeat, ends[keep] * repeat, score[keep]


def _all_segments(columns: list[np.ndarray], repeat: int, compat: bool) -> _Segments:
    parts = [_video_segments(c, repeat, compat) for c in columns]
    video = np.repeat(np.arange(len(parts)), [p[0].size for p in parts])
    cls, start, end, score = (np.concatenate([p[i] for p in parts]) for i in range(4))
    return _Segments(video, cls, start, end, score)


def _ranked(segments: _Segments, rows: np.ndarray, compat: bool) -> np.ndarray:
    """``rows`` (one class, in video/start order) by decreasing score, ties broken as the mode says."""
    scores = segments.score[rows]
    if not compat or rows.size == 0:
        return rows[np.argsort(-scores, kind="stable")]
    order = np.arange(rows.size)
    firsts = np.flatnonzero(np.diff(segments.video[rows], prepend=-1))
    for lo, hi in zip(firsts, [*firsts[1:], rows.size], strict=True):
        if hi - lo > 1:
            order[lo:hi] = lo + np.argsort(-scores[lo:hi])
    rows = rows[order]
    return rows[np.argsort(-segments.score[rows])]


def _groups(videos: np.ndarray) -> dict[int, np.ndarray]:
    """``{video: positions}`` of ``videos``, positions ascending."""
    if videos.size == 0:
        return {}
    order = np.argsort(videos, kind="stable")
    keys, firsts = np.unique(videos[order], return_index=True)
    return dict(zip(keys.tolist(), np.split(order, firsts[1:]), strict=True))


def _matches(
    pred: tuple[np.ndarray, np.ndarray, np.ndarray],
    truth: tuple[np.ndarray, np.ndarray, np.ndarray],
    thresholds: Sequence[float],
) -> np.ndarray:
    """``(len(thresholds), len(pred))`` bool: which ranked predictions match an event (greedy, see item 5)."""
    p_video, p_start, p_end = pred
    t_video, t_start, t_end = truth
    hits = np.zeros((len(thresholds), p_video.size), dtype=bool)
    truth_groups = _groups(t_video)
    for video, rows in _groups(p_video).items():
        cols = truth_groups.get(video)
        if cols is None:
            continue
        inter = np.minimum(p_end[rows, None], t_end[cols]) - np.maximum(p_start[rows, None], t_start[cols])
        inter = np.maximum(inter, 0)
        iou = inter / ((p_end - p_start)[rows, None] + (t_end - t_start)[cols] - inter)
        for k, threshold in enumerate(thresholds):
            free = np.ones(cols.size, dtype=bool)
            for r in np.flatnonzero((iou >= threshold).any(axis=1)):
                candidates = np.where(free, iou[r], -1.0)
                best = int(np.argmax(candidates))
                if candidates[best] >= threshold:
                    hits[k, rows[r]] = True
                    free[best] = False
                    if not free.any():
                        break
    return hits


def _average_precision(hits: np.ndarray, num_gt: int) -> float:
    """``sum_k precision@k * tp_k / num_gt`` over ranked hits; 0 without a hit."""
    if not hits.any():
        return 0.0
    tp = hits.astype(np.float64)
    tp_cum, fp_cum = np.cumsum(tp), np.cumsum(1.0 - tp)
    return float(np.sum(tp_cum / (fp_cum + tp_cum) * tp) / num_gt)


def _truth_arrays(
    events: Mapping[str, Sequence[EventInterval]], classes: Sequence[str], compat: bool
) -> tuple[tuple[np.ndarray, ...], Counter[str]]:
    """``(video, cls, start, end)`` arrays of the events in video, then event order; and the labels left
    out."""
    index = {name: i for i, name in enumerate(classes)}
    rows: list[tuple[int, int, int, int]] = []
    ignored: Counter[str] = Counter()
    for v, (video, video_events) in enumerate(events.items()):
        for event in video_events:
            label = event.label
            normal = label is not None and is_normal_class(label)
            if label in index and (compat or not normal):
                rows.append((v, index[label], event.start, event.end))
            elif compat or normal:
                ignored[str(label)] += 1
            else:
                raise ValidationError(
                    f"{video}: event [{event.start}, {event.end}) has class {label!r}, not one of the "
                    f"score columns ({', '.join(classes)})"
                )
    table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return tuple(table[:, i] for i in range(4)), ignored


def _checked_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(t) for t in thresholds)
    if not values or not all(0.0 < t <= 1.0 for t in values):
        raise ValidationError(f"map_at_iou: IoU thresholds must be in (0, 1], got {values}")
    return values


def map_at_iou(
    class_scores: Mapping[str, ArrayLike],
    events: Mapping[str, Sequence[EventInterval]],
    classes: Sequence[str],
    *,
    iou_thresholds: Sequence[float] = DEFAULT_IOU_THRESHOLDS,
    frames_per_score: int = 1,
    compat: DetectionCompat | None = None,
) -> DetectionMAP:
    """Class-wise temporal detection AP per class and mAP at each IoU threshold (see the module docstring for
    every rule of both modes).

    Args:
        class_scores: ``{video: (T, C) scores}``, higher = more of that class; every video of ``events`` needs
            one (others are ignored).
        events: ``{video: events with classes}``, its order is the video order (VadCLIP's test-CSV order for
            compat mode); from :func:`~vadkit.data.read_vadclip_segments` or :func:`events_from_ground_truth`.
        classes: the name of each score column (e.g. :data:`~vadkit.data.UCF_CLASSES`, or XD-Violence's codes
            ``A B1 B2 B4 B5 B6 G``).
        iou_thresholds: thresholds in ``(0, 1]``.
        frames_per_score: frames each score row stands for (16 for snippet scores, repeated per frame as
            VadCLIP does); segments and events are in frames.
        compat: ``None`` (correct) or ``"vadclip"``.

    Raises:
        ValidationError: a missing video, scores of the wrong shape or not finite, duplicate or no classes, an
            event label that is not a class (correct mode), bad thresholds, or (compat) a video under 16
            frames.
    """
    if compat is not None and compat not in DETECTION_COMPAT_MODES:
        raise ValidationError(f"map_at_iou: unknown compat mode {compat!r} (known: vadclip)")
    is_compat = compat is not None
    classes = tuple(classes)
    if not classes or len(set(classes)) != len(classes):
        raise ValidationError(f"map_at_iou: classes must be distinct names, got {classes}")
    thresholds = _checked_thresholds(iou_thresholds)
    if frames_per_score < 1:
        raise ValidationError(f"map_at_iou: frames_per_score must be >= 1, got {frames_per_score}")
    columns = []
    for video in events:
        if video not in class_scores:
            raise ValidationError(f"{video}: no class scores ({len(class_scores)} videos have some)")
        columns.append(_checked_scores(video, class_scores[video], len(classes), is_compat))
        if is_compat and columns[-1].shape[1] * frames_per_score < TOP_FRACTION:
            raise ValidationError(f"{video}: compat='vadclip' needs at least {TOP_FRACTION} frames")
    segments = _all_segments(columns, frames_per_score, is_compat)
    (t_video, t_cls, t_start, t_end), ignored = _truth_arrays(events, classes, is_compat)

    ap = np.full((len(classes), len(thresholds)), np.nan)
    num_gt, num_predictions = [], []
    for c in range(len(classes)):
        rows = _ranked(segments, np.flatnonzero(segments.cls == c), is_compat)
        truth = np.flatnonzero(t_cls == c)
        num_gt.append(truth.size)
        num_predictions.append(rows.size)
        if truth.size == 0:
            if is_compat:
                ap[c] = 0.0
            continue
        pred = (segments.video[rows], segments.start[rows], segments.end[rows])
        hits = _matches(pred, (t_video[truth], t_start[truth], t_end[truth]), thresholds)
        ap[c] = [_average_precision(row, truth.size) for row in hits]

    empty = tuple(name for name, n in zip(classes, num_predictions, strict=True) if n == 0)
    if is_compat:
        maps = tuple(0.0 if empty else float(np.mean(column)) for column in ap.T.copy())
    else:
        evaluated = ~np.isnan(ap[:, 0])
        maps = tuple(
            float(np.mean(ap[evaluated, k])) if evaluated.any() else math.nan for k in range(len(thresholds))
        )
    return DetectionMAP(
        classes=classes,
        iou_thresholds=thresholds,
        ap=ap,
        map=maps,
        num_gt=tuple(num_gt),
        num_predictions=tuple(num_predictions),
        compat=compat,
        ignored_gt_labels=dict(ignored),
        empty_classes=empty,
    )
