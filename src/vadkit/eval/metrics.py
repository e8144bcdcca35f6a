"""Frame-level anomaly detection metrics, under names that say exactly what they compute.

Conventions shared by every function here:

* ``labels`` are 0/1 per frame (1 = abnormal), ``scores`` one finite float per frame, higher = more abnormal.
* "Concatenated" metrics take two 1-D arrays of equal length (all test frames, in any fixed video order);
  "per-video" metrics take two sequences with one array per video (order does not matter).
* A metric that is undefined on the input (an ROC or AP without positives or without negatives, a FAR without
  normal frames) returns ``nan`` instead of raising; :class:`~vadkit.types.EvalReport` writes it as ``null``.
  Malformed input (lengths differ, labels other than 0/1, NaN/inf scores) raises
  :class:`~vadkit.errors.ValidationError`.
* ROC and precision-recall curves are scikit-learn's (ties between scores are grouped, one point per distinct
  threshold), so results match the reference repositories that call scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from vadkit.errors import ValidationError

MacroPadding = Literal["none", "sspcab"]
FarSubset = Literal["normal_videos", "all"]


def _checked_pair(
    labels: ArrayLike, scores: ArrayLike, what: str = "metric"
) -> tuple[np.ndarray, np.ndarray]:
    """``labels`` as uint8 0/1 and ``scores`` as float64, both 1-D of equal length; raises ValidationError."""
    label_array = np.asarray(labels)
    score_array = np.asarray(scores, dtype=np.float64)
    if label_array.ndim != 1 or score_array.ndim != 1:
        raise ValidationError(
            f"{what}: labels and scores must be 1-D, got {label_array.shape}, {score_array.shape}"
        )
    if label_array.shape != score_array.shape:
        raise ValidationError(f"{what}: {label_array.size} labels but {score_array.size} scores")
    if label_array.dtype != np.bool_ and not np.isin(label_array, (0, 1)).all():
        raise ValidationError(f"{what}: labels must be 0/1")
    if not np.isfinite(score_array).all():
        raise ValidationError(f"{what}: scores contain NaN or inf")
    return label_array.astype(np.uint8, copy=False), score_array


def _checked_videos(
    labels_per_video: Sequence[ArrayLike], scores_per_video: Sequence[ArrayLike], what: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    if len(labels_per_video) != len(scores_per_video):
        raise ValidationError(
            f"{what}: {len(labels_per_video)} label arrays but {len(scores_per_video)} score arrays"
        )
    return [
        _checked_pair(labels, scores, f"{what}, video {i}")
        for i, (labels, scores) in enumerate(zip(labels_per_video, scores_per_video, strict=True))
    ]


def _has_both_classes(labels: np.ndarray) -> bool:
    positives = int(np.count_nonzero(labels))
    return 0 < positives < labels.size


def auc_micro(labels: ArrayLike, scores: ArrayLike) -> float:
    """Frame-level ROC AUC over all frames at once (one ROC on the concatenation): the field's "AUC".

    ``sklearn.metrics.roc_auc_score``; tied scores count half. ``nan`` when only one class is present.
    """
    label_array, score_array = _checked_pair(labels, scores, "auc_micro")
    if not _has_both_classes(label_array):
        return math.nan
    return float(roc_auc_score(label_array, score_array))


def ap_sklearn(labels: ArrayLike, scores: ArrayLike) -> float:
    """Average precision as ``sklearn.metrics.average_precision_score``: ``sum_k (R_k - R_{k-1}) P_k``.

    The step (non-interpolated) AP that VadCLIP reports on XD-Violence. ``nan`` without positive frames.
    """
    label_array, score_array = _checked_pair(labels, scores, "ap_sklearn")
    if not label_array.any():
        return math.nan
    return float(average_precision_score(label_array, score_array))


def ap_pr_trapz(labels: ArrayLike, scores: ArrayLike) -> float:
    """Area under the precision-recall curve by the trapezoid rule: ``auc(recall, precision)``.

    ``precision_recall_curve`` (its last point is recall 0, precision 1) integrated with
    ``sklearn.metrics.auc``: the XD-Violence "AP" of XDVioDet, RTFM, UR-DMU and PEL4VAD. Slightly different
    from :func:`ap_sklearn`. ``nan`` without positive frames.
    """
    label_array, score_array = _checked_pair(labels, scores, "ap_pr_trapz")
    if not label_array.any():
        return math.nan
    precision, recall, _ = precision_recall_curve(label_array, score_array)
    return float(auc(recall, precision))


def eer_point(labels: ArrayLike, scores: ArrayLike) -> tuple[float, float]:
    """Equal error rate and its threshold, as ano_pred's ``cal_eer``: ``fpr[nanargmin(|fpr + tpr - 1|)]``.

    On scikit-learn's ROC (``roc_curve``, ``drop_intermediate=True``): the ROC point whose false positive rate
    is closest to its miss rate ``1 - tpr`` (the first such point on ties); the rate returned is that point's
    FPR, not an interpolated crossing. The threshold is the score at that point (``>=`` counts as abnormal; it
    is ``inf`` at the first point). ``(nan, nan)`` when only one class is present.
    """
    label_array, score_array = _checked_pair(labels, scores, "eer")
    if not _has_both_classes(label_array):
        return math.nan, math.nan
    fpr, tpr, thresholds = roc_curve(label_array, score_array)
    best = int(np.nanargmin(np.abs(fpr + tpr - 1.0)))
    return float(fpr[best]), float(thresholds[best])


def eer(labels: ArrayLike, scores: ArrayLike) -> float:
    """Equal error rate, the first value of :func:`eer_point`."""
    return eer_point(labels, scores)[0]


def _padded(labels: np.ndarray, scores: np.ndarray, padding: MacroPadding) -> tuple[np.ndarray, np.ndarray]:
    if padding == "none":
        return labels, scores
    if padding == "sspcab":
        return np.concatenate(([0], labels, [1])), np.concatenate(([0.0], scores, [1.0]))
    raise ValidationError(f"unknown macro-AUC padding {padding!r} (known: 'none', 'sspcab')")


def per_video_auc(
    labels_per_video: Sequence[ArrayLike],
    scores_per_video: Sequence[ArrayLike],
    padding: MacroPadding = "none",
) -> np.ndarray:
    """ROC AUC of each video on its own frames; ``nan`` for a video with a single class.

    ``padding="sspcab"`` first adds a frame with label 0 and score 0 before each video and one with label 1
    and score 1 after it (ristea/sspcab issue #8), so every video has an AUC; this assumes scores in
    ``[0, 1]``.

    Returns:
        ``(num_videos,)`` float64, in input order.
    """
    videos = _checked_videos(labels_per_video, scores_per_video, "per_video_auc")
    values = np.full(len(videos), np.nan)
    for i, (labels, scores) in enumerate(videos):
        labels, scores = _padded(labels, scores, padding)
        if _has_both_classes(labels):
            values[i] = roc_auc_score(labels, scores)
    return values


def auc_macro(
    labels_per_video: Sequence[ArrayLike],
    scores_per_video: Sequence[ArrayLike],
    padding: MacroPadding = "none",
) -> float:
    """Mean of the per-video ROC AUCs (:func:`per_video_auc`), the one-class literature's "macro AUC".

    ``padding="none"``: videos with a single class (all normal, or all abnormal as Avenue test videos 8 and
    18) have no AUC and are left out of the mean; :func:`per_video_auc` shows which (``nan``).
    ``padding="sspcab"``: every video is padded with a 0 and a 1 (see :func:`per_video_auc`) and counts.
    ``nan`` when no video has an AUC.
    """
    return macro_average(per_video_auc(labels_per_video, scores_per_video, padding))


def macro_average(per_video_values: ArrayLike) -> float:
    """Mean of the defined (non-``nan``) per-video values; ``nan`` when none is defined."""
    values = np.asarray(per_video_values, dtype=np.float64)
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if defined.size else math.nan


def auc_abnormal_videos(
    labels_per_video: Sequence[ArrayLike], scores_per_video: Sequence[ArrayLike]
) -> float:
    """Micro ROC AUC over the frames of the abnormal videos only (videos with at least one abnormal frame).

    The "AUC_A" / "Anomaly-AUC" of PEL4VAD-style evaluations, without their reliance on abnormal videos coming
    first in the list: each video is classified by its own labels. ``nan`` without an abnormal video or when
    the abnormal videos hold no normal frame.
    """
    videos = _checked_videos(labels_per_video, scores_per_video, "auc_abnormal_videos")
    abnormal = [(labels, scores) for labels, scores in videos if labels.any()]
    if not abnormal:
        return math.nan
    return auc_micro(np.concatenate([v[0] for v in abnormal]), np.concatenate([v[1] for v in abnormal]))


def far_metric_name(threshold: float) -> str:
    """Report name of the false alarm rate at ``threshold``: ``far@0.5``, ``far@0.25``…"""
    return f"far@{threshold:g}"


def far_at_threshold(
    labels_per_video: Sequence[ArrayLike],
    scores_per_video: Sequence[ArrayLike],
    threshold: float = 0.5,
    subset: FarSubset = "normal_videos",
) -> float:
    """False alarm rate ``FP / (FP + TN)`` over normal frames; a frame alarms when ``score >= threshold``.

    ``subset="normal_videos"`` (default, PEL4VAD's ``cal_false_alarm`` and the Sultani-style "FAR on normal
    videos") counts only the frames of videos whose labels are all 0; ``subset="all"`` counts the normal
    frames of every video. ``nan`` when the subset has no normal frame.
    """
    if subset not in ("normal_videos", "all"):
        raise ValidationError(f"far_at_threshold: unknown subset {subset!r} (known: 'normal_videos', 'all')")
    if not math.isfinite(threshold):
        raise ValidationError(f"far_at_threshold: threshold must be finite, got {threshold}")
    videos = _checked_videos(labels_per_video, scores_per_video, "far_at_threshold")
    false_alarms = negatives = 0
    for labels, scores in videos:
        if subset == "normal_videos" and labels.any():
            continue
        normal = labels == 0
        negatives += int(np.count_nonzero(normal))
        false_alarms += int(np.count_nonzero(scores[normal] >= threshold))
    return false_alarms / negatives if negatives else math.nan
