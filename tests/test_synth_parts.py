"""The generator's parts against hand-computed or brute-force expectations: route following, gait, traffic
spacing and crossing gaps, layouts, the dataset plan, presets, camera and description templates."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.synth import CLASS_NAMES, resolve_preset
from vadkit.synth.agents import vehicle_look
from vadkit.synth.camera import make_camera
from vadkit.synth.descriptions import TEMPLATES, describe
from vadkit.synth.layouts import LAYOUT_NAMES
from vadkit.synth.motion import Leg, Pause, follow, gait_phase
from vadkit.synth.plan import plan_videos
from vadkit.synth.rules import FPS, JAYWALK_MIN_DISTANCE, VEHICLE_HEADWAY
from vadkit.synth.scenes import make_scenes
from vadkit.synth.traffic import CROSSING_CLEARANCE, Traffic, Trip


def test_follow_samples_whole_frames_of_a_route() -> None:
    # at (0, 0) at t = 0.5; 10 px right at 2 px/frame (until t = 5.5); stand 2 frames; 3 px down at 1 px/frame
    path = follow(0.5, (0.0, 0.0), [Leg((10.0, 0.0), 2.0), Pause(2), Leg((10.0, 3.0), 1.0)])
    assert path.start == 1 and path.end == 11  # frames 1 .. 10 (the route ends at t = 10.5)
    np.testing.assert_allclose(path.u, [1, 3, 5, 7, 9, 10, 10, 10, 10, 10])
    np.testing.assert_allclose(path.v, [0, 0, 0, 0, 0, 0, 0, 0.5, 1.5, 2.5])
    assert path.knots == (5.5, 7.5, 10.5)


def test_zero_length_steps_are_skipped() -> None:
    path = follow(0.0, (5.0, 5.0), [Leg((5.0, 5.0), 1.0), Pause(0), Leg((8.0, 5.0), 1.0)])
    np.testing.assert_allclose(path.u, [5, 6, 7, 8])
    assert path.knots == (0.0, 0.0, 3.0)


def test_gait_cycles_faster_when_running() -> None:
    walk = np.arange(0, 14.0, 1.4)  # 1.4 px per frame, 14 px stride: 0.1 cycle per frame
    run = np.arange(0, 48.0, 4.8)  # 4.8 px per frame, 24 px stride: 0.2 cycle per frame
    np.testing.assert_allclose(np.diff(gait_phase(walk, np.zeros_like(walk))), 0.1)
    np.testing.assert_allclose(np.diff(gait_phase(run, np.zeros_like(run), 0.25)), 0.2)
    assert gait_phase(run, np.zeros_like(run), 0.25)[0] == 0.25


def test_vehicles_of_a_lane_never_come_closer_than_the_headway() -> None:
    scenes = make_scenes(4, 0, 5)
    checked = 0
    for seed, scene in enumerate(scenes):
        layout = scene.layout
        traffic = Traffic.generate(layout, np.random.default_rng(seed), 0, 3000, 2.0)
        for lane in range(len(layout.lanes)):
            cars = [t.agent(layout) for t in traffic.trips if t.lane == lane]
            for ahead, behind in itertools.pairwise(cars):
                frames = np.arange(max(ahead.start, behind.start), min(ahead.end, behind.end))
                gap = np.abs(ahead.u[frames - ahead.start] - behind.u[frames - behind.start])
                needed = (ahead.look.length + behind.look.length) / 2 + VEHICLE_HEADWAY
                assert np.all(gap >= needed - 1e-6)
                checked += frames.size
    assert checked > 1000


def _conflict(layout, trips, u: float, v_from: float, v_to: float, speed: float, start: float) -> bool:
    """Whether some vehicle body (widened by the clearance) is over ``u`` while a pedestrian who leaves
    ``v_from`` at ``start`` is inside that vehicle's widened band, sampled every 0.005 frame."""
    times = np.arange(start, start + abs(v_to - v_from) / speed, 0.005)
    vs = v_from + (times - start) * speed * np.sign(v_to - v_from)
    for trip in trips:
        in_band = np.abs(vs - layout.lanes[trip.lane].centre) <= trip.look.width / 2 + CROSSING_CLEARANCE
        centre_u = trip.entry(layout) + trip.direction * trip.speed * (times - trip.t0)
        if np.any(in_band & (np.abs(centre_u - u) < trip.look.length / 2 + CROSSING_CLEARANCE)):
            return True
    return False


def test_crossing_start_is_the_earliest_conflict_free_start() -> None:
    layout = make_scenes(1, 0, 3)[0].layout  # a two-way street
    rng = np.random.default_rng(0)
    v_from, v_to = layout.sidewalks[0].walk[1], layout.sidewalks[1].walk[0]
    speed, u = 1.2, 120.0
    waited = 0
    for _ in range(20):
        trips = [
            Trip(
                lane, layout.lanes[lane].direction, float(rng.uniform(2.2, 3.6)), float(t0), vehicle_look(rng)
            )
            for lane in (0, 1)
            for t0 in rng.uniform(0, 200, size=3)
        ]
        arrive = float(rng.uniform(0, 150))
        found = Traffic(layout, trips).crossing_start(u, v_from, v_to, speed, arrive, 10_000)
        assert found is not None and found >= arrive
        assert not _conflict(layout, trips, u, v_from, v_to, speed, found + 0.01)
        earlier = np.arange(arrive, found - 0.02, 0.25).tolist() + (
            [found - 0.02] if found - 0.02 >= arrive else []
        )
        assert all(_conflict(layout, trips, u, v_from, v_to, speed, t) for t in earlier)
        waited += found > arrive
    assert waited >= 3


def test_crossing_is_refused_when_the_wait_is_too_long() -> None:
    layout = make_scenes(1, 0, 3)[0].layout
    look = dataclasses.replace(vehicle_look(np.random.default_rng(1)), length=30)
    lane = layout.lanes[0]
    # a car whose body is over u = 100 between about t = 20 and t = 40
    entry = Trip(0, lane.direction, 3.0, 0.0, look).entry(layout)
    t0 = (100 - entry) / (3.0 * lane.direction) - 30
    traffic = Traffic(layout, [Trip(0, lane.direction, 3.0, t0, look)])
    v_from, v_to = layout.sidewalks[0].walk[1], layout.sidewalks[1].walk[0]
    assert traffic.crossing_start(100.0, v_from, v_to, 1.0, t0 + 30, 2.0) is None
    assert traffic.crossing_start(100.0, v_from, v_to, 1.0, t0 + 30, 100.0) > t0 + 30
    assert traffic.crossing_start(100.0, v_from, v_to, 1.0, t0 + 200, 0.0) == t0 + 200


def test_four_distinct_layouts_with_lane_rules_and_room_to_jaywalk() -> None:
    scenes = make_scenes(12, 2, 0)
    assert [s.layout.name for s in scenes[:4]] == list(LAYOUT_NAMES)
    assert len(LAYOUT_NAMES) == 4
    assert [s.held_out for s in scenes] == [False] * 10 + [True] * 2
    for scene in scenes:
        layout = scene.layout
        upper, lower = layout.sidewalks
        assert upper.v1 == layout.road[0] and lower.v0 == layout.road[1]
        directions = [lane.direction for lane in layout.lanes]
        if layout.name == "one_way_street":
            assert directions[0] == directions[1]
        else:
            assert sorted(directions) == [-1, 1]
        for c0, c1 in layout.crosswalks:
            assert 0 <= c0 < c1 <= layout.length
        room = [
            u for u in range(16, layout.length - 16) if layout.crosswalk_distance(u) >= JAYWALK_MIN_DISTANCE
        ]
        assert room, f"{scene.scene_id} leaves no place to jaywalk"
        for bench in layout.benches:
            walk = layout.sidewalks[bench.sidewalk]
            assert walk.v0 <= bench.rect.v0 < bench.rect.v1 <= walk.v1
    # scenes of one layout differ
    assert scenes[0].layout != scenes[4].layout and scenes[0].surfaces != scenes[4].surfaces


def test_plan_balances_classes_and_keeps_held_out_scenes_out_of_training() -> None:
    preset = resolve_preset("standard")
    scenes = make_scenes(preset.num_scenes, preset.held_out_scenes, 0)
    plans = plan_videos(preset, scenes, 0)
    held = {s.scene_id for s in scenes if s.held_out}
    assert len({p.name for p in plans}) == len(plans) == 238 + 40 + 199 + 16
    for split in ("train", "val", "test", "fewshot"):
        members = [p for p in plans if p.split == split]
        normal = sum(p.label == "Normal" for p in members)
        assert (normal, len(members) - normal) == preset.counts(split)
        per_class = Counter(p.label for p in members if p.label != "Normal")
        assert max(per_class.values()) - min(per_class.values()) <= 1 and len(per_class) == 8
        scene_ids = {p.scene_id for p in members}
        if split in ("train", "val"):
            assert not scene_ids & held
        if split == "fewshot":
            assert scene_ids == held
        long_normals = sum(p.label == "Normal" and p.num_frames >= 27 * FPS for p in members)
        assert long_normals >= per_class["Loitering"]  # standard videos last 8-30 s anyway
    for plan in plans:
        assert plan.name.startswith(plan.scene_id + "_")
        if plan.label == "Loitering":
            assert 27 * FPS <= plan.num_frames <= 31 * FPS
        elif plan.label == "AbandonedObject":
            assert plan.num_frames >= 9 * FPS
    assert {p.scene_id for p in plans if p.split == "test"} == {s.scene_id for s in scenes}


def test_short_presets_pair_each_loitering_video_with_a_long_normal_one() -> None:
    preset = resolve_preset("small")
    scenes = make_scenes(preset.num_scenes, preset.held_out_scenes, 0)
    plans = plan_videos(preset, scenes, 0)
    for split in ("train", "val", "test", "fewshot"):
        members = [p for p in plans if p.split == split]
        long_normals = sum(p.label == "Normal" and p.num_frames >= 27 * FPS for p in members)
        loitering = sum(p.label == "Loitering" for p in members)
        assert long_normals == min(loitering, preset.counts(split)[0])
        short = [p.num_frames for p in members if p.num_frames < 27 * FPS and p.label != "AbandonedObject"]
        assert all(6 * FPS <= n <= 10 * FPS for n in short)


def test_plan_depends_only_on_the_seed() -> None:
    preset = resolve_preset("small")
    scenes = make_scenes(preset.num_scenes, preset.held_out_scenes, 4)
    assert plan_videos(preset, scenes, 4) == plan_videos(preset, scenes, 4)
    assert plan_videos(preset, scenes, 4) != plan_videos(preset, scenes, 5)


def test_presets_validate_their_fields() -> None:
    tiny = resolve_preset("tiny", test_abnormal="16", min_length_s="3.5", classes="Running, Falling")
    assert (tiny.test_abnormal, tiny.min_length_s, tiny.classes) == (16, 3.5, ("Running", "Falling"))
    assert resolve_preset(tiny) == tiny
    assert resolve_preset("small").classes == CLASS_NAMES
    for overrides, message in [
        ({"test_abnormal": -1}, "video counts must be >= 0"),
        ({"held_out_scenes": 4}, "0 <= held_out_scenes < num_scenes"),
        ({"held_out_scenes": 0}, "the fewshot split needs held-out scenes"),
        ({"min_length_s": 5.0}, "need 2 <= min_length_s <= max_length_s <= 120"),
        ({"second_event_prob": 1.5}, r"second_event_prob must be in \[0, 1\]"),
        ({"crf": 60}, "crf must be in 0..51"),
        ({"classes": ("Running", "Running")}, "classes must be distinct names"),
        ({"classes": ("Flying",)}, "got Flying"),
        ({"test_normal": "many"}, "test_normal expects a number, got 'many'"),
        ({"crf": True}, "crf must be a number, got True"),
    ]:
        with pytest.raises(ValidationError, match=message):
            resolve_preset("tiny", **overrides)
    zero = {f"{s}_{k}": 0 for s in ("train", "val", "test", "fewshot") for k in ("normal", "abnormal")}
    with pytest.raises(ValidationError, match="no videos to generate"):
        resolve_preset("tiny", **zero)


def test_camera_shake_light_and_noise_stay_within_their_ranges() -> None:
    camera = make_camera(np.random.default_rng(2), 600, 2.0)
    assert camera.jitter.shape == (600, 2) and np.abs(camera.jitter).max() <= 2
    assert np.abs(camera.jitter).max() >= 1  # it does shake
    moves = np.abs(np.diff(camera.jitter, axis=0)).max(axis=1) > 0
    assert 0.03 < moves.mean() < 0.3  # a slow sway: the picture moves in a minority of frames
    assert np.all(np.abs(camera.gain - 1) <= 0.06 + 0.025 + 1e-12)
    fields = [f.astype(float) for f in camera.noise_fields(600)]
    assert len(fields) == 600 and fields[0].shape == (192, 256, 1)
    assert np.std(np.stack(fields[:50])) == pytest.approx(2.0, rel=0.1)
    again = [f.astype(float) for f in camera.noise_fields(600)]
    assert all(np.array_equal(a, b) for a, b in zip(fields, again, strict=True))
    assert not np.array_equal(fields[0], fields[1])


def test_descriptions_fill_their_templates() -> None:
    details = {
        "shirt": "red",
        "direction": "from left to right",
        "place": "upper sidewalk",
        "speed_ratio": 3.2,
    }
    text = describe("Running", details, 48, 113, FPS, 0)
    assert (
        text
        == "A person in a red shirt runs from left to right along the upper sidewalk between 3.2 s and 7.5 s."
    )
    bag = {"shirt": "blue", "bag": "black", "place": "plaza", "put_s": "2.0"}
    assert "at 2.0 s" in describe("AbandonedObject", bag, 90, 150, FPS, 2)
    assert set(TEMPLATES) == set(CLASS_NAMES)
    assert all(len(templates) >= 2 for templates in TEMPLATES.values())
