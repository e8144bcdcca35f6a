"""Route geometry shared by normal pedestrians and anomaly scripts: where agents enter and leave, which lines
they walk on, where they step off the kerb."""

from __future__ import annotations

import numpy as np

from vadkit.synth.agents import PedestrianLook, pedestrian_look
from vadkit.synth.layouts import Layout, Sidewalk
from vadkit.synth.rules import ENTRY_MARGIN, PEDESTRIAN_HALF_WIDTH, WALK_SPEED

PEDESTRIAN_REACH = ENTRY_MARGIN + PEDESTRIAN_HALF_WIDTH
"""Distance beyond the frame edge at which pedestrians appear and disappear."""


def entry_u(layout: Layout, direction: int, reach: float = PEDESTRIAN_REACH) -> float:
    """``u`` where an agent moving along ``direction`` enters: ``reach`` beyond the edge behind it."""
    return -reach if direction > 0 else layout.length + reach


def exit_u(layout: Layout, direction: int, reach: float = PEDESTRIAN_REACH) -> float:
    """``u`` where an agent moving along ``direction`` leaves: ``reach`` beyond the edge ahead of it."""
    return entry_u(layout, -direction, reach)


def walk_v(rng: np.random.Generator, sidewalk: Sidewalk) -> float:
    """A walking line: a ``v`` uniform in the sidewalk's walking band."""
    return float(rng.uniform(*sidewalk.walk))


def kerb_v(sidewalk: Sidewalk) -> float:
    """The ``v`` of the walking band's edge next to the road, where crossings start and end."""
    return sidewalk.walk[1] if sidewalk.side < 0 else sidewalk.walk[0]


def direction(rng: np.random.Generator) -> int:
    """+1 or -1 with equal probability."""
    return 1 if rng.random() < 0.5 else -1


def walker(rng: np.random.Generator, bag_probability: float = 0.3) -> tuple[PedestrianLook, float]:
    """A pedestrian's look and walking speed (uniform in :data:`~vadkit.synth.rules.WALK_SPEED`)."""
    return pedestrian_look(rng, bag_probability), float(rng.uniform(*WALK_SPEED))


def point_along(layout: Layout, direction: int, fraction: float) -> float:
    """The ``u`` at ``fraction`` of the length, counted from the edge an agent moving along ``direction``
    comes from."""
    return fraction * layout.length if direction > 0 else (1 - fraction) * layout.length
