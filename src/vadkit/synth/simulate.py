"""Simulating one video's world: traffic, the scripted anomaly events, the normal pedestrians, the camera.

Order of construction (all randomness from one generator seeded by the master seed and the video's index, so
videos can be simulated in any order or in parallel):

1. the camera (shake, lighting, noise seed) and the normal traffic of every lane, from
   :data:`~vadkit.synth.rules.WARM_UP_S` before the first frame;
2. the events of an abnormal video, each drawn again (up to :data:`MAX_ATTEMPTS` times) until its annotated
   span lasts at least :data:`~vadkit.synth.rules.MIN_EVENT_FRAMES` frames in the video and, except for
   loitering, none of its pedestrians stays longer than a normal pedestrian may; vehicles it adds join the
   traffic and the lanes it uses are cleared of normal traffic;
3. the normal pedestrians, who wait at the kerb for gaps in that traffic;
4. normal pedestrians (with the bag they put down, or the person they meet) who would touch a vehicle or an
   anomalous agent are left out, so anomalous agents are never hidden by normal ones standing on them.
"""

from __future__ import annotations

import numpy as np

from vadkit.synth.agents import NORMAL, Agent, overlap
from vadkit.synth.anomalies import NORMAL_LABEL, AnomalyClass, anomaly_class
from vadkit.synth.behaviours import Context, Scripted
from vadkit.synth.camera import Camera, make_camera
from vadkit.synth.descriptions import TEMPLATES
from vadkit.synth.pedestrians import spawn_pedestrians
from vadkit.synth.plan import VideoPlan
from vadkit.synth.rules import FPS, MIN_EVENT_FRAMES, NORMAL_DWELL_MAX_S, WARM_UP_S, seconds
from vadkit.synth.scenes import Scene
from vadkit.synth.traffic import Traffic
from vadkit.synth.truth import event_span
from vadkit.synth.world import Event, World

MAX_ATTEMPTS = 60
"""Draws allowed per event before giving up (the first event must succeed; a second one is dropped)."""

VEHICLE_MARGIN = 3.0
"""Pixels kept between a normal pedestrian's footprint and any vehicle."""

ANOMALY_MARGIN = 6.0
"""Pixels kept between a normal pedestrian's footprint and any anomalous agent."""


def _window(anomaly: AnomalyClass, num_frames: int, earliest: int | None) -> tuple[int, int]:
    """Frames in which the key moment of an event falls."""
    if earliest is not None:
        return earliest, earliest + max(round(0.3 * num_frames), 1)
    if anomaly.enters_at_start:
        return 0, FPS
    return round(0.1 * num_frames), round(0.45 * num_frames)


def _acceptable(anomaly: AnomalyClass, scripted: Scripted) -> bool:
    if anomaly.name == "Loitering":
        return True
    limit = seconds(NORMAL_DWELL_MAX_S)
    return all(agent.kind != "pedestrian" or agent.duration <= limit for agent in scripted.agents)


def _script_event(
    world: World, anomaly: AnomalyClass, traffic: Traffic, rng: np.random.Generator, earliest: int | None
) -> tuple[World, int] | None:
    """``world`` with one more event of ``anomaly`` (and its agents), and the end of the event's span."""
    window = _window(anomaly, world.num_frames, earliest)
    for _ in range(MAX_ATTEMPTS):
        context = Context(world.scene.layout, traffic, rng, world.num_frames, window)
        scripted = anomaly.script(context)
        if scripted is None or not _acceptable(anomaly, scripted):
            continue
        offset = len(world.agents)
        template = int(rng.integers(len(TEMPLATES[anomaly.name])))
        event = Event(
            anomaly.name,
            tuple(offset + i for i in scripted.boxed),
            scripted.behaviour,
            scripted.details,
            template,
        )
        candidate = World(
            world.name,
            world.scene,
            world.num_frames,
            world.agents + scripted.agents,
            (*world.events, event),
            world.camera,
        )
        span = event_span(candidate, event)
        if (
            span is None
            or span[1] - span[0] < MIN_EVENT_FRAMES
            or (earliest is not None and span[0] < earliest)
        ):
            continue
        for lane, t_lo, t_hi in scripted.clear:
            traffic.clear_lane(lane, t_lo, t_hi)
        traffic.trips.extend(scripted.trips)
        return candidate, span[1]
    return None


def _in_video(agent: Agent, num_frames: int) -> bool:
    return agent.end > 0 and agent.start < num_frames


def simulate(plan: VideoPlan, scene: Scene, seed: int) -> World:
    """The world of video ``plan`` in ``scene`` under the dataset's master ``seed``.

    Raises:
        RuntimeError: the plan's first event could not be placed (a generator bug, never expected).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1, plan.index]))
    layout, n = scene.layout, plan.num_frames
    camera: Camera = make_camera(rng, n, scene.noise_sigma)
    warm_up = -seconds(WARM_UP_S)
    traffic = Traffic.generate(layout, rng, warm_up, n + FPS, scene.vehicle_gap_s)
    world = World(plan.name, scene, n, (), (), camera)
    if plan.label != NORMAL_LABEL:
        anomaly = anomaly_class(plan.label)
        placed = _script_event(world, anomaly, traffic, rng, None)
        if placed is None:
            raise RuntimeError(f"{plan.name}: could not place a {plan.label} event in {n} frames")
        world, end = placed
        if plan.second_event:
            second = _script_event(world, anomaly, traffic, rng, end + FPS)
            world = world if second is None else second[0]
    groups = spawn_pedestrians(layout, traffic, rng, warm_up, n, scene.pedestrian_gap_s)
    vehicles = [trip.agent(layout) for trip in traffic.trips if trip.role == NORMAL]
    vehicles = [agent for agent in vehicles if _in_video(agent, n)]
    obstacles = [(agent, VEHICLE_MARGIN) for agent in vehicles]
    obstacles += [
        (agent, VEHICLE_MARGIN if agent.kind == "vehicle" else ANOMALY_MARGIN) for agent in world.agents
    ]
    kept = [
        agent
        for group in groups
        if any(_in_video(agent, n) for agent in group)
        and not any(overlap(agent, other, margin) for agent in group for other, margin in obstacles)
        for agent in group
    ]
    agents = world.agents + tuple(vehicles) + tuple(kept)
    return World(plan.name, scene, n, agents, world.events, camera)
