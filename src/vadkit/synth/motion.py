"""Motion along piecewise-straight routes, sampled at whole frames.

A route is a start point and a list of steps: :class:`Leg` (walk or drive straight to a point at a speed) and
:class:`Pause` (stand still). :func:`follow` turns it into per-frame positions; :func:`gait_phase` derives
the walking cycle from the distance covered, so a faster walker's legs move faster.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vadkit.synth.rules import RUN_SPEED_MIN, RUN_STRIDE, WALK_STRIDE

Point = tuple[float, float]


@dataclass(frozen=True)
class Leg:
    """Move in a straight line to ``target`` ``(u, v)`` at ``speed`` pixels per frame."""

    target: Point
    speed: float


@dataclass(frozen=True)
class Pause:
    """Stand still for ``frames`` frames (may be fractional)."""

    frames: float


@dataclass(frozen=True)
class Path:
    """Positions at frames ``start, start + 1, ...``; ``knots`` are the (fractional) times at which each step
    of the route ended, so scripts can find when a waypoint was reached."""

    start: int
    u: np.ndarray
    v: np.ndarray
    knots: tuple[float, ...]

    @property
    def end(self) -> int:
        """One past the last frame."""
        return self.start + int(self.u.shape[0])


def follow(t0: float, origin: Point, steps: Sequence[Leg | Pause]) -> Path:
    """Positions of an agent that is at ``origin`` at time ``t0`` (frames, fractional) and takes ``steps``.

    The path covers every whole frame from ``ceil(t0)`` to the end of the last step; between the ends of
    steps the position is interpolated linearly in time. Zero-length steps are skipped.
    """
    times, us, vs = [float(t0)], [float(origin[0])], [float(origin[1])]
    knots = []
    for step in steps:
        if isinstance(step, Pause):
            duration, target = float(step.frames), (us[-1], vs[-1])
        else:
            duration = math.hypot(step.target[0] - us[-1], step.target[1] - vs[-1]) / step.speed
            target = (float(step.target[0]), float(step.target[1]))
        if duration > 0:
            times.append(times[-1] + duration)
            us.append(target[0])
            vs.append(target[1])
        knots.append(times[-1])
    frames = np.arange(math.ceil(times[0]), math.floor(times[-1]) + 1, dtype=np.float64)
    return Path(
        int(frames[0]) if frames.size else math.ceil(times[0]),
        np.interp(frames, times, us),
        np.interp(frames, times, vs),
        tuple(knots),
    )


def gait_phase(u: np.ndarray, v: np.ndarray, offset: float = 0.0) -> np.ndarray:
    """Walking-cycle phase (in cycles) at each frame: the distance covered divided by the stride, the stride
    being :data:`~vadkit.synth.rules.RUN_STRIDE` for steps at running speed and
    :data:`~vadkit.synth.rules.WALK_STRIDE` otherwise; starts at ``offset``."""
    step = np.hypot(np.diff(u, prepend=u[:1]), np.diff(v, prepend=v[:1]))
    stride = np.where(step >= RUN_SPEED_MIN, RUN_STRIDE, WALK_STRIDE)
    return offset + np.cumsum(step / stride)
