"""Weight-free evidence: normal statistics, z-scores, cells, boxes, kinds, key frames, the composed sentence.

Hand-made feature arrays of the default ``motion`` configuration (4x4 grid, 315 dimensions): every dimension
is 0 in the normal videos (so its scale is the floor of :data:`DEFAULT_FLOORS`) unless a test says otherwise,
and the event video raises a few named dimensions, so that every z, cell and box is computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.explain import (
    DEVIATION_KINDS,
    Evidence,
    NormalStatistics,
    compose_description,
    explain_event,
    fit_normal_statistics,
    read_key_frames,
)
from vadkit.explain.evidence import cell_box, event_snippets
from vadkit.explain.evidence_text import region_name
from vadkit.explain.key_frames import draw_box, scale_box, thumbnail_size
from vadkit.explain.normal_statistics import DEFAULT_FLOORS, dimension_floors
from vadkit.features.motion import MotionExtractor
from vadkit.io import open_video, write_video
from vadkit.types import Event

EXTRACTOR = MotionExtractor()
NAMES = EXTRACTOR.feature_names()
DIM = len(NAMES)  # 315
FAST = "speed[0.04-inf)"
FPS = 10.0
FRAME = (320, 240)  # cells of 80x60 pixels


def at(name: str) -> int:
    return NAMES.index(name)


def normal_videos(*, alternate: tuple[str, ...] = ()) -> list[np.ndarray]:
    """Two normal videos of 4 snippets, all 0, except the ``alternate`` dimensions: 0 in the first video and
    0.2 in the second (mean 0.1, standard deviation 0.1)."""
    videos = [np.zeros((4, DIM), np.float32), np.zeros((4, DIM), np.float32)]
    for name in alternate:
        videos[1][:, at(name)] = 0.2
    return videos


def event_video(raised: dict[str, float], snippet: int = 2) -> np.ndarray:
    """6 snippets (frames 0-95 at 16 per snippet), all 0, with ``raised`` dimensions set in one snippet."""
    features = np.zeros((6, DIM), np.float32)
    for name, value in raised.items():
        features[snippet, at(name)] = value
    return features


def event(start: int = 20, end: int = 40, peak: int | None = 25) -> Event:
    return Event(video="v", start=start, end=end, fps=FPS, peak_score=0.9, mean_score=0.7, peak_frame=peak)


def explain(raised: dict[str, float], *, alternate: tuple[str, ...] = (), **options: object) -> Evidence:
    statistics = fit_normal_statistics(normal_videos(alternate=alternate), EXTRACTOR)
    return explain_event(event(), event_video(raised), EXTRACTOR, statistics, frame_size=FRAME, **options)


def kind_of(evidence: Evidence, name: str):
    return next(kind for kind in evidence.kinds if kind.kind == name)


# --- normal statistics -------------------------------------------------------------------------------------


def test_mean_and_std_match_numpy_over_all_snippets() -> None:
    rng = np.random.default_rng(0)
    videos = [rng.random((length, DIM)).astype(np.float32) for length in (3, 7, 1, 5)]
    statistics = fit_normal_statistics(videos, EXTRACTOR)
    stacked = np.concatenate(videos).astype(np.float64)
    np.testing.assert_allclose(statistics.center, stacked.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(statistics.spread, stacked.std(axis=0), rtol=1e-9)
    np.testing.assert_array_equal(statistics.scale, np.maximum(statistics.spread, statistics.floor))
    assert statistics.scale[at("objects.count")] == 0.5  # floored: the spread of [0, 1) values is below it
    assert (statistics.num_videos, statistics.num_snippets) == (4, 16)
    assert statistics.config_hash == EXTRACTOR.config_hash()


def test_median_and_mad_match_numpy() -> None:
    rng = np.random.default_rng(1)
    videos = [rng.random((length, 1, DIM)).astype(np.float32) for length in (4, 5)]  # (T, 1, D) accepted
    statistics = fit_normal_statistics(videos, EXTRACTOR.config(), method="median_mad")
    stacked = np.concatenate(videos)[:, 0].astype(np.float64)
    median = np.median(stacked, axis=0)
    np.testing.assert_allclose(statistics.center, median, rtol=1e-6)
    np.testing.assert_allclose(
        statistics.spread, 1.4826 * np.median(np.abs(stacked - median), axis=0), rtol=1e-5
    )


def test_floors_follow_the_dimension_kinds() -> None:
    floors = dimension_floors(EXTRACTOR, {"edges": 0.05})
    assert floors[at(f"cell(0,0).{FAST}")] == DEFAULT_FLOORS["speed"] == 0.02
    assert floors[at("cell(2,1).dir.W")] == DEFAULT_FLOORS["direction"] == 1e-4
    assert floors[at("cell(3,3).edges")] == 0.05
    assert floors[at("objects.count")] == 0.5 and floors[at("objects.size.max")] == 0.0005
    with pytest.raises(ValidationError, match="unknown floor"):
        dimension_floors(EXTRACTOR, {"edge": 0.05})


def test_statistics_save_and_load(tmp_path: Path) -> None:
    statistics = fit_normal_statistics(normal_videos(alternate=(f"cell(3,1).{FAST}",)), EXTRACTOR)
    arrays, record = statistics.save(tmp_path / "normal")
    assert (arrays.name, record.name) == ("normal.npz", "normal.json")
    loaded = NormalStatistics.load(tmp_path / "normal.json")
    for name in ("center", "spread", "floor", "scale"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(statistics, name))
    assert loaded.to_dict() == statistics.to_dict()
    assert json.loads(record.read_text())["config_hash"] == EXTRACTOR.config_hash()


def test_features_of_another_config_are_refused() -> None:
    statistics = fit_normal_statistics(normal_videos(), EXTRACTOR)
    other = MotionExtractor(pair_stride=1)
    with pytest.raises(ValidationError, match=f"config {EXTRACTOR.config_hash()}.*{other.config_hash()}"):
        explain_event(event(), event_video({}), other, statistics, frame_size=FRAME)
    with pytest.raises(ValidationError, match=r"expected \(T, 315\)"):
        statistics.zscores(np.zeros((3, 272)))
    with pytest.raises(ValidationError, match="no snippets"):
        fit_normal_statistics([np.zeros((0, DIM))], EXTRACTOR)


# --- snippets, cells, boxes, kinds -------------------------------------------------------------------------


def test_event_snippets_are_those_overlapping_its_frames() -> None:
    assert event_snippets(event(20, 40), 16, 16, 6).tolist() == [1, 2]
    assert event_snippets(event(16, 32, None), 16, 16, 6).tolist() == [1]
    assert event_snippets(event(20, 40), 16, 8, 11).tolist() == [1, 2, 3, 4]
    assert event_snippets(event(80, 200, None), 16, 16, 6).tolist() == [5]  # features end at frame 96
    with pytest.raises(ValidationError, match="no snippet"):
        event_snippets(event(100, 120, None), 16, 16, 6)


def test_fast_motion_in_two_cells() -> None:
    # normal: 0 or 0.2 (mean 0.1, sd 0.1) in both cells; event: 0.7 and 0.45 -> z 6.0 and 3.5
    fast = (f"cell(3,1).{FAST}", f"cell(3,0).{FAST}")
    evidence = explain({fast[0]: 0.7, fast[1]: 0.45}, alternate=fast)
    assert evidence.snippets == (1, 2)
    assert evidence.kind == "speed"
    speed = evidence.kinds[0]
    assert speed.z == pytest.approx(6.0, rel=1e-6) and speed.sd == speed.z
    assert speed.dimension == f"cell(3,1).{FAST}" and speed.label == "fast motion"
    assert speed.cells == ((3, 1), (3, 0))
    assert speed.box == evidence.box == (0, 180, 160, 240)  # cells of 80x60 px: x [0, 160), y [180, 240)
    assert evidence.box_cells == ((3, 0), (3, 1))
    assert [(c.cell, round(c.sd, 4), c.kind, c.box) for c in evidence.cells] == [
        ((3, 1), 6.0, "speed", (80, 180, 160, 240)),
        ((3, 0), 3.5, "speed", (0, 180, 80, 240)),
    ]
    top = evidence.dimensions[0]
    assert (top.name, top.cell, top.snippet, top.value, top.normal, top.scale) == (
        f"cell(3,1).{FAST}",
        (3, 1),
        2,
        pytest.approx(0.7),
        pytest.approx(0.1),
        pytest.approx(0.1),
    )
    assert top.phrase == "cell (3,1): fast motion (speed >= 0.04 frame widths/frame), 6.0 sd above normal"
    assert [kind.sd for kind in evidence.kinds[1:]] == [0.0] * 4


def test_direction_names_the_compass_direction() -> None:
    evidence = explain({"cell(1,2).dir.W": 0.002})  # floor 1e-4: z = 20
    assert evidence.kind == "direction"
    direction = evidence.kinds[0]
    assert direction.direction == "west" and direction.label == "motion heading west"
    assert direction.z == pytest.approx(20.0, rel=1e-5)
    assert evidence.box == (160, 60, 240, 120)
    assert evidence.dimensions[0].phrase.startswith("cell (1,2): motion heading west")


def test_less_motion_than_normal_is_no_evidence() -> None:
    moving = "cell(0,0).moving.max"
    evidence = explain({}, alternate=(moving,))  # the event's 0 is 1 sd below the normal 0.1
    speed = kind_of(evidence, "speed")
    assert speed.sd == 0.0 and evidence.kind is None and evidence.box is None
    assert evidence.dimensions == ()


def test_appearance_without_motion_is_static_foreground() -> None:
    evidence = explain({"cell(1,1).edges": 0.1})  # floor 0.01: 10 sd, no motion in the cell
    assert evidence.kind == "static foreground"
    assert evidence.kinds[0].label == "more edges" and evidence.kinds[0].cells == ((1, 1),)
    assert evidence.dimensions[0].phrase == "cell (1,1): more edges (edge density), 10.0 sd above normal"


def test_appearance_with_motion_is_appearance_change() -> None:
    evidence = explain({"cell(1,1).intensity.mean": -0.05, "cell(1,1).moving.max": 0.1})
    appearance = kind_of(evidence, "appearance change")
    assert appearance.z == pytest.approx(-5.0, rel=1e-5) and appearance.sd == pytest.approx(5.0, rel=1e-5)
    assert appearance.label == "darker"
    assert kind_of(evidence, "static foreground").sd == 0.0
    assert kind_of(evidence, "speed").sd == pytest.approx(5.0, rel=1e-5)


def test_a_change_across_most_cells_is_appearance_change() -> None:
    darker = {f"cell({r},{c}).intensity.mean": -0.2 for r in range(4) for c in range(3)}  # 12 of 16 cells
    evidence = explain(darker)
    assert evidence.kind == "appearance change"
    assert evidence.box == (0, 0, 240, 240)
    assert "across most of the frame" in compose_description(evidence)


def test_whole_frame_object_evidence_has_no_cell() -> None:
    evidence = explain({"objects.count": 3.0})  # floor 0.5: z = 6
    objects = evidence.kinds[0]
    assert (objects.kind, objects.cells, objects.box, objects.whole_frame) == ("objects", (), None, True)
    assert evidence.box is None and evidence.cells == ()
    assert evidence.dimensions[0].phrase == "whole frame: number of moving objects, 6.0 sd above normal"
    assert compose_description(evidence).startswith(
        "Unusual number of moving objects across the whole frame (6.0 sd above normal) from 2.0 s"
    )


def test_without_object_features_the_objects_kind_is_empty() -> None:
    extractor = MotionExtractor(objects=False)
    statistics = fit_normal_statistics([np.zeros((2, 272))], extractor)
    evidence = explain_event(event(), np.zeros((6, 272)), extractor, statistics, frame_size=FRAME)
    assert kind_of(evidence, "objects").dimension == "" and evidence.kind is None


def test_cell_geometry_and_region_names() -> None:
    assert cell_box([(0, 0)], (4, 4), (250, 190)) == (0, 0, 62, 47)
    assert cell_box([(3, 3)], (4, 4), (250, 190)) == (187, 142, 250, 190)
    assert cell_box([(1, 2), (2, 0)], (3, 5), (500, 300)) == (0, 100, 300, 300)
    assert region_name([(3, 0), (3, 1)], (4, 4)) == "lower left"
    assert region_name([(0, 3)], (4, 4)) == "upper right"
    assert region_name([(1, 1), (2, 2)], (4, 4)) == "centre"
    assert region_name([(0, 0), (3, 3)], (4, 4)) == "most of the frame"


# --- key frames, sentence, JSON ----------------------------------------------------------------------------


def test_key_frames_default_to_start_peak_end_and_fall_back_to_the_strongest_snippet() -> None:
    evidence = explain({f"cell(0,0).{FAST}": 0.5})
    assert [(k.role, k.frame, k.time_s) for k in evidence.key_frames] == [
        ("start", 20, 2.0),
        ("peak", 25, 2.5),
        ("end", 39, 3.9),
    ]
    statistics = fit_normal_statistics(normal_videos(), EXTRACTOR)
    raised = event_video({f"cell(0,0).{FAST}": 0.5}, snippet=2)  # snippet 2 covers frames 32-47
    unknown_peak = explain_event(
        event(peak=None), raised, EXTRACTOR, statistics, frame_size=FRAME, key_frames=("peak",)
    )
    assert [(k.role, k.frame) for k in unknown_peak.key_frames] == [("peak", 39)]  # 40 is past the end
    with pytest.raises(ValidationError, match="unknown key frame roles"):
        explain_event(event(), raised, EXTRACTOR, statistics, frame_size=FRAME, key_frames=("middle",))


def test_thumbnails_of_the_key_frames_with_the_box(tmp_path: Path) -> None:
    path = tmp_path / "grey.mp4"
    levels = [10 * t for t in range(20)]  # frame t has grey level 10 t
    write_video(path, (np.full((48, 64, 3), level, np.uint8) for level in levels), FPS, crf=0)
    statistics = fit_normal_statistics(normal_videos(), EXTRACTOR)
    evidence = explain_event(
        Event(video="grey", start=5, end=15, fps=FPS, peak_score=1.0, mean_score=1.0, peak_frame=9),
        event_video({f"cell(3,0).{FAST}": 0.5, f"cell(3,1).{FAST}": 0.5}, snippet=0),
        EXTRACTOR,
        statistics,
        frame_size=(64, 48),
    )
    assert evidence.box == (0, 36, 32, 48)
    thumbnails = read_key_frames(path, evidence, max_side=32)
    assert [(t.role, t.frame) for t in thumbnails] == [("start", 5), ("peak", 9), ("end", 14)]
    assert all(t.image.shape == (24, 32, 3) and t.image.dtype == np.uint8 for t in thumbnails)
    assert thumbnails[1].box == (0, 18, 16, 24)
    image = thumbnails[1].image
    assert image[18, 8].tolist() == [255, 0, 0] and image[23, 8].tolist() == [255, 0, 0]
    assert image[20, 15].tolist() == [255, 0, 0] and image[20, 16].tolist() != [255, 0, 0]
    assert abs(int(image[5, 20, 1]) - 90) <= 3  # frame 9: grey level 90
    plain = read_key_frames(path, evidence, max_side=32, draw=False)
    assert abs(int(plain[1].image[18, 8, 0]) - 90) <= 3 and plain[1].box == (0, 18, 16, 24)
    with pytest.raises(ValidationError, match="64x48"):
        read_key_frames(path, Evidence.from_dict({**evidence.to_dict(), "frame_size": [128, 96]}))
    with open_video(path) as reader:
        assert reader.info.num_frames == 20


def test_thumbnail_geometry_and_drawing() -> None:
    assert thumbnail_size((320, 240), 160) == (160, 120)
    assert thumbnail_size((100, 50), 160) == (100, 50)  # never enlarged
    assert scale_box((0, 180, 160, 240), (320, 240), (160, 120)) == (0, 90, 80, 120)
    assert scale_box((1, 1, 3, 3), (4, 4), (2, 2)) == (0, 0, 2, 2)
    image = np.zeros((6, 8, 3), np.uint8)
    drawn = draw_box(image, (2, 1, 6, 5), (0, 255, 0))
    expected = np.zeros((6, 8), bool)
    expected[1, 2:6] = expected[4, 2:6] = expected[1:5, 2] = expected[1:5, 5] = True
    np.testing.assert_array_equal(drawn[..., 1] == 255, expected)
    assert not image.any()  # the input is left as it was
    assert cv2.countNonZero(drawn[..., 0]) == 0


def test_composed_sentence() -> None:
    fast = (f"cell(3,1).{FAST}", f"cell(3,0).{FAST}")
    evidence = explain({fast[0]: 0.7, fast[1]: 0.45}, alternate=fast)
    assert compose_description(evidence) == (
        "Unusual fast motion in the lower left of the frame (cells (3,1),(3,0); 6.0 sd above normal) from "
        "2.0 s to 4.0 s, peak at 2.5 s. [composed from motion evidence; no vision-language model]"
    )
    assert compose_description(evidence, "Fighting", 0.823) == (
        "Possible Fighting (confidence 0.82): unusual fast motion in the lower left of the frame (cells "
        "(3,1),(3,0); 6.0 sd above normal) from 2.0 s to 4.0 s, peak at 2.5 s. [composed from motion "
        "evidence and the predicted class; no vision-language model]"
    )


def test_composed_sentence_joins_speed_and_direction_and_tells_static_foreground() -> None:
    joined = explain({f"cell(0,3).{FAST}": 0.3, "cell(0,3).dir.SE": 0.001})  # z 15 and 10
    assert compose_description(joined).startswith(
        "Unusual fast motion heading south-east in the upper right of the frame (cell (0,3); 15.0 sd above "
        "normal)"
    )
    still = explain({"cell(2,3).intensity.std": 0.08})
    assert compose_description(still).startswith(
        "A possible still object appearing, leaving or stopping (more contrast, no unusual motion) in the "
        "middle right of the frame (cell (2,3); 8.0 sd above normal)"
    )


def test_composed_sentence_when_nothing_deviates() -> None:
    evidence = explain({f"cell(0,0).{FAST}": 0.04})  # 2 sd: below the threshold of 3
    assert evidence.kind is None and evidence.box is None
    assert compose_description(evidence) == (
        "No part of the frame deviates from normal motion by 3 sd or more (largest: cell (0,0): fast motion "
        "(speed >= 0.04 frame widths/frame), 2.0 sd above normal) from 2.0 s to 4.0 s, peak at 2.5 s. "
        "[composed from motion evidence; no vision-language model]"
    )


def test_evidence_json_round_trip_and_event_evidence() -> None:
    evidence = explain({f"cell(3,1).{FAST}": 0.7, "cell(1,2).dir.W": 0.002, "objects.count": 2.0})
    data = json.loads(json.dumps(evidence.to_dict()))
    assert Evidence.from_dict(data) == evidence
    assert data["kind"] == "speed" and {kind["kind"] for kind in data["kinds"]} == set(DEVIATION_KINDS)
    described = Event(
        video="v",
        start=20,
        end=40,
        fps=FPS,
        peak_score=0.9,
        mean_score=0.7,
        peak_frame=25,
        description=compose_description(evidence),
        evidence={"motion": evidence.to_dict()},
    )
    restored = Event.from_dict(json.loads(json.dumps(described.to_dict())))
    assert Evidence.from_dict(restored.evidence["motion"]) == evidence


# --- end to end: a square that suddenly moves fast ----------------------------------------------------------


def square_video(path: Path, xs: list[int]) -> Path:
    """128x128 frames at 16 fps: a bright textured 16x16 square at ``(x, 72)`` on a dark textured background;
    rows 72-87 lie in grid row 2 (64-95), x 2-29 in grid column 0."""
    background = cv2.GaussianBlur(
        np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8), (0, 0), 1.0
    )
    background //= 4
    texture = np.random.default_rng(1).integers(128, 256, (16, 16, 3), dtype=np.uint8)
    frames = []
    for x in xs:
        frame = background.copy()
        frame[72:88, x : x + 16] = texture
        frames.append(frame)
    write_video(path, frames, 16, crf=12)
    return path


def test_end_to_end_a_square_that_suddenly_moves_fast(tmp_path: Path) -> None:
    extractor = MotionExtractor(pair_stride=1)

    def features(path: Path) -> np.ndarray:
        with open_video(path) as probe:
            size = extractor.decode_size(probe.info)
        with open_video(path, size=size) as reader:
            return extractor.extract(reader)

    still = square_video(tmp_path / "still.mp4", [4] * 64)
    slow = square_video(tmp_path / "slow.mp4", [4 + (t // 4) % 8 for t in range(64)])  # 0.25 px/frame
    fast = square_video(tmp_path / "fast.mp4", [4] * 32 + [2 if t % 2 else 14 for t in range(32)])
    statistics = fit_normal_statistics([features(still), features(slow)], extractor.config())
    anomaly = Event(video="fast", start=32, end=64, fps=16.0, peak_score=1.0, mean_score=1.0, peak_frame=40)
    evidence = explain_event(anomaly, features(fast), extractor, statistics, frame_size=(128, 128))
    speed = kind_of(evidence, "speed")
    assert speed.sd >= 10 and speed.cells[0] == (2, 0) and speed.label == "fast motion"
    assert evidence.kind in ("speed", "direction") and evidence.cells[0].cell == (2, 0)
    assert (2, 0) in evidence.box_cells and evidence.box is not None
    x0, y0, x1, y1 = evidence.box
    assert (x0, y0, y1) == (0, 64, 96) and x1 in (32, 64)  # DIS spreads motion into the next cell at most
    sentence = compose_description(evidence)
    assert sentence.startswith("Unusual fast motion") and "(2,0)" in sentence
    thumbnails = read_key_frames(fast, evidence, max_side=64)
    assert [t.frame for t in thumbnails] == [32, 40, 63] and thumbnails[0].image.shape == (64, 64, 3)
