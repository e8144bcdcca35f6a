"""Drawing a world's frames, and the pixels and boxes of single agents (the ground truth's evidence).

Agents are drawn back to front (by the image ``y`` of their lowest ground point) on a copy of the padded
background with OpenCV polygon filling (8-connected, no antialiasing), then the camera crops, lights and
adds noise (:mod:`vadkit.synth.camera`).
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from vadkit.synth.rules import CANVAS_PAD, HEIGHT, WIDTH
from vadkit.synth.sprites import Shape, agent_shapes, depth, shapes_box
from vadkit.synth.textures import render_background
from vadkit.synth.world import World


def _fill(canvas: np.ndarray, shapes: list[Shape], value: tuple[int, ...] | None = None) -> None:
    for shape in shapes:
        colour = shape.rgb if value is None else value
        cv2.fillPoly(canvas, [shape.points + CANVAS_PAD], colour, lineType=cv2.LINE_8)


def render_frames(world: World) -> Iterator[np.ndarray]:
    """The video's frames, ``(HEIGHT, WIDTH, 3)`` uint8 RGB, in order."""
    layout = world.scene.layout
    background = render_background(world.scene)
    present: list[list[int]] = [[] for _ in range(world.num_frames)]
    for index, agent in enumerate(world.agents):
        for t in range(max(agent.start, 0), min(agent.end, world.num_frames)):
            present[t].append(index)
    for t, grain in enumerate(world.camera.noise_fields(world.num_frames)):
        canvas = background.copy()
        for index in sorted(present[t], key=lambda i: (depth(world.agents[i], t, layout), i)):
            _fill(canvas, agent_shapes(world.agents[index], t, layout))
        yield world.camera.expose(canvas, t, grain)


def _drawn(world: World, index: int, t: int) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Agent ``index`` drawn alone at frame ``t`` on a padded canvas of 0s, exactly as :func:`render_frames`
    draws it, and the canvas box ``(x0, y0, x1, y1)`` (inclusive) of its polygons' vertices; ``None`` when it
    is not in the scene."""
    agent = world.agents[index]
    if not agent.start <= t < agent.end:
        return None
    shapes = agent_shapes(agent, t, world.scene.layout)
    canvas = np.zeros((HEIGHT + 2 * CANVAS_PAD, WIDTH + 2 * CANVAS_PAD), dtype=np.uint8)
    _fill(canvas, shapes, (1,))
    x0, y0, x1, y1 = shapes_box(shapes)
    return canvas, (x0 + CANVAS_PAD, y0 + CANVAS_PAD, x1 + CANVAS_PAD, y1 + CANVAS_PAD)


def agent_mask(world: World, index: int, t: int) -> np.ndarray:
    """``(HEIGHT, WIDTH)`` bool mask of the pixels agent ``index`` covers in frame ``t`` when drawn alone; all
    false when it is not in the scene then."""
    drawn = _drawn(world, index, t)
    if drawn is None:
        return np.zeros((HEIGHT, WIDTH), dtype=bool)
    return world.camera.crop(drawn[0], t).astype(bool)


def agent_box(world: World, index: int, t: int) -> tuple[int, int, int, int] | None:
    """Inclusive box ``(x_min, y_min, x_max, y_max)`` of the pixels agent ``index`` covers in frame ``t``: the
    bounding box of :func:`agent_mask`, searched only where the agent's polygons lie; ``None`` when it is not
    in the scene or has no pixel in the frame."""
    drawn = _drawn(world, index, t)
    if drawn is None:
        return None
    canvas, (x0, y0, x1, y1) = drawn
    # the frame shows canvas columns left .. left + WIDTH - 1 and rows top .. top + HEIGHT - 1
    left, top = CANVAS_PAD + int(world.camera.jitter[t, 0]), CANVAS_PAD + int(world.camera.jitter[t, 1])
    x0, y0 = max(x0, left), max(y0, top)
    x1, y1 = min(x1, left + WIDTH - 1), min(y1, top + HEIGHT - 1)
    if x0 > x1 or y0 > y1:
        return None
    window = canvas[y0 : y1 + 1, x0 : x1 + 1]
    rows, columns = np.flatnonzero(window.any(axis=1)), np.flatnonzero(window.any(axis=0))
    if rows.size == 0:
        return None
    return (
        x0 - left + int(columns[0]),
        y0 - top + int(rows[0]),
        x0 - left + int(columns[-1]),
        y0 - top + int(rows[-1]),
    )
