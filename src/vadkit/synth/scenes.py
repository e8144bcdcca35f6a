"""Scenes: a layout with its own surface colours, texture seed, sensor noise and traffic densities.

Scene ids are ``"01"``, ``"02"``... (ShanghaiTech style); scene ``k`` uses layout
``LAYOUT_NAMES[(k - 1) % 4]``, so scenes of one layout differ in geometry offsets, colours, textures and
densities. The last ``held_out`` scenes are held out of the training and validation splits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vadkit.synth.colours import RGB, vary
from vadkit.synth.layouts import LAYOUT_NAMES, Layout, build_layout


@dataclass(frozen=True)
class Surfaces:
    """Base colours of a scene's surfaces and the size of its paving tiles."""

    asphalt: RGB
    paving: RGB
    plaza: RGB
    lawn: RGB
    roof: RGB
    marking: RGB
    bench: RGB
    tile: int


@dataclass(frozen=True)
class Scene:
    """One fixed camera view.

    ``texture_seed`` seeds its textures (every video of the scene shows the same background);
    ``noise_sigma`` is the standard deviation of its sensor noise (grey levels); ``vehicle_gap_s`` and
    ``pedestrian_gap_s`` are the mean times between arrivals of vehicles per lane and of pedestrians.
    """

    scene_id: str
    layout: Layout
    held_out: bool
    surfaces: Surfaces
    texture_seed: int
    noise_sigma: float
    vehicle_gap_s: float
    pedestrian_gap_s: float


def _surfaces(rng: np.random.Generator) -> Surfaces:
    grey = int(rng.integers(70, 100))
    return Surfaces(
        asphalt=vary(rng, (grey, grey, grey + 4), 6),
        paving=vary(rng, (175, 170, 160), 18),
        plaza=vary(rng, (185, 150, 120), 20),
        lawn=vary(rng, (80, 135, 60), 18),
        roof=vary(rng, (120, 110, 105), 25),
        marking=vary(rng, (235, 235, 225), 8),
        bench=vary(rng, (120, 80, 45), 15),
        tile=int(rng.integers(7, 13)),
    )


def make_scene(index: int, num_scenes: int, held_out: int, seed: int) -> Scene:
    """Scene number ``index`` (1-based) of a dataset of ``num_scenes`` scenes whose last ``held_out`` are held
    out; everything about it is drawn from ``seed`` and ``index`` alone."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2, index]))
    layout = build_layout(LAYOUT_NAMES[(index - 1) % len(LAYOUT_NAMES)], rng)
    return Scene(
        scene_id=f"{index:02d}",
        layout=layout,
        held_out=index > num_scenes - held_out,
        surfaces=_surfaces(rng),
        texture_seed=int(rng.integers(2**31)),
        noise_sigma=float(rng.uniform(1.0, 2.5)),
        vehicle_gap_s=float(rng.uniform(3.0, 6.0)),
        pedestrian_gap_s=float(rng.uniform(1.2, 2.5)),
    )


def make_scenes(num_scenes: int, held_out: int, seed: int) -> tuple[Scene, ...]:
    """All scenes of a dataset, in id order."""
    return tuple(make_scene(index, num_scenes, held_out, seed) for index in range(1, num_scenes + 1))
