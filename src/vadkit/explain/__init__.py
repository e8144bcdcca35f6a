"""Explanation stage: events from frame scores (smoothing, hysteresis, merging, minimum duration), the
calibration of their threshold on normal videos for a target false-alarm rate, and the weight-free evidence of
an event (where and how its ``motion`` features deviate from normal statistics, key frames, a composed
sentence)."""

from __future__ import annotations

from vadkit.explain.calibration import ThresholdCalibration, calibrate_threshold
from vadkit.explain.describe import (
    COMPOSED_NOTE,
    DESCRIBE_PROMPT,
    EventContext,
    EventDescription,
    compose_context_description,
    describe_event,
    describe_prompt,
)
from vadkit.explain.event_config import SMOOTHING_KINDS, EventConfig, Smoothing
from vadkit.explain.events import detect_events, event_intervals
from vadkit.explain.evidence import (
    DEVIATION_KINDS,
    CellDeviation,
    DimensionDeviation,
    Evidence,
    KeyFrame,
    KindDeviation,
    explain_event,
)
from vadkit.explain.evidence_text import compose_description
from vadkit.explain.key_frames import Thumbnail, draw_box, read_key_frames
from vadkit.explain.normal_statistics import NormalStatistics, fit_normal_statistics
from vadkit.explain.smoothing import gaussian_kernel, smooth_scores

__all__ = [
    "COMPOSED_NOTE",
    "DESCRIBE_PROMPT",
    "DEVIATION_KINDS",
    "SMOOTHING_KINDS",
    "CellDeviation",
    "DimensionDeviation",
    "EventConfig",
    "EventContext",
    "EventDescription",
    "Evidence",
    "KeyFrame",
    "KindDeviation",
    "NormalStatistics",
    "Smoothing",
    "ThresholdCalibration",
    "Thumbnail",
    "calibrate_threshold",
    "compose_context_description",
    "compose_description",
    "describe_event",
    "describe_prompt",
    "detect_events",
    "draw_box",
    "event_intervals",
    "explain_event",
    "fit_normal_statistics",
    "gaussian_kernel",
    "read_key_frames",
    "smooth_scores",
]
