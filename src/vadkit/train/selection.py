"""Model-selection criteria on the validation split (higher is better).

Weak supervision gives the validation videos a video-level label only, so the default criteria use nothing
else. With ``s_v`` the snippet scores of validation video ``v`` (one per snippet of the full video, crops
combined by the method's ``snippet_scores``) and ``y_v`` its label:

* ``"video-auc-max"`` (default): the ROC AUC (scikit-learn's ``roc_auc_score``, ties count half) of the
  pairs ``(y_v, max_t s_v[t])`` over the validation videos: how well a video's most abnormal snippet
  separates abnormal from normal videos.
* ``"video-auc-topk"``: the same with the mean of the ``k = T // 16 + 1`` largest snippet scores of the
  ``T``-snippet video (the top-k pooling UR-DMU and HL-Net train with) instead of the maximum.
* ``"frame"``: the headline metric of a named protocol (e.g. ``synthetic``: ``auc_micro``) on frame-level
  ground truth of the validation videos, through :func:`vadkit.eval.evaluate`. Only for validation videos
  that have frame labels (the synthetic benchmark's val split); an explicit choice, never a default.

A criterion is ``nan`` when a score is NaN or infinite (a diverged model); ``nan`` is never selected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np

from vadkit.errors import ValidationError
from vadkit.eval import auc_micro, evaluate, get_protocol
from vadkit.types import GroundTruth

SelectionCriterion = Literal["video-auc-max", "video-auc-topk", "frame"]
SELECTION_CRITERIA: tuple[str, ...] = ("video-auc-max", "video-auc-topk", "frame")


def top_k_mean(scores: np.ndarray) -> float:
    """Mean of the ``T // 16 + 1`` largest of ``T`` snippet scores."""
    k = scores.shape[0] // 16 + 1
    return float(np.sort(scores)[-k:].mean())


def selection_value(
    criterion: SelectionCriterion,
    scores: Mapping[str, np.ndarray],
    labels: Mapping[str, int],
    *,
    ground_truth: Mapping[str, GroundTruth] | None = None,
    protocol: str | None = None,
) -> float:
    """The criterion's value for per-video snippet scores (see the module docstring).

    Args:
        criterion: one of :data:`SELECTION_CRITERIA`.
        scores: ``{video: (T,) snippet scores}`` for every video of ``labels``.
        labels: ``{video: 0 or 1}``, the validation videos' labels.
        ground_truth: frame labels of every validation video (``"frame"`` only).
        protocol: the protocol whose headline metric is used (``"frame"`` only).

    Raises:
        ValidationError: an unknown criterion, a video without scores, or (``"frame"``) no protocol or a
            video without ground truth.
    """
    if criterion not in SELECTION_CRITERIA:
        raise ValidationError(
            f"unknown selection criterion {criterion!r} (known: {', '.join(SELECTION_CRITERIA)})"
        )
    missing = sorted(set(labels) - set(scores))
    if missing:
        raise ValidationError(f"selection: no scores for validation video(s) {', '.join(missing[:5])}")
    names = sorted(labels)
    if not all(np.isfinite(scores[name]).all() for name in names):
        return float("nan")
    if criterion == "frame":
        if protocol is None or ground_truth is None:
            raise ValidationError(
                "selection 'frame' needs a protocol and the validation videos' ground truth"
            )
        lacking = [name for name in names if name not in ground_truth]
        if lacking:
            raise ValidationError(f"selection 'frame': no ground truth for video(s) {', '.join(lacking[:5])}")
        chosen = get_protocol(protocol)
        report = evaluate(chosen, {name: ground_truth[name] for name in names}, scores)
        return float(report.metrics[chosen.headline_name])
    pool = np.max if criterion == "video-auc-max" else top_k_mean
    pooled = np.array([float(pool(np.asarray(scores[name], dtype=np.float64))) for name in names])
    return auc_micro(np.array([labels[name] for name in names], dtype=np.uint8), pooled)
