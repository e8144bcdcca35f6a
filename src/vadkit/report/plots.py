"""Score-curve figures: per video, frame scores over time with ground-truth anomalies shaded."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from vadkit.types import GroundTruth


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
        scores = frame_scores[video]
        times = np.arange(scores.shape[0]) / fps
        for event in ground_truth[video].events:
            ax.axvspan(event.start / fps, event.end / fps, color="tab:red", alpha=0.2, lw=0)
        ax.plot(times, scores, color="tab:blue", lw=1.2)
        if threshold is not None:
            ax.axhline(threshold, color="0.3", ls="--", lw=0.8)
        ax.set_ylabel("score")
        # Scores of [0, 1] share the full axis, so that a flat curve looks flat, not magnified.
        low, high = float(np.min(scores, initial=0.0)), float(np.max(scores, initial=1.0))
        ax.set_ylim(min(low, 0.0) - 0.05, max(high, 1.0) + 0.05)
        label = ground_truth[video].label
        ax.set_title(video if label is None else f"{video} ({label})", loc="left", fontsize=9)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("time (s); red: ground-truth anomaly")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
