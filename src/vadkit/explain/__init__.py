"""Explanation stage: events from frame scores (smoothing, hysteresis, merging, minimum duration) and the
calibration of their threshold on normal videos for a target false-alarm rate."""

from __future__ import annotations

from vadkit.explain.calibration import ThresholdCalibration, calibrate_threshold
from vadkit.explain.event_config import SMOOTHING_KINDS, EventConfig, Smoothing
from vadkit.explain.events import detect_events, event_intervals
from vadkit.explain.smoothing import gaussian_kernel, smooth_scores

__all__ = [
    "SMOOTHING_KINDS",
    "EventConfig",
    "Smoothing",
    "ThresholdCalibration",
    "calibrate_threshold",
    "detect_events",
    "event_intervals",
    "gaussian_kernel",
    "smooth_scores",
]
