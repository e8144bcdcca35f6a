"""Calibrating the event threshold on normal videos for a target false-alarm rate.

**False-alarm rate (FAR)** here is what a user means by "my detector raises alarms on X% of normal frames":
the fraction of the frames of the normal videos that lie inside a detected event, after the *whole* event
pipeline of :mod:`vadkit.explain.events` (smoothing, hysteresis, merging, minimum duration). Merging adds the
gap frames to events and the minimum duration removes short ones, so this is not the fraction of smoothed
scores above the threshold (that is :func:`vadkit.eval.far_at_threshold` on raw scores, with
``smoothing="none"`` and no merging or minimum duration both agree).

The search: the thresholds ``high`` are tried with the hysteresis margin ``high - low`` of the given
configuration kept fixed (``low`` follows ``high``). The alarmed frames can only shrink as ``high`` grows
(each step of the pipeline is monotone), so FAR is a non-increasing step function of ``high`` that changes
only where ``high`` or ``low`` passes a smoothed score. The candidates are therefore the distinct smoothed
scores ``s`` of the normal frames, ``s + margin`` when ``low < high``, and the float just above the largest
of them (where no frame alarms, FAR 0); a bisection over them finds the lowest candidate whose FAR is
``<= target_far``, with ``O(log N)`` runs of the pipeline. Any threshold between the previous candidate and
the one returned gives the same alarms on these videos (up to floating-point rounding of ``high - margin``),
so the threshold returned is the largest of those equivalent ones: a score some normal frame actually has
(or that score plus the margin, or the float just above the largest score).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from vadkit.errors import ValidationError
from vadkit.explain.event_config import EventConfig
from vadkit.explain.events import event_intervals
from vadkit.explain.inputs import video_scores
from vadkit.explain.smoothing import smooth_scores
from vadkit.types import FrameScores, write_json


@dataclass(frozen=True)
class ThresholdCalibration:
    """A threshold calibrated on normal videos, and what it achieved there.

    Attributes:
        config: the event configuration to detect with: the one calibrated with, ``high`` set to the
            threshold found and ``low`` moved with it (same ``high - low`` margin; ``None`` stays ``None``).
        target_far: the false-alarm rate asked for (fraction of normal frames inside events, in ``[0, 1]``).
        achieved_far: the false-alarm rate of ``config`` on the calibration videos (``<= target_far``).
        num_videos: number of normal videos calibrated on.
        num_frames: their total number of frames.
        false_alarm_frames: frames inside events on those videos (``achieved_far * num_frames``).
        false_events: number of events detected on those videos.
        duration_s: their total duration in seconds (``false_events / duration_s`` is the rate of false
            events per second).
    """

    config: EventConfig
    target_far: float
    achieved_far: float
    num_videos: int
    num_frames: int
    false_alarm_frames: int
    false_events: int
    duration_s: float

    def __post_init__(self) -> None:
        for name in ("target_far", "achieved_far"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValidationError(f"ThresholdCalibration: {name} must be in [0, 1], got {value}")
        if self.num_videos < 1 or self.num_frames < 1:
            raise ValidationError(
                f"ThresholdCalibration: need >= 1 video and frame, got {self.num_videos}, {self.num_frames}"
            )
        if not 0 <= self.false_alarm_frames <= self.num_frames or self.false_events < 0:
            raise ValidationError(
                f"ThresholdCalibration: false_alarm_frames ({self.false_alarm_frames}) must be in "
                f"[0, {self.num_frames}] and false_events ({self.false_events}) >= 0"
            )
        if not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise ValidationError(f"ThresholdCalibration: duration_s must be > 0, got {self.duration_s}")

    @property
    def threshold(self) -> float:
        """The calibrated ``high`` threshold."""
        return self.config.high

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; the threshold is ``config.high``."""
        return {
            "target_far": self.target_far,
            "achieved_far": self.achieved_far,
            "num_videos": self.num_videos,
            "num_frames": self.num_frames,
            "false_alarm_frames": self.false_alarm_frames,
            "false_events": self.false_events,
            "duration_s": self.duration_s,
            "config": self.config.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThresholdCalibration:
        """Inverse of :meth:`to_dict`."""
        return cls(
            config=EventConfig.from_dict(data["config"]),
            target_far=float(data["target_far"]),
            achieved_far=float(data["achieved_far"]),
            num_videos=int(data["num_videos"]),
            num_frames=int(data["num_frames"]),
            false_alarm_frames=int(data["false_alarm_frames"]),
            false_events=int(data["false_events"]),
            duration_s=float(data["duration_s"]),
        )

    def save(self, path: str | Path) -> Path:
        """Write the calibration as JSON to ``path`` (atomically; e.g. next to the model's checkpoint)."""
        path = Path(path)
        write_json(path, self.to_dict())
        return path

    @classmethod
    def load(cls, path: str | Path) -> ThresholdCalibration:
        """Read a calibration written by :meth:`save`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _alarms(videos: list[tuple[np.ndarray, float]], config: EventConfig) -> tuple[int, int]:
    """Frames inside events, and number of events, over the smoothed ``videos`` under ``config``."""
    frames = events = 0
    for smoothed, fps in videos:
        intervals = event_intervals(smoothed, fps, config)
        frames += int((intervals[:, 1] - intervals[:, 0]).sum())
        events += len(intervals)
    return frames, events


def calibrate_threshold(
    normal_scores: Sequence[FrameScores | ArrayLike],
    target_far: float,
    config: EventConfig | None = None,
    *,
    fps: float | None = None,
) -> ThresholdCalibration:
    """The lowest threshold whose false-alarm rate on normal videos is ``<= target_far``.

    See the module docstring for the definition of the rate and the search. ``config.high`` is replaced by
    the threshold found; everything else (smoothing, hysteresis margin, merge gap, minimum duration) is used
    as given, both for the calibration and in the returned ``config``.

    Args:
        normal_scores: frame scores of normal videos, as :class:`FrameScores` (their own fps and names) or
            1-D arrays (named ``"normal video <i>"`` in errors, all at ``fps``).
        target_far: the largest acceptable fraction of normal frames inside events, in ``[0, 1]``.
        config: the event pipeline; ``None`` means ``EventConfig()``.
        fps: frame rate of the array inputs.

    Raises:
        ValidationError: no video or no frame at all, a target outside ``[0, 1]``, NaN/inf scores (naming
            the video), a missing fps for an array.
    """
    config = EventConfig() if config is None else config
    if isinstance(target_far, bool) or not 0.0 <= target_far <= 1.0:
        raise ValidationError(f"calibrate_threshold: target_far must be in [0, 1], got {target_far!r}")
    videos = []
    for index, scores in enumerate(normal_scores):
        name = None if isinstance(scores, FrameScores) else f"normal video {index}"
        checked = video_scores(scores, fps, name)
        videos.append((smooth_scores(checked.scores, checked.fps, config), checked.fps))
    num_frames = sum(smoothed.size for smoothed, _ in videos)
    if num_frames == 0:
        raise ValidationError(f"calibrate_threshold: no frames to calibrate on ({len(videos)} normal videos)")
    values = np.concatenate([smoothed for smoothed, _ in videos])
    margin = config.high - config.low_threshold
    candidates = np.unique(np.concatenate((values, values + margin)) if margin > 0 else values)
    candidates = np.append(candidates, np.nextafter(candidates[-1], np.inf))
    lowest, highest = 0, candidates.size - 1  # FAR(candidates[-1]) == 0 <= target_far
    while lowest < highest:
        middle = (lowest + highest) // 2
        frames, _ = _alarms(videos, config.at_threshold(float(candidates[middle])))
        if frames / num_frames <= target_far:
            highest = middle
        else:
            lowest = middle + 1
    calibrated = config.at_threshold(float(candidates[lowest]))
    frames, events = _alarms(videos, calibrated)
    return ThresholdCalibration(
        config=calibrated,
        target_far=float(target_far),
        achieved_far=frames / num_frames,
        num_videos=len(videos),
        num_frames=num_frames,
        false_alarm_frames=frames,
        false_events=events,
        duration_s=sum(smoothed.size / rate for smoothed, rate in videos),
    )
