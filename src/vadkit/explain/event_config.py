"""Settings of the frame-scores-to-events pipeline, in seconds, and their conversion to frames.

Every duration is given in seconds (``*_s``) so one configuration serves videos of any frame rate; the
conversions below turn them into whole frames for a given ``fps`` (which may be non-integer, e.g. 29.97).
Products ``seconds * fps`` that should be whole numbers often are not in floating point (``0.1 * 30`` is
``3.0000000000000004``), so each conversion allows :data:`FRAME_TOLERANCE` frames of rounding error.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from vadkit.errors import ValidationError

Smoothing = Literal["none", "moving_average", "gaussian", "median"]
SMOOTHING_KINDS: tuple[str, ...] = ("none", "moving_average", "gaussian", "median")

FRAME_TOLERANCE = 1e-9
"""Frames of floating-point error forgiven when a duration in seconds is turned into a frame count."""

GAUSSIAN_TRUNCATE = 4.0
"""The Gaussian kernel stops ``round(GAUSSIAN_TRUNCATE * sigma)`` frames from its centre (scipy's default)."""


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite(name: str, value: Any) -> float:
    if not _is_real(value) or not math.isfinite(value):
        raise ValidationError(f"EventConfig: {name} must be a finite number, got {value!r}")
    return float(value)


def checked_fps(fps: float) -> float:
    """``fps`` as a float; raises ValidationError unless it is a positive finite number."""
    if not _is_real(fps) or not (math.isfinite(fps) and fps > 0):
        raise ValidationError(f"fps must be a positive finite number, got {fps!r}")
    return float(fps)


@dataclass(frozen=True)
class EventConfig:
    """How frame scores become events: smoothing, hysteresis thresholds, merging, minimum duration.

    Attributes:
        smoothing: ``"none"``, ``"moving_average"`` (mean over a centred window), ``"gaussian"`` (Gaussian
            kernel of standard deviation ``sigma_s``) or ``"median"`` (median over a centred window). Borders
            are padded by repeating the first/last score (numpy ``edge``, scipy.ndimage ``nearest``).
        window_s: window length in seconds of ``moving_average`` and ``median``; it spans the odd number of
            frames nearest to ``window_s * fps`` (:meth:`window_frames`).
        sigma_s: standard deviation in seconds of ``gaussian``; the kernel has ``sigma_s * fps`` frames of
            standard deviation (not rounded) and is cut at :data:`GAUSSIAN_TRUNCATE` of them.
        high: a detection starts where the smoothed score is ``>= high``.
        low: it extends both ways while the smoothed score stays ``>= low``; ``None`` means ``low = high``
            (a plain threshold). Must be ``<= high``.
        min_duration_s: events shorter than this (after merging) are dropped; 0 keeps every event.
        merge_gap_s: events separated by fewer than this many seconds of frames are merged into one (the gap
            frames join the event); 0 never merges.

    The window and sigma are only used by the smoothing kinds that need them, but are always validated.
    """

    smoothing: Smoothing = "none"
    window_s: float = 1.0
    sigma_s: float = 0.5
    high: float = 0.5
    low: float | None = None
    min_duration_s: float = 0.0
    merge_gap_s: float = 0.0

    def __post_init__(self) -> None:
        if self.smoothing not in SMOOTHING_KINDS:
            known = ", ".join(repr(kind) for kind in SMOOTHING_KINDS)
            raise ValidationError(f"EventConfig: unknown smoothing {self.smoothing!r} (known: {known})")
        for name in ("window_s", "sigma_s", "high", "min_duration_s", "merge_gap_s"):
            object.__setattr__(self, name, _finite(name, getattr(self, name)))
        if self.low is not None:
            object.__setattr__(self, "low", _finite("low", self.low))
            if self.low > self.high:
                raise ValidationError(f"EventConfig: low ({self.low}) must be <= high ({self.high})")
        for name in ("window_s", "sigma_s"):
            if getattr(self, name) <= 0:
                raise ValidationError(f"EventConfig: {name} must be > 0, got {getattr(self, name)}")
        for name in ("min_duration_s", "merge_gap_s"):
            if getattr(self, name) < 0:
                raise ValidationError(f"EventConfig: {name} must be >= 0, got {getattr(self, name)}")

    @property
    def low_threshold(self) -> float:
        """The hysteresis low threshold actually used: ``low``, or ``high`` when ``low`` is ``None``."""
        return self.high if self.low is None else self.low

    def at_threshold(self, threshold: float) -> EventConfig:
        """This configuration with ``high = threshold`` and ``low`` keeping its margin below ``high`` (the
        same hysteresis, moved to another threshold)."""
        low = None if self.low is None else threshold - (self.high - self.low)
        return replace(self, high=threshold, low=low)

    def window_frames(self, fps: float) -> int:
        """Frames spanned by the ``moving_average``/``median`` window: the odd integer nearest to
        ``window_s * fps`` (at even values, where two are equally near, the larger), so the window is centred
        on its frame: ``2 * floor(window_s * fps / 2) + 1``. E.g. 0.5 s at 29.97 fps (14.985) is 15 frames,
        1 s at 29.97 fps is 29, 1 s at 30 fps is 31."""
        return 2 * math.floor(self.window_s * checked_fps(fps) / 2 + FRAME_TOLERANCE) + 1

    def sigma_frames(self, fps: float) -> float:
        """Standard deviation of the ``gaussian`` kernel in frames: ``sigma_s * fps``."""
        return self.sigma_s * checked_fps(fps)

    def min_frames(self, fps: float) -> int:
        """Fewest frames an event may have: ``ceil(min_duration_s * fps)``, at least 1. An event of ``n``
        frames lasts ``n / fps`` seconds and is kept when that is ``>= min_duration_s``."""
        return max(1, math.ceil(self.min_duration_s * checked_fps(fps) - FRAME_TOLERANCE))

    def max_merged_gap(self, fps: float) -> int:
        """Largest gap, in frames, that merging bridges: the largest ``g`` with ``g / fps < merge_gap_s``,
        i.e. ``ceil(merge_gap_s * fps) - 1`` (0 when nothing merges: separate events have gaps >= 1)."""
        return max(0, math.ceil(self.merge_gap_s * checked_fps(fps) - FRAME_TOLERANCE) - 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (every field, ``low`` as ``null`` when it follows ``high``)."""
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EventConfig:
        """Inverse of :meth:`to_dict`; missing keys take their defaults, unknown keys are an error."""
        unknown = sorted(set(data) - {item.name for item in fields(cls)})
        if unknown:
            raise ValidationError(f"EventConfig: unknown keys {', '.join(unknown)}")
        return cls(**dict(data))
