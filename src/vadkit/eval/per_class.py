"""Per-class frame AUC: how well scores separate each anomaly class's frames from the normal frames.

Benchmarks with event classes (UCF-Crime, XD-Violence, vadkit's synthetic benchmark) mix easy and hard
anomalies; one ``auc_micro`` hides which a method detects. For class ``c`` the AUC is the ROC AUC of the
frame scores of the frames inside events of class ``c`` (positives) against every frame labelled normal in
every video (negatives), pooled over videos as ``auc_micro`` pools them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.metrics import roc_auc_score

from vadkit.errors import ValidationError
from vadkit.eval.evaluate import frame_level_scores
from vadkit.types import GroundTruth


def auc_per_class(
    ground_truth: Mapping[str, GroundTruth],
    scores: Mapping[str, np.ndarray],
    snippet_length: int = 16,
) -> dict[str, float]:
    """``{class: AUC}`` over the classes of the events of ``ground_truth``, sorted by class name.

    Args:
        ground_truth: ``{video: GroundTruth}``; events without a class label are left out.
        scores: ``{video: scores}`` per frame or per snippet (:func:`~vadkit.eval.frame_level_scores`).
        snippet_length: frames per snippet of snippet scores.

    Raises:
        ValidationError: a video of ``ground_truth`` without scores, or no normal frame at all.
        LengthMismatchError: scores whose length fits neither the frames nor the snippets of their video.
    """
    missing = sorted(set(ground_truth) - set(scores))
    if missing:
        shown = ", ".join(missing[:5])
        raise ValidationError(f"auc_per_class: no scores for {len(missing)} video(s): {shown}")
    normal: list[np.ndarray] = []
    positives: dict[str, list[np.ndarray]] = {}
    for video, truth in ground_truth.items():
        values = np.asarray(scores[video])
        frames, _ = frame_level_scores(video, values, truth.num_frames, "auto", snippet_length)
        normal.append(frames[truth.labels == 0])
        for event in truth.events:
            if event.label is not None:
                positives.setdefault(event.label, []).append(frames[event.start : event.end])
    negatives = np.concatenate(normal)
    if negatives.size == 0:
        raise ValidationError("auc_per_class: no normal frame in the ground truth")
    result = {}
    for name in sorted(positives):
        abnormal = np.concatenate(positives[name])
        labels = np.concatenate([np.zeros(negatives.size), np.ones(abnormal.size)])
        result[name] = float(roc_auc_score(labels, np.concatenate([negatives, abnormal])))
    return result
