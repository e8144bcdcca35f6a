"""Normal pedestrians: walking along a sidewalk, crossing at a crosswalk when the traffic leaves a gap,
stopping briefly at a bench (sometimes putting their bag down and picking it up again), or meeting someone and
standing together for a moment. These are the normal forms of the anomalies' ingredients.

No normal pedestrian stays in the scene longer than :data:`~vadkit.synth.rules.NORMAL_DWELL_MAX_S`: a route
that would take longer is not used.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from vadkit.synth.agents import Agent, bag, pedestrian
from vadkit.synth.layouts import Layout
from vadkit.synth.motion import Leg, Pause, follow
from vadkit.synth.routes import direction, entry_u, exit_u, kerb_v, point_along, walk_v, walker
from vadkit.synth.rules import (
    BENCH_STOP_S,
    CROSSING_MAX_WAIT_S,
    MEET_STOP_S,
    NORMAL_DWELL_MAX_S,
    seconds,
)
from vadkit.synth.traffic import Traffic

Group = tuple[Agent, ...]
"""Agents that come and go together (a person and the bag they put down, two people who meet)."""

BAG_PUT_DOWN_PROBABILITY = 0.5
"""Chance that a pedestrian with a bag who stops at a bench puts it down (and picks it up again)."""


def _walk(layout: Layout, traffic: Traffic, rng: np.random.Generator, t: float) -> Group | None:
    sidewalk = layout.sidewalks[int(rng.integers(2))]
    d, (look, speed) = direction(rng), walker(rng)
    path = follow(
        t,
        (entry_u(layout, d), walk_v(rng, sidewalk)),
        [Leg((exit_u(layout, d), walk_v(rng, sidewalk)), speed)],
    )
    return (pedestrian(path, look),)


def _bench(layout: Layout, traffic: Traffic, rng: np.random.Generator, t: float) -> Group | None:
    if not layout.benches:
        return None
    bench = layout.benches[int(rng.integers(len(layout.benches)))]
    sidewalk = layout.sidewalks[bench.sidewalk]
    d, (look, speed) = direction(rng), walker(rng)
    line, (su, sv) = walk_v(rng, sidewalk), bench.spot
    stop = seconds(rng.uniform(*BENCH_STOP_S))
    steps = [
        Leg((su - 10 * d, line), speed),
        Leg((su, sv), speed),
        Pause(stop),
        Leg((su + 10 * d, line), speed),
    ]
    path = follow(t, (entry_u(layout, d), line), [*steps, Leg((exit_u(layout, d), line), speed)])
    person = pedestrian(path, look)
    if look.bag is None or rng.random() >= BAG_PUT_DOWN_PROBABILITY:
        return (person,)
    put, pick = math.ceil(path.knots[1]) + 3, math.floor(path.knots[2]) - 3
    if pick <= put:
        return (person,)
    carrying = person.carrying.copy()
    carrying[put - person.start : pick - person.start] = False
    du, dv = layout.image_step(6, 0)
    left = bag(put, pick, (su + du, sv + dv), look.bag)
    return dataclasses.replace(person, carrying=carrying), left


def _cross(layout: Layout, traffic: Traffic, rng: np.random.Generator, t: float) -> Group | None:
    c0, c1 = layout.crosswalks[int(rng.integers(len(layout.crosswalks)))]
    u = float(rng.uniform(c0 + 4, c1 - 4))
    first = int(rng.integers(2))
    start, end = layout.sidewalks[first], layout.sidewalks[1 - first]
    d_in, d_out, (look, speed) = direction(rng), direction(rng), walker(rng)
    line_in, line_out = walk_v(rng, start), walk_v(rng, end)
    approach = [Leg((u, line_in), speed), Leg((u, kerb_v(start)), speed)]
    origin = (entry_u(layout, d_in), line_in)
    arrive = follow(t, origin, approach).knots[-1]
    leave = traffic.crossing_start(u, kerb_v(start), kerb_v(end), speed, arrive, seconds(CROSSING_MAX_WAIT_S))
    if leave is None:
        return None
    steps = [
        *approach,
        Pause(leave - arrive),
        Leg((u, kerb_v(end)), speed),
        Leg((u, line_out), speed),
        Leg((exit_u(layout, d_out), line_out), speed),
    ]
    return (pedestrian(follow(t, origin, steps), look),)


def _meet(layout: Layout, traffic: Traffic, rng: np.random.Generator, t: float) -> Group | None:
    sidewalk = layout.sidewalks[int(rng.integers(2))]
    meet_u, line = point_along(layout, 1, float(rng.uniform(0.3, 0.7))), walk_v(rng, sidewalk)
    stop = seconds(rng.uniform(*MEET_STOP_S))
    people = []
    for d, offset in ((1, -4.0), (-1, 4.0)):
        look, speed = walker(rng)
        spot = (meet_u + offset, line + offset / 4)
        origin = (entry_u(layout, d), line)
        t0 = t - math.hypot(spot[0] - origin[0], spot[1] - origin[1]) / speed
        path = follow(t0, origin, [Leg(spot, speed), Pause(stop), Leg((exit_u(layout, d), line), speed)])
        people.append(pedestrian(path, look))
    return tuple(people)


ROUTES: tuple[
    tuple[str, float, Callable[[Layout, Traffic, np.random.Generator, float], Group | None]], ...
] = (
    ("walk", 0.5, _walk),
    ("cross", 0.25, _cross),
    ("bench", 0.15, _bench),
    ("meet", 0.10, _meet),
)
"""Normal route kinds, their probabilities and builders."""


def spawn_pedestrians(
    layout: Layout, traffic: Traffic, rng: np.random.Generator, t_from: float, t_to: float, mean_gap_s: float
) -> list[Group]:
    """Normal pedestrian groups arriving between ``t_from`` and ``t_to`` (frames) with exponential gaps of
    mean ``mean_gap_s`` seconds; routes that are infeasible (no gap in the traffic within the longest wait) or
    longer than the normal dwell limit are left out."""
    weights = np.array([weight for _, weight, _ in ROUTES])
    limit = seconds(NORMAL_DWELL_MAX_S)
    groups: list[Group] = []
    t = t_from
    while True:
        t += rng.exponential(seconds(mean_gap_s))
        if t >= t_to:
            return groups
        _, _, build = ROUTES[int(rng.choice(len(ROUTES), p=weights / weights.sum()))]
        group = build(layout, traffic, rng, t)
        if group is not None and all(agent.duration <= limit for agent in group):
            groups.append(group)
