"""A scene's static background: surfaces with seeded noise textures, paving joints, road markings, lane
arrows, zebra crossings, benches, roofs, lawns and a fenced restricted area.

Drawn once per video in canonical coordinates (rows ``v``, columns ``u``, plus a margin of
:data:`~vadkit.synth.rules.CANVAS_PAD` on every side for camera jitter), then transposed for vertical layouts.
Everything is vectorised numpy (slices, masks) or OpenCV polygon filling without antialiasing.
"""

from __future__ import annotations

import cv2
import numpy as np

from vadkit.synth.colours import RGB
from vadkit.synth.layouts import Layout, Rect
from vadkit.synth.rules import CANVAS_PAD
from vadkit.synth.scenes import Scene

P = CANVAS_PAD


def _noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Smooth zero-mean noise of unit scale with features about ``cell`` pixels across."""
    coarse = rng.normal(size=(shape[0] // cell + 2, shape[1] // cell + 2)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def _fill(canvas: np.ndarray, u0: float, u1: float, v0: float, v1: float, rgb: RGB | np.ndarray) -> None:
    """Paint canonical ``[u0, u1) x [v0, v1)`` (clipped to the canvas)."""
    r0, r1 = max(int(v0) + P, 0), min(int(v1) + P, canvas.shape[0])
    c0, c1 = max(int(u0) + P, 0), min(int(u1) + P, canvas.shape[1])
    if r1 > r0 and c1 > c0:
        canvas[r0:r1, c0:c1] = rgb


def _surface(canvas: np.ndarray, rng: np.random.Generator, v0: int, v1: int, rgb: RGB, grain: float) -> None:
    """A band across the whole length: base colour with smooth and fine noise."""
    r0, r1 = max(v0 + P, 0), min(v1 + P, canvas.shape[0])
    if r1 <= r0:
        return
    shape = (r1 - r0, canvas.shape[1])
    texture = 0.6 * grain * _noise(rng, shape, 16) + 0.4 * grain * rng.normal(size=shape).astype(np.float32)
    canvas[r0:r1] = np.clip(np.asarray(rgb, dtype=np.float32) + texture[..., None], 0, 255)


def _joints(canvas: np.ndarray, v0: int, v1: int, tile: int, phase: int) -> None:
    """Darken paving joints every ``tile`` pixels in both directions inside the band ``[v0, v1)``."""
    band = canvas[v0 + P : v1 + P]
    rows = (np.arange(band.shape[0]) + phase) % tile == 0
    cols = (np.arange(band.shape[1]) + phase) % tile == 0
    mask = rows[:, None] | cols[None, :]
    band[mask] = (band[mask] * 0.82).astype(np.float32)


def _roofs(canvas: np.ndarray, rng: np.random.Generator, v0: int, v1: int, rgb: RGB) -> None:
    """Building roofs of random widths along a verge, separated by dark gaps."""
    u = -P
    while u < canvas.shape[1]:
        width = int(rng.integers(30, 70))
        shade = np.clip(np.asarray(rgb) + rng.integers(-25, 26), 0, 255)
        _fill(canvas, u, u + width - 2, v0, v1, shade)
        _fill(canvas, u + width - 2, u + width, v0, v1, (45, 45, 45))
        ridge = (v0 + v1) // 2
        _fill(canvas, u, u + width - 2, ridge, ridge + 1, np.clip(shade * 0.8, 0, 255))
        u += width


def _arrow(canvas: np.ndarray, u: float, v: float, direction: int, rgb: RGB) -> None:
    """A lane arrow pointing along ``direction``: a stem and a triangular head."""
    _fill(canvas, u - 6, u + 5, v - 1, v + 1, rgb)
    tip = u + 10 * direction
    base = u + 4 * direction
    head = np.array([[tip, v], [base, v - 4], [base, v + 4]]) + P
    cv2.fillPoly(canvas, [np.rint(head).astype(np.int32)], rgb, lineType=cv2.LINE_8)


def _markings(canvas: np.ndarray, layout: Layout, rgb: RGB) -> None:
    road0, road1 = layout.road
    _fill(canvas, -P, layout.length + P, road0 + 2, road0 + 3, rgb)
    _fill(canvas, -P, layout.length + P, road1 - 3, road1 - 2, rgb)
    middle = (layout.lanes[0].centre + layout.lanes[1].centre) / 2
    for u in range(-P, layout.length + P, 18):
        _fill(canvas, u, u + 10, middle - 1, middle + 1, rgb)
    for lane in layout.lanes:
        for fraction in (0.2, 0.8):
            u = fraction * layout.length
            if layout.crosswalk_distance(u) > 16:
                _arrow(canvas, u, lane.centre, lane.direction, rgb)
    for c0, c1 in layout.crosswalks:
        _fill(canvas, c0, c1, road0, road1, canvas[road0 + P, c0 + P])
        for v in range(road0 + 2, road1 - 2, 6):
            _fill(canvas, c0, c1, v, v + 3, rgb)


def _bench(canvas: np.ndarray, rect: Rect, rgb: RGB) -> None:
    _fill(canvas, rect.u0, rect.u1, rect.v0, rect.v1, np.asarray(rgb) * 0.6)
    _fill(canvas, rect.u0 + 1, rect.u1 - 1, rect.v0 + 1, rect.v1 - 1, rgb)
    _fill(
        canvas,
        rect.u0 + 1,
        rect.u1 - 1,
        (rect.v0 + rect.v1) // 2,
        (rect.v0 + rect.v1) // 2 + 1,
        np.asarray(rgb) * 0.75,
    )


def _restricted(canvas: np.ndarray, rect: Rect, lawn: RGB) -> None:
    """A flower bed with a red-and-white dashed fence."""
    _fill(canvas, rect.u0, rect.u1, rect.v0, rect.v1, np.asarray(lawn) * 0.7)
    r0, r1, c0, c1 = rect.v0 + P, rect.v1 + P, rect.u0 + P, rect.u1 + P
    fence = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    fence[[0, 1, -2, -1], :] = True
    fence[:, [0, 1, -2, -1]] = True
    dashes = ((np.arange(r1 - r0)[:, None] + np.arange(c1 - c0)[None, :]) // 4) % 2 == 0
    area = canvas[r0:r1, c0:c1]
    area[fence & dashes] = (200, 30, 30)
    area[fence & ~dashes] = (240, 240, 240)
    dots = (np.arange(r1 - r0)[:, None] % 5 == 2) & (np.arange(c1 - c0)[None, :] % 6 == 3)
    area[dots & ~fence] = (220, 90, 160)


def render_background(scene: Scene) -> np.ndarray:
    """The scene's background as an ``(HEIGHT + 2P, WIDTH + 2P, 3)`` uint8 RGB image (``P`` the canvas
    pad)."""
    layout, surfaces = scene.layout, scene.surfaces
    rng = np.random.default_rng(scene.texture_seed)
    canvas = np.zeros((layout.across + 2 * P, layout.length + 2 * P, 3), dtype=np.float32)
    upper, lower = layout.sidewalks
    verge_colours = {"buildings": surfaces.roof, "lawn": surfaces.lawn, "none": surfaces.plaza}
    _surface(canvas, rng, -P, upper.v0, verge_colours[layout.verges[0]], 10)
    _surface(canvas, rng, upper.v0, upper.v1, surfaces.paving, 6)
    _surface(canvas, rng, layout.road[0], layout.road[1], surfaces.asphalt, 5)
    plaza = lower.name == "plaza"
    _surface(canvas, rng, lower.v0, lower.v1, surfaces.plaza if plaza else surfaces.paving, 6)
    _surface(canvas, rng, lower.v1, layout.across + P, verge_colours[layout.verges[1]], 10)
    _joints(canvas, upper.v0, upper.v1, surfaces.tile, 0)
    _joints(canvas, lower.v0, lower.v1, 2 * surfaces.tile if plaza else surfaces.tile, 3)
    for side, verge in zip(((-P, upper.v0), (lower.v1, layout.across + P)), layout.verges, strict=True):
        if verge == "buildings":
            _roofs(canvas, rng, side[0], side[1] - 2, surfaces.roof)
    _fill(canvas, -P, layout.length + P, layout.road[0] - 1, layout.road[0] + 1, (200, 200, 195))
    _fill(canvas, -P, layout.length + P, layout.road[1] - 1, layout.road[1] + 1, (200, 200, 195))
    _markings(canvas, layout, surfaces.marking)
    for bench in layout.benches:
        _bench(canvas, bench.rect, surfaces.bench)
    for rect in layout.restricted:
        _restricted(canvas, rect, surfaces.lawn)
    image = np.clip(canvas + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image if layout.axis == "h" else image.transpose(1, 0, 2))
