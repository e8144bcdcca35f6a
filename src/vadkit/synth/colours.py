"""Named colour palettes of the agents: every drawn colour has a name the descriptions can use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]

SHIRT_COLOURS: Mapping[str, RGB] = {
    "red": (200, 40, 40),
    "orange": (230, 130, 30),
    "yellow": (225, 205, 40),
    "green": (50, 150, 60),
    "blue": (40, 80, 200),
    "purple": (130, 60, 170),
    "pink": (230, 120, 170),
    "white": (235, 235, 235),
    "black": (25, 25, 25),
    "grey": (128, 128, 128),
    "brown": (120, 75, 40),
    "cyan": (40, 190, 200),
}
"""Shirt colours of pedestrians (normal and anomalous agents draw from the same palette)."""

VEHICLE_COLOURS: Mapping[str, RGB] = {
    "white": (230, 230, 230),
    "black": (30, 30, 35),
    "silver": (185, 188, 195),
    "red": (190, 35, 35),
    "blue": (35, 70, 180),
    "green": (40, 120, 60),
    "yellow": (220, 190, 40),
    "grey": (110, 110, 115),
}
"""Vehicle body colours (normal and anomalous vehicles draw from the same palette)."""

BAG_COLOURS: Mapping[str, RGB] = {
    "black": (20, 20, 20),
    "brown": (110, 65, 30),
    "red": (180, 30, 40),
    "blue": (30, 60, 160),
    "green": (30, 110, 50),
    "orange": (220, 110, 20),
}
"""Colours of bags, carried or put down."""

TROUSER_COLOURS: tuple[RGB, ...] = ((40, 40, 60), (60, 50, 40), (30, 30, 30), (70, 80, 110), (90, 90, 90))
SKIN_COLOURS: tuple[RGB, ...] = ((240, 200, 170), (200, 150, 110), (150, 100, 70), (100, 65, 45))


@dataclass(frozen=True)
class Colour:
    """A drawn colour: its palette name (used in descriptions) and its RGB value (the palette's, varied by a
    few levels so that no two agents are exactly alike)."""

    name: str
    rgb: RGB


def vary(rng: np.random.Generator, rgb: RGB, spread: int = 12) -> RGB:
    """``rgb`` with each channel moved by up to ``spread`` levels (uniform), clipped to 0..255."""
    moved = np.clip(np.asarray(rgb) + rng.integers(-spread, spread + 1, size=3), 0, 255)
    return (int(moved[0]), int(moved[1]), int(moved[2]))


def pick(rng: np.random.Generator, palette: Mapping[str, RGB]) -> Colour:
    """A uniformly chosen named colour of ``palette``, slightly varied."""
    names = sorted(palette)
    name = names[int(rng.integers(len(names)))]
    return Colour(name, vary(rng, palette[name]))


def pick_plain(rng: np.random.Generator, choices: tuple[RGB, ...]) -> RGB:
    """A uniformly chosen unnamed colour of ``choices``, slightly varied."""
    return vary(rng, choices[int(rng.integers(len(choices)))], spread=8)
