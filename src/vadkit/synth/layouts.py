"""Scene layouts: where the road, its lanes, the sidewalks, the crosswalks, benches and restricted areas are.

Geometry lives in **canonical coordinates** ``(u, v)``: ``u`` runs along the road, ``v`` across it, both in
pixels, ``0 <= u < length`` and ``0 <= v < across``. A horizontal layout maps ``(u, v)`` to image ``(x, y)``
unchanged; a vertical one maps it to ``(x, y) = (v, u)``. The simulation works in ``(u, v)``; sprites are
drawn upright in image coordinates (a slightly oblique camera), so a pedestrian's ``(u, v)`` is its feet.

Four layouts (:data:`LAYOUT_NAMES`), each varied per scene (band offsets, crosswalk and bench positions):

* ``two_way_street``: horizontal two-lane road, traffic keeps right (upper lane right to left, lower lane
  left to right), a sidewalk on each side, one crosswalk, a bench, buildings above and a lawn with a
  restricted area below;
* ``avenue``: the same on a vertical road (left lane downwards, right lane upwards);
* ``one_way_street``: horizontal road whose two lanes both run one way (the scene picks which), a wide lower
  sidewalk with two benches;
* ``plaza``: a horizontal two-way road with two crosswalks above a wide pedestrian plaza with benches and a
  fenced flower bed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from vadkit.synth.rules import HEIGHT, WIDTH

Axis = Literal["h", "v"]

LAYOUT_NAMES: tuple[str, ...] = ("two_way_street", "avenue", "one_way_street", "plaza")
"""Layouts in scene order: scene ``k`` (1-based) uses ``LAYOUT_NAMES[(k - 1) % 4]``."""

FURNITURE = 8
"""Width of the strip on a sidewalk's outer edge that holds benches; nobody walks there."""


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle ``[u0, u1) x [v0, v1)`` in canonical coordinates."""

    u0: int
    u1: int
    v0: int
    v1: int


@dataclass(frozen=True)
class Lane:
    """A traffic lane: the ``v`` of its centre line, its direction along ``u`` (+1 or -1), its name."""

    centre: float
    direction: int
    name: str


@dataclass(frozen=True)
class Sidewalk:
    """A pedestrian band ``v0 <= v < v1`` along the whole road; ``side`` is -1 on the small-``v`` side of the
    road, +1 on the other; pedestrians' feet stay within ``walk`` (the band minus kerb and furniture)."""

    v0: int
    v1: int
    walk: tuple[float, float]
    side: int
    name: str


@dataclass(frozen=True)
class Bench:
    """A bench on sidewalk ``sidewalk`` (an index into :attr:`Layout.sidewalks`); people who stop at it stand
    at ``spot`` ``(u, v)``."""

    rect: Rect
    sidewalk: int
    spot: tuple[float, float]


@dataclass(frozen=True)
class Layout:
    """The geometry of one scene."""

    name: str
    axis: Axis
    road: tuple[int, int]
    lanes: tuple[Lane, ...]
    sidewalks: tuple[Sidewalk, Sidewalk]
    crosswalks: tuple[tuple[int, int], ...]
    benches: tuple[Bench, ...]
    restricted: tuple[Rect, ...]
    verges: tuple[str, str]

    @property
    def length(self) -> int:
        """Extent along the road (``u``): the frame width for horizontal layouts, its height otherwise."""
        return WIDTH if self.axis == "h" else HEIGHT

    @property
    def across(self) -> int:
        """Extent across the road (``v``)."""
        return HEIGHT if self.axis == "h" else WIDTH

    def to_image(self, u: np.ndarray | float, v: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Canonical ``(u, v)`` -> image ``(x, y)`` (float arrays)."""
        u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
        return (u, v) if self.axis == "h" else (v, u)

    def image_step(self, dx: float, dy: float) -> tuple[float, float]:
        """An image displacement ``(dx, dy)`` as a canonical ``(du, dv)``."""
        return (dx, dy) if self.axis == "h" else (dy, dx)

    def on_road(self, v: np.ndarray | float) -> np.ndarray:
        """Whether ``v`` lies strictly between the two kerbs."""
        v = np.asarray(v, dtype=np.float64)
        return (v > self.road[0]) & (v < self.road[1])

    def crosswalk_distance(self, u: float) -> float:
        """Distance along ``u`` from ``u`` to the nearest crosswalk (0 inside one)."""
        return min(max(c0 - u, u - c1, 0.0) for c0, c1 in self.crosswalks)

    def direction_words(self, direction: int) -> str:
        """Motion along ``u`` with sign ``direction`` in image words, e.g. ``"from left to right"``."""
        if self.axis == "h":
            return "from left to right" if direction > 0 else "from right to left"
        return "from top to bottom" if direction > 0 else "from bottom to top"


def _sidewalk(v0: int, v1: int, side: int, name: str, furniture: int = FURNITURE) -> Sidewalk:
    walk = (v0 + furniture + 2.0, v1 - 3.0) if side < 0 else (v0 + 3.0, v1 - furniture - 2.0)
    return Sidewalk(v0, v1, walk, side, name)


def _bench(rng: np.random.Generator, sidewalk: Sidewalk, index: int, u_range: tuple[int, int]) -> Bench:
    u0 = int(rng.integers(*u_range))
    if sidewalk.side < 0:
        rect, spot_v = Rect(u0, u0 + 18, sidewalk.v0 + 1, sidewalk.v0 + 7), sidewalk.walk[0]
    else:
        rect, spot_v = Rect(u0, u0 + 18, sidewalk.v1 - 7, sidewalk.v1 - 1), sidewalk.walk[1]
    return Bench(rect, index, (u0 + 9.0, spot_v))


def _area(u0: int, length: int, v0: int, v1: int) -> Rect:
    return Rect(u0, u0 + length, v0, v1)


def _names(axis: Axis) -> tuple[str, str, str, str]:
    if axis == "h":
        return "upper sidewalk", "lower sidewalk", "upper lane", "lower lane"
    return "left sidewalk", "right sidewalk", "left lane", "right lane"


def _street(
    axis: Axis,
    top: int,
    sidewalk_widths: tuple[int, int],
    lane_width: int,
    directions: tuple[int, int],
    lower_furniture: int = FURNITURE,
    lower_name: str | None = None,
) -> tuple[Sidewalk, tuple[int, int], tuple[Lane, ...], Sidewalk]:
    """Upper sidewalk from ``v = top``, a road of two lanes, the lower sidewalk: the common cross-section."""
    upper_name, default_lower, first_lane, second_lane = _names(axis)
    upper = _sidewalk(top, top + sidewalk_widths[0], -1, upper_name)
    road = (upper.v1, upper.v1 + 2 * lane_width)
    lanes = (
        Lane(road[0] + lane_width / 2, directions[0], first_lane),
        Lane(road[0] + 1.5 * lane_width, directions[1], second_lane),
    )
    lower = _sidewalk(
        road[1], road[1] + sidewalk_widths[1], 1, lower_name or default_lower, furniture=lower_furniture
    )
    return upper, road, lanes, lower


def _two_way_street(rng: np.random.Generator) -> Layout:
    upper, road, lanes, lower = _street("h", 42 + int(rng.integers(-8, 9)), (28, 28), 26, (-1, 1))
    c0 = int(rng.integers(90, 141))
    bench = _bench(rng, upper, 0, (20, 60) if c0 > 110 else (170, 215))
    restricted = _area(int(rng.integers(20, 150)), 70, lower.v1 + 8, HEIGHT - 8)
    return Layout(
        "two_way_street",
        "h",
        road,
        lanes,
        (upper, lower),
        ((c0, c0 + 20),),
        (bench,),
        (restricted,),
        ("buildings", "lawn"),
    )


def _avenue(rng: np.random.Generator) -> Layout:
    upper, road, lanes, lower = _street("v", 70 + int(rng.integers(-10, 11)), (28, 28), 28, (1, -1))
    c0 = int(rng.integers(60, 113))
    bench = _bench(rng, lower, 1, (10, 35) if c0 > 80 else (140, 165))
    restricted = _area(int(rng.integers(30, 100)), 60, 10, upper.v0 - 10)
    return Layout(
        "avenue",
        "v",
        road,
        lanes,
        (upper, lower),
        ((c0, c0 + 20),),
        (bench,),
        (restricted,),
        ("lawn", "buildings"),
    )


def _one_way_street(rng: np.random.Generator) -> Layout:
    direction = 1 if rng.random() < 0.5 else -1
    upper, road, lanes, lower = _street(
        "h", 30 + int(rng.integers(-6, 7)), (26, 36), 22, (direction, direction)
    )
    c0 = int(rng.integers(100, 141))
    benches = (_bench(rng, lower, 1, (15, 70)), _bench(rng, lower, 1, (170, 220)))
    restricted = _area(int(rng.integers(60, 130)), 64, lower.v1 + 8, HEIGHT - 6)
    return Layout(
        "one_way_street",
        "h",
        road,
        lanes,
        (upper, lower),
        ((c0, c0 + 20),),
        benches,
        (restricted,),
        ("buildings", "lawn"),
    )


def _plaza(rng: np.random.Generator) -> Layout:
    top = 20 + int(rng.integers(-4, 5))
    upper, road, lanes, lower = _street(
        "h", top, (24, HEIGHT - top - 24 - 52), 26, (-1, 1), lower_furniture=26, lower_name="plaza"
    )
    first, second = int(rng.integers(30, 55)), int(rng.integers(175, 205))
    benches = (_bench(rng, lower, 1, (10, 40)), _bench(rng, lower, 1, (195, 225)))
    restricted = _area(int(rng.integers(85, 120)), 56, lower.v1 - 24, lower.v1 - 3)
    return Layout(
        "plaza",
        "h",
        road,
        lanes,
        (upper, lower),
        ((first, first + 20), (second, second + 20)),
        benches,
        (restricted,),
        ("buildings", "none"),
    )


_BUILDERS = {
    "two_way_street": _two_way_street,
    "avenue": _avenue,
    "one_way_street": _one_way_street,
    "plaza": _plaza,
}


def build_layout(name: str, rng: np.random.Generator) -> Layout:
    """The layout ``name`` (one of :data:`LAYOUT_NAMES`) with its per-scene variations drawn from ``rng``."""
    return _BUILDERS[name](rng)
