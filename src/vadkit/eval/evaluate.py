"""Evaluate per-video scores against per-video ground truth under a named :class:`Protocol`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from vadkit.errors import LengthMismatchError, ValidationError
from vadkit.eval.metrics import (
    ap_pr_trapz,
    ap_sklearn,
    auc_abnormal_videos,
    auc_micro,
    eer,
    far_at_threshold,
    macro_average,
    per_video_auc,
)
from vadkit.eval.protocols import Protocol, get_protocol
from vadkit.snippets import allowed_snippet_counts, expand_to_frames
from vadkit.types import EvalReport, FrameScores, GroundTruth

ScoreLevel = Literal["auto", "snippet", "frame"]

_CONCATENATED: Mapping[str, Callable[[ArrayLike, ArrayLike], float]] = {
    "auc_micro": auc_micro,
    "ap_sklearn": ap_sklearn,
    "ap_pr_trapz": ap_pr_trapz,
    "eer": eer,
}


def _score_array(video: str, value: ArrayLike | FrameScores) -> np.ndarray:
    """One video's scores as a finite 1-D float64 array."""
    array = np.asarray(value.scores if isinstance(value, FrameScores) else value)
    if array.ndim != 1 or array.shape[0] == 0 or array.dtype.kind not in "biuf":
        raise ValidationError(
            f"{video}: scores must be a non-empty 1-D numeric array, "
            f"got shape {array.shape}, dtype {array.dtype}"
        )
    array = array.astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValidationError(
            f"{video}: scores contain NaN or inf ({bad.size} values, first at index {bad[0]})"
        )
    return array


def frame_level_scores(
    video: str, scores: np.ndarray, num_frames: int, level: ScoreLevel = "auto", snippet_length: int = 16
) -> tuple[np.ndarray, str]:
    """Frame-level scores of one video and the level they were given at (``"frame"`` or ``"snippet"``);
    what :func:`evaluate` scores, and what reports plot.

    ``auto``: ``num_frames`` scores are frame scores (this wins when a snippet count equals ``num_frames``),
    a snippet count of ``num_frames`` (:func:`~vadkit.snippets.allowed_snippet_counts`) is snippet scores.
    """
    if level not in ("auto", "snippet", "frame"):
        raise ValidationError(f"evaluate: score_level must be 'auto', 'snippet' or 'frame', got {level!r}")
    if level == "auto":
        if scores.shape[0] == num_frames:
            level = "frame"
        elif scores.shape[0] in allowed_snippet_counts(num_frames, snippet_length):
            level = "snippet"
        else:
            counts = " or ".join(str(c) for c in allowed_snippet_counts(num_frames, snippet_length))
            raise LengthMismatchError(
                video,
                f"{scores.shape[0]} scores for {num_frames} ground-truth frames: neither frame-level "
                f"({num_frames}) nor snippet-level ({counts} snippets of {snippet_length} frames)",
            )
    if level == "frame":
        if scores.shape[0] != num_frames:
            raise LengthMismatchError(
                video, f"{scores.shape[0]} frame scores for {num_frames} ground-truth frames"
            )
        return scores, level
    return expand_to_frames(scores, num_frames, snippet_length, video=video), level


def _min_max(scores: np.ndarray) -> np.ndarray:
    """Scores rescaled to ``[0, 1]``; a constant array becomes all 0."""
    low, high = scores.min(), scores.max()
    return (scores - low) / (high - low) if high > low else np.zeros_like(scores)


def _prepared_video(
    video: str, labels: np.ndarray, raw: ArrayLike | FrameScores, protocol: Protocol, score_level: ScoreLevel
) -> tuple[np.ndarray, np.ndarray, str]:
    """Labels and frame scores of one video after expansion, dropping and normalisation; and the level."""
    frame_scores, level = frame_level_scores(
        video, _score_array(video, raw), labels.shape[0], score_level, protocol.snippet_length
    )
    drop = protocol.drop_first_frames
    if labels.shape[0] <= drop:
        raise LengthMismatchError(
            video, f"{labels.shape[0]} frames, none left after dropping the first {drop} frames"
        )
    frame_scores = frame_scores[drop:]
    return labels[drop:], _min_max(frame_scores) if protocol.normalize_per_video else frame_scores, level


def _protocol_metrics(
    protocol: Protocol,
    labels_per_video: list[np.ndarray],
    scores_per_video: list[np.ndarray],
    video_aucs: np.ndarray,
) -> dict[str, float]:
    """The protocol's metrics under their report names; concatenated ones on the videos in order."""
    all_labels = np.concatenate(labels_per_video)
    all_scores = np.concatenate(scores_per_video)
    metrics: dict[str, float] = {}
    for kind in protocol.metrics:
        name = protocol.metric_name(kind)
        if kind in _CONCATENATED:
            metrics[name] = _CONCATENATED[kind](all_labels, all_scores)
        elif kind == "auc_macro":
            metrics[name] = macro_average(video_aucs)
        elif kind == "auc_abnormal_videos":
            metrics[name] = auc_abnormal_videos(labels_per_video, scores_per_video)
        else:
            metrics[name] = far_at_threshold(
                labels_per_video, scores_per_video, protocol.far_threshold, protocol.far_subset
            )
    return metrics


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def evaluate(
    protocol: Protocol | str,
    ground_truth: Mapping[str, GroundTruth],
    scores: Mapping[str, ArrayLike | FrameScores],
    *,
    score_level: ScoreLevel = "auto",
) -> EvalReport:
    """Compute a protocol's metrics for per-video scores against per-video ground truth.

    For each video, in the order of ``ground_truth``:

    1. its scores must exist, be 1-D and finite;
    2. snippet scores are expanded to the ground-truth length ``n = len(gt.labels)`` by
       :func:`~vadkit.snippets.expand_to_frames` (``score_level="auto"``: ``n`` scores are frame scores,
       ``ceil(n/16)`` or ``floor(n/16)`` scores are snippet scores, anything else is an error). Ground truth
       already padded to ``T * 16`` frames (a reference length rule) therefore needs exactly ``T`` snippet
       scores;
    3. the protocol's first ``drop_first_frames`` frames are removed, then scores are min-max normalised per
       video if the protocol says so.

    Concatenated metrics (``auc_micro``, the APs, ``eer``) use all videos' frames in ground-truth order;
    ``auc_macro``, ``auc_abnormal_videos`` and ``far@t`` are computed per video. Scores of videos absent from
    the ground truth are ignored and listed in ``settings["extra_score_videos"]``.

    Args:
        protocol: a :class:`~vadkit.eval.protocols.Protocol` or a registered name.
        ground_truth: ``{video: GroundTruth}``; its order is the evaluation order.
        scores: ``{video: scores}``, 1-D arrays or :class:`~vadkit.types.FrameScores`, higher = abnormal.
        score_level: ``"auto"``, ``"snippet"`` or ``"frame"``.

    Returns:
        An :class:`~vadkit.types.EvalReport` with the protocol's metrics under their report names, per-video
        ``auc`` (with the protocol's padding rule; ``nan`` where undefined) and ``far@t`` (videos in the FAR
        subset), and settings recording every convention used.

    Raises:
        LengthMismatchError: a video has no scores, or scores of a length that fits neither its frames nor its
            snippets, or no frame left after dropping.
        ValidationError: empty ground truth, NaN/inf or non-1-D scores (naming the video), or a bad
            ``score_level``.
    """
    protocol = get_protocol(protocol) if isinstance(protocol, str) else protocol
    if not ground_truth:
        raise ValidationError(f"evaluate({protocol.name}): no ground-truth videos")
    videos = list(ground_truth)
    labels_per_video: list[np.ndarray] = []
    scores_per_video: list[np.ndarray] = []
    levels: Counter[str] = Counter()
    for video in videos:
        if video not in scores:
            have = sum(v in scores for v in videos)
            raise LengthMismatchError(
                video, f"no scores for this video ({have} of {len(videos)} ground-truth videos have scores)"
            )
        labels, frame_scores, level = _prepared_video(
            video, ground_truth[video].labels, scores[video], protocol, score_level
        )
        labels_per_video.append(labels)
        scores_per_video.append(frame_scores)
        levels[level] += 1

    video_aucs = per_video_auc(labels_per_video, scores_per_video, protocol.macro_padding)
    metrics = _protocol_metrics(protocol, labels_per_video, scores_per_video, video_aucs)

    far_name = protocol.metric_name("far")
    per_video: dict[str, dict[str, float]] = {}
    for video, labels, video_scores, video_auc in zip(
        videos, labels_per_video, scores_per_video, video_aucs, strict=True
    ):
        entry = {"auc": float(video_auc)}
        if "far" in protocol.metrics and (protocol.far_subset == "all" or not labels.any()):
            entry[far_name] = far_at_threshold([labels], [video_scores], protocol.far_threshold, "all")
        per_video[video] = entry

    num_abnormal = sum(bool(labels.any()) for labels in labels_per_video)
    settings: dict[str, Any] = {
        "protocol": protocol.to_dict(),
        "headline_metric": protocol.headline_name,
        "score_level": next(iter(levels)) if len(levels) == 1 else "mixed",
        "score_level_counts": dict(levels),
        "expansion": (
            f"vadkit.snippets.expand_to_frames(snippet_length={protocol.snippet_length}): each snippet score "
            "repeated per frame, cut to the ground-truth length or padded with the last score"
        ),
        "auc_macro_padding": protocol.macro_padding,
        "per_video_auc_undefined": int(np.isnan(video_aucs).sum()),
        "dropped_frames_per_video": protocol.drop_first_frames,
        "score_normalization": "per-video min-max" if protocol.normalize_per_video else "none",
        "far_threshold": protocol.far_threshold,
        "far_subset": protocol.far_subset,
        "gt_sources": _unique([ground_truth[v].source for v in videos]),
        "num_abnormal_videos": num_abnormal,
        "num_normal_videos": len(videos) - num_abnormal,
        "extra_score_videos": sorted(set(scores) - set(ground_truth)),
    }
    return EvalReport(
        protocol=protocol.name,
        metrics=metrics,
        num_videos=len(videos),
        num_frames=sum(int(labels.shape[0]) for labels in labels_per_video),
        settings=settings,
        per_video=per_video,
    )
