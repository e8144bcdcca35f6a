"""Score-curve figures: per video, frame scores over time with ground-truth anomalies shaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from vadkit.types import Event, GroundTruth


def _score_axis(ax: plt.Axes, scores: np.ndarray, fps: float, threshold: float | None, title: str) -> None:
    """Frame scores against time on ``ax``, on a [0, 1] axis, with the threshold dashed when given."""
    times = np.arange(scores.shape[0]) / fps
    ax.plot(times, scores, color="tab:blue", lw=1.2)
    if threshold is not None:
        ax.axhline(threshold, color="0.3", ls="--", lw=0.8)
    ax.set_ylabel("score")
    # Scores of [0, 1] share the full axis, so that a flat curve looks flat, not magnified.
    low, high = float(np.min(scores, initial=0.0)), float(np.max(scores, initial=1.0))
    ax.set_ylim(min(low, 0.0) - 0.05, max(high, 1.0) + 0.05)
    ax.set_title(title, loc="left", fontsize=9)
    ax.grid(alpha=0.3)


def _save(fig: plt.Figure, path: str | Path) -> Path:
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_score_curves(
    path: str | Path,
    frame_scores: Mapping[str, np.ndarray],
    ground_truth: Mapping[str, GroundTruth],
    fps: float,
    threshold: float | None = None,
) -> Path:
    """Save a PNG with one panel per video: frame scores against time (s), abnormal frames shaded red.

    Args:
        path: output ``.png``.
        frame_scores: ``{video: (n,) scores}``, one per frame, in display order.
        ground_truth: ``{video: GroundTruth}`` for the same videos.
        fps: frames per second of the time axis.
        threshold: drawn as a dashed line when given.
    """
    videos = list(frame_scores)
    fig, axes = plt.subplots(len(videos), 1, figsize=(8, 1.8 * len(videos)), sharex=True, squeeze=False)
    for ax, video in zip(axes[:, 0], videos, strict=True):
        for event in ground_truth[video].events:
            ax.axvspan(event.start / fps, event.end / fps, color="tab:red", alpha=0.2, lw=0)
        label = ground_truth[video].label
        _score_axis(ax, frame_scores[video], fps, threshold, video if label is None else f"{video} ({label})")
    axes[-1, 0].set_xlabel("time (s); red: ground-truth anomaly")
    return _save(fig, path)


def plot_prediction_curve(
    path: str | Path,
    video: str,
    scores: np.ndarray,
    fps: float,
    threshold: float,
    events: Sequence[Event],
    ground_truth: GroundTruth | None = None,
) -> Path:
    """Save a PNG of one video's frame scores with the threshold dashed, the detected events shaded orange
    and numbered (with their class when known), and the ground-truth anomalies, if given, as red bars
    under the curve."""
    fig, ax = plt.subplots(figsize=(8, 2.2))
    for number, event in enumerate(events, start=1):
        ax.axvspan(event.start_s, event.end_s, color="tab:orange", alpha=0.25, lw=0)
        label = f"{number}" + (f" {event.class_name}" if event.class_name else "")
        ax.text(event.start_s, 1.0, label, fontsize=8, va="top", color="tab:brown")
    if ground_truth is not None:
        for interval in ground_truth.events:
            ax.plot([interval.start / fps, interval.end / fps], [-0.03, -0.03], color="tab:red", lw=4)
    _score_axis(ax, scores, fps, threshold, video)
    legend = "orange: detected events; dashed: threshold" + ("; red: ground truth" if ground_truth else "")
    ax.set_xlabel(f"time (s); {legend}")
    return _save(fig, path)
