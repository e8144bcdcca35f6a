"""The synthetic world keeps its promises, checked on simulated worlds (no encoding): every anomaly class has
its own cue, normal activity holds the same ingredients in their normal form, and the ground truth covers
exactly what is drawn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vadkit.synth import CLASS_NAMES, NORMAL_LABEL
from vadkit.synth.agents import Agent, overlap
from vadkit.synth.layouts import Layout
from vadkit.synth.plan import VideoPlan
from vadkit.synth.render import agent_box, agent_mask
from vadkit.synth.rules import (
    FPS,
    JAYWALK_MIN_DISTANCE,
    NORMAL_DWELL_MAX_S,
    RUN_FACTOR,
    UNATTENDED_RADIUS,
    UNATTENDED_S,
    VEHICLE_SPEED,
    WALK_SPEED,
)
from vadkit.synth.scenes import Scene, make_scenes
from vadkit.synth.simulate import simulate
from vadkit.synth.truth import VideoTruth, video_truth
from vadkit.synth.world import World

SEED = 11
DWELL_LIMIT = round(NORMAL_DWELL_MAX_S * FPS)  # 300 frames, computed here from the rule in seconds
WORLDS_PER_CLASS = 8


def _length(label: str, k: int) -> int:
    if label == "Loitering":
        return 420 + 5 * k
    if label == "AbandonedObject":
        return 150 + 10 * k
    return 75 + 15 * k


@pytest.fixture(scope="module")
def scenes() -> tuple[Scene, ...]:
    return make_scenes(8, 2, SEED)  # two scenes of each of the four layouts


@pytest.fixture(scope="module")
def worlds(scenes: tuple[Scene, ...]) -> dict[str, list[tuple[World, VideoTruth]]]:
    result: dict[str, list[tuple[World, VideoTruth]]] = {}
    for c, label in enumerate((*CLASS_NAMES, NORMAL_LABEL)):
        pairs = []
        for k in range(WORLDS_PER_CLASS):
            scene = scenes[k]
            plan = VideoPlan(
                100 * c + k, f"w{c}_{k}", "test", label, scene.scene_id, _length(label, k), k % 2 == 0
            )
            world = simulate(plan, scene, SEED)
            pairs.append((world, video_truth(world)))
        result[label] = pairs
    return result


def _boxed(world: World, event_index: int = 0) -> list[Agent]:
    return [world.agents[i] for i in world.events[event_index].agents]


def _at(agent: Agent, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return agent.u[frames - agent.start], agent.v[frames - agent.start]


def _nearest_lane_direction(layout: Layout, v: float) -> int:
    return min(layout.lanes, key=lambda lane: abs(lane.centre - v)).direction


def test_every_abnormal_world_has_an_event_of_its_class_inside_the_video(worlds) -> None:
    for label in CLASS_NAMES:
        for world, truth in worlds[label]:
            assert 1 <= len(truth.events) <= 2
            for event in truth.events:
                assert event.label == label
                assert 0 <= event.start < event.end <= world.num_frames
                assert event.end - event.start >= 8
            np.testing.assert_array_equal(np.flatnonzero(truth.labels), _frames_of(truth))
    for _, truth in worlds[NORMAL_LABEL]:
        assert truth.events == () and not truth.labels.any() and truth.boxes.shape == (0, 6)


def _frames_of(truth: VideoTruth) -> np.ndarray:
    frames = [np.arange(e.start, e.end) for e in truth.events]
    return np.unique(np.concatenate(frames))


def test_no_normal_pedestrian_stays_longer_than_the_dwell_limit(worlds) -> None:
    durations = [
        agent.duration
        for pairs in worlds.values()
        for world, _ in pairs
        for agent in world.agents
        if agent.kind == "pedestrian" and agent.role != "Loitering"
    ]
    assert len(durations) > 500
    assert max(durations) <= DWELL_LIMIT


def test_loiterers_move_like_others_but_stay_longer_than_anyone_else(worlds) -> None:
    normal_max = max(
        agent.duration
        for world, _ in worlds[NORMAL_LABEL]
        for agent in world.agents
        if agent.kind == "pedestrian"
    )
    for world, truth in worlds["Loitering"]:
        (person,) = _boxed(world)
        event = truth.events[0]
        # abnormal from the first frame after 20 s in the scene; in view from the first second of the video
        assert 0 <= person.start < FPS
        assert event.start == person.start + DWELL_LIMIT
        assert person.duration > normal_max
        steps = np.hypot(np.diff(person.u), np.diff(person.v))
        moving = steps[steps > 1e-9]  # partial steps where a pause starts or ends are slower
        assert moving.max() <= WALK_SPEED[1] + 1e-9 and np.median(moving) >= WALK_SPEED[0] - 1e-9


def test_wrong_way_vehicles_drive_at_normal_speed_against_their_lane(worlds) -> None:
    normal_speeds = [
        abs(agent.u[1] - agent.u[0])
        for world, _ in worlds[NORMAL_LABEL]
        for agent in world.agents
        if agent.kind == "vehicle"
    ]
    assert VEHICLE_SPEED[0] <= min(normal_speeds) and max(normal_speeds) <= VEHICLE_SPEED[1]
    for world, _ in worlds["WrongWay"]:
        for index in range(len(world.events)):
            (car,) = _boxed(world, index)
            steps = np.diff(car.u)
            assert np.allclose(steps, steps[0])  # constant speed, straight along the lane
            assert VEHICLE_SPEED[0] <= abs(steps[0]) <= VEHICLE_SPEED[1]
            assert np.all(car.v == car.v[0])
            assert np.sign(steps[0]) == -_nearest_lane_direction(world.scene.layout, car.v[0])


def test_normal_vehicles_keep_their_lane_and_its_direction(worlds) -> None:
    count = 0
    for pairs in worlds.values():
        for world, _ in pairs:
            layout = world.scene.layout
            for agent in world.agents:
                if agent.kind == "vehicle" and agent.role == "normal":
                    lane = min(layout.lanes, key=lambda lane: abs(lane.centre - agent.v[0]))
                    assert np.all(agent.v == lane.centre)
                    assert np.all(np.sign(np.diff(agent.u)) == lane.direction)
                    count += 1
    assert count > 100


def test_two_way_scenes_have_traffic_both_ways(worlds, scenes) -> None:
    for world, _ in worlds[NORMAL_LABEL]:
        layout = world.scene.layout
        directions = {int(np.sign(a.u[-1] - a.u[0])) for a in world.agents if a.kind == "vehicle"}
        expected = {lane.direction for lane in layout.lanes}
        assert directions <= expected
    assert any(len({lane.direction for lane in s.layout.lanes}) == 2 for s in scenes)
    assert any(len({lane.direction for lane in s.layout.lanes}) == 1 for s in scenes)


def test_jaywalkers_cross_at_walking_speed_away_from_every_crosswalk(worlds) -> None:
    for world, truth in worlds["Jaywalking"]:
        layout = world.scene.layout
        for index, event in enumerate(truth.events):
            (person,) = _boxed(world, index)
            u, v = _at(person, np.arange(event.start, event.end))
            assert np.all(layout.on_road(v))
            assert min(layout.crosswalk_distance(float(x)) for x in u) >= JAYWALK_MIN_DISTANCE
            steps = np.hypot(np.diff(u), np.diff(v))
            assert steps.max() <= WALK_SPEED[1] + 1e-9


def test_normal_pedestrians_cross_the_road_only_on_a_crosswalk(worlds) -> None:
    crossings = 0
    for pairs in worlds.values():
        for world, _ in pairs:
            layout = world.scene.layout
            for agent in world.agents:
                if agent.kind == "pedestrian" and agent.role == "normal":
                    on_road = layout.on_road(agent.v)
                    if on_road.any():
                        crossings += 1
                        assert all(layout.crosswalk_distance(float(u)) == 0 for u in agent.u[on_road])
    assert crossings > 10


def test_runners_run_three_to_four_times_faster_with_a_faster_gait(worlds) -> None:
    for world, truth in worlds["Running"]:
        for index, event in enumerate(truth.events):
            (person,) = _boxed(world, index)
            steps = np.hypot(np.diff(person.u), np.diff(person.v))
            cadence = np.diff(person.phase)
            run = np.arange(event.start, event.end - 1) - person.start
            run = run[(run >= 0) & (run < steps.size)]
            fast = float(np.median(steps[run]))
            assert RUN_FACTOR[0] * WALK_SPEED[0] - 1e-9 <= fast <= RUN_FACTOR[1] * WALK_SPEED[1] + 1e-9
            walking = steps < 2.0
            if walking.sum() > 2:
                ratio = fast / float(np.median(steps[walking]))
                assert RUN_FACTOR[0] - 0.01 <= ratio <= RUN_FACTOR[1] + 0.01
                assert np.median(cadence[run]) > 1.5 * np.median(cadence[walking])


def test_fighters_stay_together_and_move_erratically(worlds) -> None:
    for world, truth in worlds["Fighting"]:
        for index, event in enumerate(truth.events):
            first, second = _boxed(world, index)
            frames = np.arange(event.start, event.end)
            u1, v1 = _at(first, frames)
            u2, v2 = _at(second, frames)
            assert np.hypot(u1 - u2, v1 - v2).max() <= 16
            jumps = np.hypot(np.diff(u1), np.diff(v1))
            assert np.count_nonzero(jumps > 0) >= len(frames) // 4
            assert np.abs(first.tilt[frames - first.start]).max() > 5


def _standing_together(a: Agent, b: Agent) -> bool:
    """Whether ``a`` and ``b`` stand still within 10 px of each other at some common frame."""
    frames = np.arange(max(a.start, b.start) + 1, min(a.end, b.end))
    if frames.size == 0:
        return False
    (ua, va), (ub, vb) = _at(a, frames), _at(b, frames)
    still_a = (ua == a.u[frames - a.start - 1]) & (va == a.v[frames - a.start - 1])
    still_b = (ub == b.u[frames - b.start - 1]) & (vb == b.v[frames - b.start - 1])
    return bool(np.any(still_a & still_b & (np.hypot(ua - ub, va - vb) < 10)))


def test_normal_people_meet_calmly_and_stop_at_benches_with_their_bags(worlds) -> None:
    meetings = stops = bags_down = 0
    for world, _ in worlds[NORMAL_LABEL]:
        people = [a for a in world.agents if a.kind == "pedestrian"]
        assert all(np.all(a.tilt == 0) for a in people)
        stops += sum(bool(np.any(np.hypot(np.diff(a.u), np.diff(a.v)) == 0)) for a in people)
        bags_down += sum(a.kind == "bag" for a in world.agents)
        meetings += sum(_standing_together(a, b) for i, a in enumerate(people) for b in people[i + 1 :])
    assert stops > 0 and meetings > 0 and bags_down > 0
    for world, _ in worlds[NORMAL_LABEL]:
        for bag in (a for a in world.agents if a.kind == "bag"):
            frames = np.arange(bag.start, bag.end)
            owners = [
                a
                for a in world.agents
                if a.kind == "pedestrian" and a.start <= bag.start and bag.end <= a.end
            ]
            closest = min(
                float(np.hypot(_at(a, frames)[0] - bag.u[0], _at(a, frames)[1] - bag.v[0]).max())
                for a in owners
            )
            assert closest < UNATTENDED_RADIUS, "a bag put down in a normal video stays attended"


def test_abandoned_bags_stay_and_their_owner_is_gone(worlds) -> None:
    for world, truth in worlds["AbandonedObject"]:
        (bag,) = _boxed(world)
        owner = world.agents[world.events[0].agents[0] - 1]
        event = truth.events[0]
        assert event.end == world.num_frames and bag.end >= world.num_frames
        assert np.all(bag.u == bag.u[0]) and np.all(bag.v == bag.v[0])
        assert owner.look.bag is not None and owner.carrying[0] and not owner.carrying[-1]
        before = np.arange(event.start - round(UNATTENDED_S * FPS), event.end)
        inside = before[(before >= owner.start) & (before < owner.end)]
        u, v = _at(owner, inside)
        assert np.all(np.hypot(u - bag.u[0], v - bag.v[0]) > UNATTENDED_RADIUS)


def test_fallen_people_lie_during_the_event(worlds) -> None:
    for world, truth in worlds["Falling"]:
        for index, event in enumerate(truth.events):
            (person,) = _boxed(world, index)
            tilt = np.abs(person.tilt[np.arange(event.start, event.end) - person.start])
            assert 0 < tilt[0] < 90  # the fall itself starts the event
            assert tilt[-1] == 90 and np.count_nonzero(tilt == 90) >= len(tilt) - 6
            u, v = _at(person, np.arange(event.start, event.end))
            assert np.all(u == u[0]) and np.all(v == v[0])


def test_vehicles_on_the_sidewalk_drive_there_at_normal_speed(worlds) -> None:
    for world, truth in worlds["VehicleOnSidewalk"]:
        layout = world.scene.layout
        for index, event in enumerate(truth.events):
            (car,) = _boxed(world, index)
            u, v = _at(car, np.arange(event.start, event.end))
            assert any(np.all((v >= s.v0) & (v < s.v1)) for s in layout.sidewalks)
            assert not np.any(layout.on_road(v))
            speed = np.hypot(
                np.diff(u), np.diff(v)
            )  # the end of a swerve onto the sidewalk may be in the event
            assert speed.max() <= VEHICLE_SPEED[1] + 1e-9 and VEHICLE_SPEED[0] <= np.median(speed)


def test_pedestrians_never_stand_on_a_vehicle(worlds) -> None:
    for pairs in worlds.values():
        for world, _ in pairs:
            people = [a for a in world.agents if a.kind == "pedestrian"]
            cars = [a for a in world.agents if a.kind == "vehicle"]
            assert not any(overlap(p, c, 0.0) for p in people for c in cars)


def test_boxes_are_the_bounding_boxes_of_the_drawn_pixels(worlds) -> None:
    checked = 0
    for label in CLASS_NAMES:
        for world, truth in worlds[label][:3]:
            rows = {(int(r[0]), int(r[1])): r[2:] for r in truth.boxes}
            for event in truth.events:
                for track, index in zip(event.track_ids, _event_agents(world, truth, event), strict=True):
                    for t in range(event.start, event.end, 3):
                        mask = agent_mask(world, index, t)
                        if not mask.any():
                            assert (track, t) not in rows
                            continue
                        ys, xs = np.nonzero(mask)
                        expected = [xs.min(), ys.min(), xs.max(), ys.max()]
                        np.testing.assert_array_equal(rows[(track, t)], expected)
                        checked += 1
    assert checked > 300


def _event_agents(world: World, truth: VideoTruth, event) -> tuple[int, ...]:
    return world.events[truth.events.index(event)].agents


def test_boxes_are_clipped_to_the_frame_and_visible_at_every_annotated_frame(worlds) -> None:
    for label in CLASS_NAMES:
        for world, truth in worlds[label]:
            boxes = truth.boxes
            assert np.all(boxes[:, 2] <= boxes[:, 4]) and np.all(boxes[:, 3] <= boxes[:, 5])
            assert boxes[:, 2].min() >= 0 and boxes[:, 3].min() >= 0
            assert boxes[:, 4].max() <= 255 and boxes[:, 5].max() <= 191
            assert set(boxes[:, 1]) == set(np.flatnonzero(truth.labels))
            for scripted, event in zip(world.events, truth.events, strict=True):
                # the event starts with its behaviour, or when a boxed agent first shows in the frame
                earlier = event.start - 1
                assert event.start == max(scripted.behaviour[0], 0) or all(
                    agent_box(world, index, earlier) is None for index in scripted.agents
                )


def test_world_of_a_plan_is_reproducible(scenes) -> None:
    plan = VideoPlan(3, "x", "test", "Fighting", scenes[1].scene_id, 120, True)
    first, second = simulate(plan, scenes[1], SEED), simulate(plan, scenes[1], SEED)
    assert len(first.agents) == len(second.agents)
    for a, b in zip(first.agents, second.agents, strict=True):
        assert a.start == b.start and np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v)
    other = simulate(plan, scenes[1], SEED + 1)
    assert not math.isclose(other.agents[0].u[0], first.agents[0].u[0])
