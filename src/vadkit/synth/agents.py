"""Agents of the synthetic world (pedestrians, vehicles, bags): how they look and where they are per frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from vadkit.synth import colours
from vadkit.synth.colours import RGB, Colour
from vadkit.synth.motion import Path, gait_phase
from vadkit.synth.rules import VEHICLE_LENGTH, VEHICLE_WIDTH

Kind = Literal["pedestrian", "vehicle", "bag"]

NORMAL = "normal"
"""Role of an agent that takes part in no anomaly."""

FOOTPRINT = 3.0
"""Half size of the ground footprint of a pedestrian or a bag (pixels), used to keep agents apart."""


@dataclass(frozen=True)
class PedestrianLook:
    """Colours of a pedestrian; ``bag`` is the colour of the bag they carry, ``None`` without one."""

    shirt: Colour
    trousers: RGB
    skin: RGB
    hair: RGB
    bag: Colour | None


@dataclass(frozen=True)
class VehicleLook:
    """Body colour and size (``length`` along the direction of travel, ``width`` across it) of a vehicle."""

    body: Colour
    length: int
    width: int


@dataclass(frozen=True)
class BagLook:
    """Colour of an object standing on the ground."""

    colour: Colour


Look = PedestrianLook | VehicleLook | BagLook


def pedestrian_look(rng: np.random.Generator, bag_probability: float = 0.3) -> PedestrianLook:
    """A pedestrian's colours; with ``bag_probability`` they carry a bag."""
    shirt = colours.pick(rng, colours.SHIRT_COLOURS)
    trousers = colours.pick_plain(rng, colours.TROUSER_COLOURS)
    skin = colours.pick_plain(rng, colours.SKIN_COLOURS)
    hair = colours.vary(rng, (40, 30, 25), 20)
    bag = colours.pick(rng, colours.BAG_COLOURS) if rng.random() < bag_probability else None
    return PedestrianLook(shirt, trousers, skin, hair, bag)


def vehicle_look(rng: np.random.Generator) -> VehicleLook:
    """A vehicle's colour and size, from the one distribution every vehicle uses."""
    body = colours.pick(rng, colours.VEHICLE_COLOURS)
    length = int(rng.integers(VEHICLE_LENGTH[0], VEHICLE_LENGTH[1] + 1))
    width = int(rng.integers(VEHICLE_WIDTH[0], VEHICLE_WIDTH[1] + 1))
    return VehicleLook(body, length, width)


@dataclass(frozen=True)
class Agent:
    """One agent's track: canonical position ``(u, v)`` at frames ``start .. start + len(u) - 1``.

    ``u, v`` are the feet of a pedestrian, the ground point of a bag, the centre of a vehicle. ``role`` is
    :data:`NORMAL` or the anomaly class the agent plays in. ``direction`` is a vehicle's heading along ``u``
    (its windscreen side). Pedestrians have ``phase`` (gait cycles), ``tilt`` (body angle in degrees: 0
    upright, +-90 lying) and ``carrying`` (whether they hold their bag at each frame).
    """

    kind: Kind
    start: int
    u: np.ndarray
    v: np.ndarray
    look: Look
    role: str = NORMAL
    direction: int = 1
    phase: np.ndarray | None = None
    tilt: np.ndarray | None = None
    carrying: np.ndarray | None = None

    @property
    def end(self) -> int:
        """One past the last frame of the track."""
        return self.start + int(self.u.shape[0])

    @property
    def duration(self) -> int:
        """Number of frames in the track."""
        return int(self.u.shape[0])

    def half_size(self) -> tuple[float, float]:
        """Half extents ``(along u, along v)`` of the agent's ground footprint."""
        if isinstance(self.look, VehicleLook):
            return self.look.length / 2, self.look.width / 2
        return FOOTPRINT, FOOTPRINT


def pedestrian(path: Path, look: PedestrianLook, role: str = NORMAL, phase_offset: float = 0.0) -> Agent:
    """An upright pedestrian following ``path`` (carrying their bag, if any, throughout)."""
    frames = path.u.shape[0]
    return Agent(
        "pedestrian",
        path.start,
        path.u,
        path.v,
        look,
        role,
        phase=gait_phase(path.u, path.v, phase_offset),
        tilt=np.zeros(frames),
        carrying=np.full(frames, look.bag is not None),
    )


def vehicle(path: Path, look: VehicleLook, direction: int, role: str = NORMAL) -> Agent:
    """A vehicle following ``path`` with its windscreen towards ``direction`` along ``u``."""
    return Agent("vehicle", path.start, path.u, path.v, look, role, direction=direction)


def bag(start: int, end: int, at: tuple[float, float], colour: Colour, role: str = NORMAL) -> Agent:
    """A bag standing at ``at`` from frame ``start`` to ``end`` (exclusive)."""
    frames = max(end - start, 0)
    return Agent("bag", start, np.full(frames, at[0]), np.full(frames, at[1]), BagLook(colour), role)


def overlap(a: Agent, b: Agent, margin: float) -> bool:
    """Whether the ground footprints of ``a`` and ``b``, grown by ``margin``, intersect at a common frame."""
    lo, hi = max(a.start, b.start), min(a.end, b.end)
    if lo >= hi:
        return False
    ia, ib = slice(lo - a.start, hi - a.start), slice(lo - b.start, hi - b.start)
    (ha_u, ha_v), (hb_u, hb_v) = a.half_size(), b.half_size()
    close_u = np.abs(a.u[ia] - b.u[ib]) < ha_u + hb_u + margin
    close_v = np.abs(a.v[ia] - b.v[ib]) < ha_v + hb_v + margin
    return bool(np.any(close_u & close_v))
