"""Agent sprites: the polygons (image coordinates, one colour each) that draw an agent at one frame.

The camera looks down slightly obliquely: pedestrians are drawn upright (16 pixels from feet to head, legs
swinging with the gait phase, the bag held at the right hand), rotated about their feet by their tilt when
they fall or fight; vehicles and bags are seen from above. Every pixel OpenCV fills for a polygon with integer
vertices lies inside the vertices' bounding box (:func:`shapes_box`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vadkit.synth.agents import Agent, BagLook, PedestrianLook, VehicleLook
from vadkit.synth.colours import RGB
from vadkit.synth.layouts import Layout


@dataclass(frozen=True)
class Shape:
    """A filled polygon: ``(k, 2)`` int32 vertices ``(x, y)`` in image coordinates, and its colour."""

    points: np.ndarray
    rgb: RGB


def _rectangle(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


_HEAD = [(2.5 * math.cos(a), -14 + 2.5 * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)]
_HAIR = [(-2.5, -14.0), (-2.0, -16.0), (0.0, -16.5), (2.0, -16.0), (2.5, -14.0)]
_TORSO = [(-4.0, -12.0), (4.0, -12.0), (3.0, -6.0), (-3.0, -6.0)]
_LEG = _rectangle(-2.5, -6.0, -0.5, 0.0)
_CARRIED_BAG = _rectangle(4.0, -9.0, 7.0, -4.0)
_BODY = np.array(_LEG + [(x + 3.0, y) for x, y in _LEG] + _TORSO + _HEAD + _HAIR + _CARRIED_BAG)
"""Local points ``(x, y)`` of an upright pedestrian (feet at the origin, y up is negative): left leg, right
leg, torso, head, hair, carried bag."""
_PARTS = (slice(0, 4), slice(4, 8), slice(8, 12), slice(12, 20), slice(20, 25), slice(25, 29))
"""Where :data:`_BODY`'s parts lie."""
_SWINGS = np.array([1.0] * 4 + [-1.0] * 4 + [0.0] * (len(_BODY) - 8))
"""How far each point moves per unit of leg swing (the legs move in opposite directions)."""


def _pedestrian(agent: Agent, i: int, x: float, y: float) -> list[Shape]:
    look = agent.look
    assert isinstance(look, PedestrianLook) and agent.phase is not None and agent.tilt is not None
    swing = 2.0 * math.sin(2 * math.pi * float(agent.phase[i]))
    angle = math.radians(float(agent.tilt[i]))
    cos, sin = math.cos(angle), math.sin(angle)
    local_x, local_y = _BODY[:, 0] + swing * _SWINGS, _BODY[:, 1]
    # rotation about the feet, clockwise on screen for a positive tilt (image y points down)
    points = np.empty(_BODY.shape, dtype=np.int32)
    points[:, 0] = np.rint(x + local_x * cos - local_y * sin)
    points[:, 1] = np.rint(y + local_x * sin + local_y * cos)
    legs_left, legs_right, torso, head, hair, carried = (points[part] for part in _PARTS)
    shapes = [
        Shape(legs_left, look.trousers),
        Shape(legs_right, look.trousers),
        Shape(torso, look.shirt.rgb),
        Shape(head, look.skin),
        Shape(hair, look.hair),
    ]
    if look.bag is not None and agent.carrying is not None and agent.carrying[i]:
        shapes.append(Shape(carried, look.bag.rgb))
    return shapes


def _darker(rgb: RGB, factor: float) -> RGB:
    return (int(rgb[0] * factor), int(rgb[1] * factor), int(rgb[2] * factor))


def _vehicle(agent: Agent, layout: Layout, x: float, y: float) -> list[Shape]:
    look = agent.look
    assert isinstance(look, VehicleLook)
    half_l, half_w = look.length / 2, look.width / 2
    d = agent.direction
    # along-axis intervals in the vehicle's frame: body, cabin roof, windscreen in front of the roof
    parts = [
        ((-half_l, half_l), (-half_w, half_w), look.body.rgb),
        (
            (-0.3 * half_l - 2 * d, 0.3 * half_l - 2 * d),
            (-half_w + 2, half_w - 2),
            _darker(look.body.rgb, 0.8),
        ),
        (
            sorted((0.3 * half_l * d - 2 * d, 0.55 * half_l * d - 2 * d)),
            (-half_w + 2, half_w - 2),
            (40, 50, 60),
        ),
    ]
    shapes = []
    for (a0, a1), (c0, c1), rgb in parts:
        if layout.axis == "h":
            box = _rectangle(x + a0, y + c0, x + a1 - 1, y + c1 - 1)
        else:
            box = _rectangle(x + c0, y + a0, x + c1 - 1, y + a1 - 1)
        shapes.append(Shape(np.rint(np.asarray(box)).astype(np.int32), rgb))
    return shapes


def agent_shapes(agent: Agent, t: int, layout: Layout) -> list[Shape]:
    """The polygons drawing ``agent`` at frame ``t`` (which must lie in its track), back to front."""
    i = t - agent.start
    x, y = (float(c) for c in layout.to_image(agent.u[i], agent.v[i]))
    if agent.kind == "pedestrian":
        return _pedestrian(agent, i, x, y)
    if agent.kind == "vehicle":
        return _vehicle(agent, layout, x, y)
    look = agent.look
    assert isinstance(look, BagLook)
    return [
        Shape(np.rint(np.asarray(_rectangle(x - 2.5, y - 4.0, x + 2.5, y))).astype(np.int32), look.colour.rgb)
    ]


def depth(agent: Agent, t: int, layout: Layout) -> float:
    """Drawing order key at frame ``t``: the image ``y`` of the agent's lowest ground point (nearer to the
    camera is larger and drawn later)."""
    i = t - agent.start
    _, y = layout.to_image(agent.u[i], agent.v[i])
    if agent.kind == "vehicle" and isinstance(agent.look, VehicleLook):
        return float(y) + (agent.look.width if layout.axis == "h" else agent.look.length) / 2
    return float(y)


def shapes_box(shapes: list[Shape]) -> tuple[int, int, int, int]:
    """Inclusive pixel bounding box ``(x_min, y_min, x_max, y_max)`` of the shapes' vertices."""
    points = np.concatenate([shape.points for shape in shapes])
    low, high = points.min(axis=0), points.max(axis=0)
    return int(low[0]), int(low[1]), int(high[0]), int(high[1])
