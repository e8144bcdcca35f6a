"""The ``motion`` extractor: registry, names, configuration, snippet counts, and what the features measure."""

from __future__ import annotations

import json
import math
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.features.base import EXTRACTORS, create_extractor, list_extractors
from vadkit.features.motion import FeatureDimension, MotionExtractor
from vadkit.io import FrameFilter, VideoReader, open_video, write_frame_folder, write_video
from vadkit.types import SnippetSpec, VideoInfo

SIDE = 128  # test videos are 128x128: the default working size, flow image 64x64; cells are 32x32 pixels
FEATURES_PER_CELL = 17
CELL_FEATURES = 16 * FEATURES_PER_CELL  # the per-cell part of the default 4x4 grid; object features follow
OBJECT_FEATURES = 5 * 5 + 5 * 3 + 3  # 5 size bins x (5 speed bins + 3 shape bins), count, speed/size max


def extract(path: Path, extractor: MotionExtractor | None = None, *, native: bool = False) -> np.ndarray:
    """Features of ``path`` from a reader opened at the extractor's decode size (or the native size)."""
    extractor = extractor or MotionExtractor()
    with open_video(path) as probe:
        size = None if native else extractor.decode_size(probe.info)
    with open_video(path, size=size) as reader:
        return extractor.extract(reader)


def per_cell(features: np.ndarray) -> np.ndarray:
    """``(T, 4, 4, 17)`` view of the per-cell part of default-config features."""
    assert features.shape[1] == CELL_FEATURES + OBJECT_FEATURES
    return features[:, :CELL_FEATURES].reshape(features.shape[0], 4, 4, FEATURES_PER_CELL)


def objects_part(features: np.ndarray) -> np.ndarray:
    """``(T, 43)``: the whole-frame object features that follow the per-cell ones."""
    return features[:, CELL_FEATURES:]


def index(name: str) -> int:
    """Position of a feature within a cell's 17, by name."""
    return [n.split(".", 1)[1] for n in MotionExtractor().feature_names()[:FEATURES_PER_CELL]].index(name)


def dark_background(seed: int = 0) -> np.ndarray:
    """A dark, softly textured 128x128 RGB background (texture gives the flow something to hold)."""
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8), (0, 0), 1.0) // 4


def moving_square(
    count: int, start: tuple[float, float], velocity: tuple[float, float]
) -> Iterator[np.ndarray]:
    """A bright textured 16x16 square at ``start + t * velocity`` (x, y of its top left in pixels; y down).

    The square covers 1/64 of the frame and the background stands still, so the camera shift (the median
    flow) is 0 and stabilisation, on by default, leaves the square's motion as it is.
    """
    background = dark_background()
    texture = np.random.default_rng(1).integers(128, 256, (16, 16, 3), dtype=np.uint8)
    for t in range(count):
        frame = background.copy()
        x, y = round(start[0] + velocity[0] * t), round(start[1] + velocity[1] * t)
        frame[y : y + 16, x : x + 16] = texture
        yield frame


def write(path: Path, frames: Iterator[np.ndarray] | list[np.ndarray]) -> Path:
    write_video(path, frames, 25, crf=12)
    return path


# --- registry, names, configuration ---------------------------------------------------------------------


def test_registered_as_motion() -> None:
    assert "motion" in list_extractors()
    extractor = create_extractor("motion", grid=(2, 3))
    assert isinstance(extractor, MotionExtractor)
    assert extractor.name == "motion" and EXTRACTORS.get("motion") is MotionExtractor
    assert (extractor.rows, extractor.cols) == (2, 3)


def test_default_dimension_and_names() -> None:
    extractor = MotionExtractor()
    names = extractor.feature_names()
    assert extractor.dim == len(names) == 315 == CELL_FEATURES + OBJECT_FEATURES
    assert len(set(names)) == len(names)
    assert names[:FEATURES_PER_CELL] == [
        "cell(0,0).speed[0-0.005)",
        "cell(0,0).speed[0.005-0.01)",
        "cell(0,0).speed[0.01-0.02)",
        "cell(0,0).speed[0.02-0.04)",
        "cell(0,0).speed[0.04-inf)",
        "cell(0,0).dir.E",
        "cell(0,0).dir.NE",
        "cell(0,0).dir.N",
        "cell(0,0).dir.NW",
        "cell(0,0).dir.W",
        "cell(0,0).dir.SW",
        "cell(0,0).dir.S",
        "cell(0,0).dir.SE",
        "cell(0,0).moving.max",
        "cell(0,0).intensity.mean",
        "cell(0,0).intensity.std",
        "cell(0,0).edges",
    ]
    assert names[FEATURES_PER_CELL] == "cell(0,1).speed[0-0.005)"
    assert names[CELL_FEATURES - 1] == "cell(3,3).edges"
    assert names[CELL_FEATURES] == "objects.size[0-0.0005).speed[0-0.005)"
    assert names[-3:] == ["objects.count", "objects.speed.max", "objects.size.max"]
    assert MotionExtractor(objects=False).feature_names() == names[:CELL_FEATURES]


def test_dimension_count_follows_the_config() -> None:
    extractor = MotionExtractor(grid=(3, 2), speed_edges=(0.01, 0.05))
    # 6 cells x 15; objects: 5 size bins x 3 speed bins, 5 size bins x 3 shape bins, 3 summaries
    assert extractor.dim == 6 * (3 + 8 + 1 + 3) + 5 * 3 + 5 * 3 + 3
    assert extractor.feature_names()[2] == "cell(0,0).speed[0.05-inf)"
    assert extractor.feature_names()[90 + 2] == "objects.size[0-0.0005).speed[0.05-inf)"
    assert MotionExtractor(grid=(3, 2), speed_edges=(0.01, 0.05), objects=False).dim == 6 * (3 + 8 + 1 + 3)


def test_describe_dimension_parses_cell_kind_and_value() -> None:
    extractor = MotionExtractor()
    names = extractor.feature_names()
    west = names.index("cell(2,3).dir.W")
    assert extractor.describe_dimension(west) == FeatureDimension(
        west, "cell(2,3).dir.W", (2, 3), "direction", "W"
    )
    fast = extractor.describe_dimension(names.index("cell(1,0).speed[0.04-inf)"))
    assert (fast.cell, fast.kind, fast.value) == ((1, 0), "speed", (0.04, math.inf))
    assert fast.to_dict()["value"] == [0.04, None]
    json.dumps([extractor.describe_dimension(i).to_dict() for i in range(extractor.dim)])
    kinds = {extractor.describe_dimension(i).kind for i in range(FEATURES_PER_CELL)}
    assert kinds == {"speed", "direction", "moving", "intensity", "edges"}
    assert [extractor.describe_dimension(i).name for i in range(extractor.dim)] == names
    with pytest.raises(ValidationError, match=r"dimension index must be in \[0, 315\)"):
        extractor.describe_dimension(315)


def test_config_round_trips_and_the_hash_follows_it() -> None:
    extractor = MotionExtractor()
    config = extractor.config()
    json.dumps(config)
    rebuilt = create_extractor("motion", **json.loads(json.dumps(config)))
    assert rebuilt.config() == config and rebuilt.config_hash() == extractor.config_hash()
    changes = [
        {"max_side": 96},
        {"grid": (3, 3)},
        {"flow": "farneback"},
        {"dis_preset": "fast"},
        {"flow_downscale": 1},
        {"speed_edges": (0.005, 0.01, 0.02)},
        {"edge_threshold": 0.1},
        {"frame_step": 2},
        {"pair_stride": 8},
        {"stabilise": False},
        {"objects": False},
        {"diff_threshold": 20},
        {"min_object_area": 8},
        {"snippet": SnippetSpec(length=8, stride=8)},
        {"snippet": {"length": 16, "stride": 16, "rounding": "floor"}},
    ]
    hashes = {MotionExtractor(**change).config_hash() for change in changes}
    assert len(hashes) == len(changes) and extractor.config_hash() not in hashes


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"max_side": 20}, "max_side must be >= 24"),
        ({"max_side": 64.0}, "max_side must be an integer"),
        ({"max_side": 1024}, "max_side must be <= 512"),
        ({"grid": (4,)}, "grid must be"),
        ({"grid": "44"}, "grid must be"),
        ({"grid": (0, 4)}, "grid rows must be an integer >= 1"),
        ({"grid": (40, 4)}, "max_side must be >= 160"),  # 4 px per cell: 40 x 4 > 128
        ({"flow": "lucas-kanade"}, "flow must be one of dis, farneback"),
        ({"dis_preset": "slow"}, "dis_preset must be one of ultrafast, fast, medium"),
        ({"flow_downscale": 0}, "flow_downscale must be an integer >= 1"),
        ({"flow_downscale": 16}, "max_side must be >= 192"),  # a 12-px flow image: 12 x 16 > 128
        ({"speed_edges": ()}, "speed_edges must be"),
        ({"speed_edges": (0.02, 0.01)}, "strictly increasing"),
        ({"speed_edges": (0.0, 0.01)}, "positive"),
        ({"speed_edges": (0.01, math.nan)}, "speed_edges"),
        ({"speed_edges": "fast"}, "speed_edges"),
        ({"edge_threshold": 0}, "edge_threshold must be in"),
        ({"edge_threshold": 2.0}, "edge_threshold"),
        ({"frame_step": 0}, "frame_step must be an integer >= 1"),
        ({"frame_step": True}, "frame_step must be an integer"),
        ({"pair_stride": 0}, "pair_stride must be an integer >= 1"),
        ({"pair_stride": 17}, "pair_stride must be .* at most the snippet length"),
        ({"pair_stride": 2, "frame_step": 4}, "pair_stride must be at least frame_step"),
        ({"snippet": SnippetSpec(crops=10)}, "crops must be 1"),
        ({"snippet": {"size": 16}}, "is not a SnippetSpec"),
        ({"snippet": 16}, "snippet must be a SnippetSpec or a mapping"),
    ],
)
def test_invalid_settings_are_rejected_by_name(setting: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=f"motion extractor: .*{message}"):
        MotionExtractor(**setting)


def test_unknown_setting_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="resolution"):
        create_extractor("motion", resolution=64)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        # Default max_side 128; sides are multiples of 8 (4 cells x flow_downscale 2), at least 24.
        (224, 224, (128, 128)),
        (320, 240, (128, 96)),  # 96 = 12 blocks of 8
        (256, 168, (128, 88)),  # 84 = 10.5 blocks rounds half up to 11
        (640, 360, (128, 72)),  # 72 = 9 blocks
        (360, 640, (72, 128)),
        (238, 158, (128, 88)),  # UCSD Ped2: 158 x 128 / 238 = 84.97 = 10.6 blocks -> 11
        (32, 24, (128, 96)),  # small videos are enlarged to the working size
        (1000, 50, (128, 24)),  # extreme aspect: 6.4 px, 1 block, raised to 24 (a 12-pixel flow image)
    ],
)
def test_working_size(width: int, height: int, expected: tuple[int, int]) -> None:
    assert MotionExtractor().working_size(width, height) == expected


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (320, 240, (48, 40)),  # 36 = 4.5 blocks of 8 rounds half up to 5
        (640, 360, (48, 24)),  # 27 = 3.4 blocks -> 3
        (238, 158, (48, 32)),  # 31.9 -> 4 blocks
        (1000, 50, (48, 24)),  # 2.4 px, 0 blocks, raised to the floor of 24
    ],
)
def test_working_size_with_a_smaller_max_side(width: int, height: int, expected: tuple[int, int]) -> None:
    assert MotionExtractor(max_side=48).working_size(width, height) == expected


def test_working_size_with_other_grids() -> None:
    # blocks of 10 (5 cols x 2) and 6 (3 rows x 2): 75 = 12.5 blocks of 6 -> 13
    assert MotionExtractor(grid=(3, 5), max_side=100).working_size(400, 300) == (100, 78)
    # blocks of 2; floor max(4 px x 2 cells, a 12-pixel flow image) = 12
    assert MotionExtractor(flow_downscale=1, grid=(2, 2)).working_size(100, 50) == (128, 64)
    assert MotionExtractor(flow_downscale=1, grid=(2, 2)).working_size(100, 5) == (128, 12)  # 6.4 -> 6


# --- snippet counts, determinism, edge cases -----------------------------------------------------------


@pytest.mark.parametrize("count", [1, 15, 16, 17, 33])
@pytest.mark.parametrize("rounding", ["ceil", "floor"])
def test_snippet_count_follows_the_spec(tmp_path: Path, count: int, rounding: str) -> None:
    path = write(tmp_path / "clip.mp4", moving_square(count, (10, 10), (2, 1)))
    spec = SnippetSpec(rounding=rounding)
    features = extract(path, MotionExtractor(snippet=spec))
    expected = spec.num_snippets(count)
    assert features.shape == (expected, 315) and features.dtype == np.float32
    assert np.isfinite(features).all()


def test_overlapping_snippets(tmp_path: Path) -> None:
    path = write(tmp_path / "clip.mp4", moving_square(40, (10, 10), (2, 1)))
    spec = SnippetSpec(length=16, stride=8)
    assert extract(path, MotionExtractor(snippet=spec)).shape == (spec.num_snippets(40), 315)


def test_extraction_is_deterministic(tmp_path: Path) -> None:
    path = write(tmp_path / "clip.mp4", moving_square(33, (10, 10), (2, 1)))
    np.testing.assert_array_equal(extract(path), extract(path))


def test_uniform_black_video_has_finite_zero_motion(tmp_path: Path) -> None:
    path = write(tmp_path / "black.mp4", [np.zeros((48, 64, 3), dtype=np.uint8)] * 20)
    features = extract(path)
    cells = per_cell(features)
    assert np.isfinite(cells).all()
    np.testing.assert_array_equal(cells[..., index("speed[0-0.005)")], 1.0)
    others = [i for i in range(FEATURES_PER_CELL) if i != index("speed[0-0.005)")]
    np.testing.assert_array_equal(cells[..., others], 0.0)
    np.testing.assert_array_equal(objects_part(features), 0.0)  # nothing changes: no object


def test_one_frame_video_has_appearance_and_no_motion(tmp_path: Path) -> None:
    frame = np.full((SIDE, SIDE, 3), 51, dtype=np.uint8)  # the working size: no resizing
    frame[:, SIDE // 2 :] = 204  # right half brighter
    folder = tmp_path / "frames"
    write_frame_folder(folder, [frame], ".png")
    features = extract(folder)
    cells = per_cell(features)
    assert cells.shape == (1, 4, 4, FEATURES_PER_CELL)
    np.testing.assert_array_equal(cells[..., : index("moving.max") + 1], 0.0)
    np.testing.assert_array_equal(objects_part(features), 0.0)  # no pair: no object seen
    np.testing.assert_allclose(cells[0, :, :2, index("intensity.mean")], 0.2, atol=1e-6)
    np.testing.assert_allclose(cells[0, :, 2:, index("intensity.mean")], 0.8, atol=1e-6)


def test_pooling_over_frames_and_pairs(tmp_path: Path) -> None:
    """With a pair ending at every frame, snippets of 4 pool exactly what one-frame snippets report for
    each frame: appearance over the 4
    frames, flow over the pairs that end in the window (3 in the first: frame 0 ends none), moving as a max,
    the object histograms and count as means over the pairs and the largest object speed and size as maxima,
    and the last, padded window only the frames the video has."""
    path = write(tmp_path / "clip.mp4", moving_square(10, (4, 30), (3, 1)))
    frame_features = extract(path, MotionExtractor(pair_stride=1, snippet=SnippetSpec(length=1, stride=1)))
    snippet_features = extract(path, MotionExtractor(pair_stride=1, snippet=SnippetSpec(length=4, stride=4)))
    assert frame_features.shape == (10, 315) and snippet_features.shape == (3, 315)
    frames, snippets = per_cell(frame_features).astype(np.float64), per_cell(snippet_features)
    frame_objects = objects_part(frame_features).astype(np.float64)
    snippet_objects = objects_part(snippet_features)
    moving = index("moving.max")
    assert (frames[1:, ..., moving].max(axis=(1, 2)) > 0).all()  # every pair sees the square move
    assert (frame_objects[1:, -3] >= 1).all()  # ... and finds it as an object
    np.testing.assert_array_equal(frames[0, ..., : moving + 1], 0.0)  # frame 0: no pair
    np.testing.assert_array_equal(frame_objects[0], 0.0)
    for window, (start, end) in enumerate([(0, 4), (4, 8), (8, 10)]):
        first_pair = max(start, 1)
        np.testing.assert_allclose(
            snippet_objects[window, :-2], frame_objects[first_pair:end, :-2].mean(axis=0), atol=1e-6
        )
        np.testing.assert_allclose(
            snippet_objects[window, -2:], frame_objects[first_pair:end, -2:].max(axis=0), atol=1e-6
        )
        np.testing.assert_allclose(
            snippets[window, ..., :moving], frames[first_pair:end, ..., :moving].mean(axis=0), atol=1e-6
        )
        np.testing.assert_allclose(
            snippets[window, ..., moving], frames[first_pair:end, ..., moving].max(axis=0), atol=1e-6
        )
        np.testing.assert_allclose(
            snippets[window, ..., moving + 1 :], frames[start:end, ..., moving + 1 :].mean(axis=0), atol=1e-6
        )


class SyntheticReader(VideoReader):
    """A reader that draws its frames on the fly (a square sweeping across a dark frame), holding none."""

    def __init__(self, count: int) -> None:
        info = VideoInfo(path="synthetic", fps=25.0, num_frames=count, width=64, height=64)
        super().__init__(info, size=None, on_error="raise", frames_declared=count)

    def _decode_sequential(self, wanted: FrameFilter | None) -> Iterator[np.ndarray | None]:
        for t in range(self.info.num_frames):
            frame = np.zeros((64, 64, 3), dtype=np.uint8)
            frame[20:36, t % 48 : t % 48 + 16] = 255
            yield frame if wanted is None or wanted(t) else None

    def _read_sorted(self, targets: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class RecordingReader(SyntheticReader):
    """A :class:`SyntheticReader` that records the indices of the frames it was asked to convert."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.converted: list[int] = []

    def _decode_sequential(self, wanted: FrameFilter | None) -> Iterator[np.ndarray | None]:
        for t, frame in enumerate(super()._decode_sequential(wanted)):
            if frame is not None:
                self.converted.append(t)
            yield frame


@pytest.mark.parametrize(
    ("config", "converted"),
    [
        ({}, [0, 1, 16, 17, 32, 33]),  # the default: one pair per snippet, at its start
        ({"frame_step": 2}, [0, 2, 16, 18, 32, 34]),
        ({"pair_stride": 8}, [0, 1, 8, 9, 16, 17, 24, 25, 32, 33]),
        ({"pair_stride": 5, "frame_step": 2}, [0, 2, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 30, 32, 35, 37]),
        ({"pair_stride": 1}, list(range(40))),
    ],
)
def test_only_the_frames_of_pairs_are_converted(config: dict, converted: list[int]) -> None:
    reader = RecordingReader(40)
    features = MotionExtractor(**config).extract(reader)
    assert reader.converted == converted
    assert features.shape == (3, 315)


def test_default_pair_stride_is_the_snippet_stride() -> None:
    assert MotionExtractor().pair_stride == 16
    assert MotionExtractor(snippet=SnippetSpec(length=16, stride=8)).pair_stride == 8
    assert MotionExtractor(frame_step=2, snippet=SnippetSpec(length=1, stride=1)).pair_stride == 2


def test_sparse_pairs_pool_the_pairs_they_sample(tmp_path: Path) -> None:
    """One pair per 16-frame snippet, (16w, 16w + 1): a snippet's flow and object features are that pair's,
    as one-frame snippets with a pair at every frame report it for frame 16w + 1, and its appearance is the
    mean over the pair's two frames. The square stands still until frame 20, so the first snippet's pair
    sees no motion although the snippet holds some (frames 20-31 are in the second snippet)."""
    frames = list(moving_square(20, (10, 30), (0, 0))) + list(moving_square(30, (10, 30), (3, 1)))
    path = write(tmp_path / "clip.mp4", frames)
    per_frame = extract(path, MotionExtractor(pair_stride=1, snippet=SnippetSpec(length=1, stride=1)))
    sparse = extract(path, MotionExtractor())
    assert sparse.shape == (4, 315)
    appearance = [
        c * FEATURES_PER_CELL + f
        for c in range(16)
        for f in range(index("intensity.mean"), FEATURES_PER_CELL)
    ]
    pair_part = [i for i in range(315) if i not in appearance]
    for window in range(3):
        first = 16 * window
        np.testing.assert_allclose(sparse[window, pair_part], per_frame[first + 1, pair_part], atol=1e-6)
        expected = per_frame[first : first + 2, appearance].astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(sparse[window, appearance], expected, atol=1e-6)
    moving = [c * FEATURES_PER_CELL + index("moving.max") for c in range(16)]
    assert sparse[0, moving].max() == 0.0 and per_frame[21:32, moving].max() > 0
    assert sparse[2, moving].max() > 0  # the pair (32, 33) sees the square move
    # The last window holds frames 48 and 49: the pair (48, 49).
    np.testing.assert_allclose(sparse[3, pair_part], per_frame[49, pair_part], atol=1e-6)


def test_extraction_streams_memory_does_not_grow_with_length() -> None:
    extractor = MotionExtractor()
    peaks = {}
    tracemalloc.start()
    try:
        for count in (64, 1024):
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            features = extractor.extract(SyntheticReader(count))
            peaks[count] = tracemalloc.get_traced_memory()[1] - base
            assert features.shape == (count // 16, 315)
    finally:
        tracemalloc.stop()
    # Holding the frames would take 12 KiB a frame (11.6 MiB more); the output grows by 60 x 315 float32.
    output_growth = (1024 - 64) // 16 * 315 * 4
    assert peaks[1024] - peaks[64] < 3 * output_growth + 64 * 1024


# --- what the features measure -------------------------------------------------------------------------


def test_square_moving_right_in_the_top_left_cell(tmp_path: Path) -> None:
    # 16x16 square from x=1 to x=16 at 1 px/frame (1/128 = 0.0078 frame widths per frame), rows 4-19: it
    # stays inside the top-left cell (32x32 video pixels).
    path = write(tmp_path / "right.mp4", moving_square(16, (1, 4), (1, 0)))
    cells = per_cell(extract(path))[0]
    directions = cells[0, 0, index("dir.E") : index("dir.SE") + 1]
    assert directions.argmax() == 0 and directions[0] > 10 * np.delete(directions, 0).max()
    moving = cells[..., index("moving.max")]
    assert moving[0, 0] == moving.max() and moving[0, 0] > 0.5
    far = np.ones((4, 4), dtype=bool)
    far[:2, :2] = False  # DIS's 8x8 patches (half a 16-px flow cell) spread motion to neighbours, no further
    assert moving[far].max() == 0.0
    assert cells[..., index("dir.E")][0, 0] == cells[..., index("dir.E")].max()
    # the speed lands in the bin of 0.0078 frame widths per frame
    histogram = cells[0, 0, : index("speed[0.04-inf)") + 1]
    assert histogram.argmax() == index("speed[0.005-0.01)")
    assert histogram.sum() == pytest.approx(1.0, abs=1e-6)
    # the static background keeps the camera shift at 0: stabilisation changes nothing
    unstabilised = per_cell(extract(path, MotionExtractor(stabilise=False)))[0]
    np.testing.assert_allclose(unstabilised, cells, atol=1e-3)


def test_square_moving_up_points_north(tmp_path: Path) -> None:
    cells = per_cell(extract(write(tmp_path / "up.mp4", moving_square(16, (6, 16), (0, -1)))))[0]
    directions = cells[0, 0, index("dir.E") : index("dir.SE") + 1]
    assert directions.argmax() == 2 and directions[2] > 10 * np.delete(directions, 2).max()  # N
    down = per_cell(extract(write(tmp_path / "down.mp4", moving_square(16, (6, 1), (0, 1)))))[0]
    assert down[0, 0, index("dir.E") : index("dir.SE") + 1].argmax() == 6  # S


def test_faster_square_fills_faster_speed_bins(tmp_path: Path) -> None:
    def mean_bin(velocity: float) -> float:
        path = write(tmp_path / f"v{velocity}.mp4", moving_square(16, (1, 4), (velocity, 0)))
        histogram = per_cell(extract(path))[0, 0, 0, : index("speed[0.04-inf)") + 1]
        moving = histogram[1:]
        return float((np.arange(1, 5) * moving).sum() / moving.sum())

    slow, fast = mean_bin(0.75), mean_bin(3.0)  # 0.006 and 0.023 frame widths per frame: bins 1 and 3
    assert slow < 1.5 and fast > 2.0
    assert fast - slow > 1.0


def test_static_noisy_scene_has_little_motion(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    background = dark_background().astype(np.int16) * 3
    frames = [  # sensor noise of 8 grey levels, fresh every frame, then H.264 at crf 23
        np.clip(background + rng.normal(0, 8, background.shape), 0, 255).astype(np.uint8) for _ in range(32)
    ]
    path = tmp_path / "static.mp4"
    write_video(path, frames, 25, crf=23)
    cells = per_cell(extract(path))
    assert cells[..., index("speed[0-0.005)")].min() > 0.95
    assert cells[..., index("moving.max")].max() < 0.2
    assert cells[..., index("dir.E") : index("dir.SE") + 1].sum(axis=-1).max() < 1e-4


def test_intensity_mean_follows_a_global_brightness_change(tmp_path: Path) -> None:
    levels = np.arange(32) * 6 + 20  # a ramp over two snippets
    frames = [np.full((48, 64, 3), level, dtype=np.uint8) for level in levels]
    folder = tmp_path / "ramp"
    write_frame_folder(folder, frames, ".png")
    every_frame = per_cell(extract(folder, MotionExtractor(pair_stride=1)))
    sampled = per_cell(extract(folder))  # the default describes the frames of one pair per snippet
    for window in range(2):
        expected = levels[16 * window : 16 * window + 16].mean() / 255.0
        np.testing.assert_allclose(every_frame[window, ..., index("intensity.mean")], expected, atol=1e-6)
        expected = levels[16 * window : 16 * window + 2].mean() / 255.0
        np.testing.assert_allclose(sampled[window, ..., index("intensity.mean")], expected, atol=1e-6)
    np.testing.assert_array_equal(every_frame[..., index("intensity.std")], 0.0)


def test_intensity_std_and_edges_of_a_checkerboard(tmp_path: Path) -> None:
    # 16-pixel squares, 128x128: the working size, so no resizing blurs them; 2x2 squares per cell
    tile = np.kron((np.indices((8, 8)).sum(axis=0) % 2) * 200, np.ones((16, 16)))
    frame = np.repeat(tile[..., None], 3, axis=2).astype(np.uint8)
    folder = tmp_path / "checker"
    write_frame_folder(folder, [frame] * 2, ".png")
    features = extract(folder)
    cells = per_cell(features)[0]
    np.testing.assert_allclose(cells[..., index("intensity.mean")], 100 / 255, atol=1e-6)
    np.testing.assert_allclose(cells[..., index("intensity.std")], 100 / 255, atol=1e-6)
    # Sobel/8 of a 200-level step is 0.39 (0.2 at square corners) on the two columns beside it: 4 of a
    # cell's 32 columns, 3 in the first and last cells, whose outer column mirrors its own square. The same
    # for rows; a pixel is an edge when its column or its row is.
    beside = np.array([3, 4, 4, 3]) / 32
    expected = 1 - (1 - beside[:, None]) * (1 - beside[None, :])
    np.testing.assert_allclose(cells[..., index("edges")], expected, atol=1e-6)
    np.testing.assert_array_equal(objects_part(features), 0.0)  # a still picture: no object


# --- options --------------------------------------------------------------------------------------------


def test_native_size_reader_gives_close_features(tmp_path: Path) -> None:
    # max_side 64: the 128x128 reader is twice the working size, so each frame is resized by the extractor
    path = write(tmp_path / "clip.mp4", moving_square(16, (2, 4), (1, 0)))
    extractor = MotionExtractor(max_side=64)
    fast, slow = per_cell(extract(path, extractor)), per_cell(extract(path, extractor, native=True))
    appearance = slice(index("intensity.mean"), index("intensity.std") + 1)
    np.testing.assert_allclose(slow[..., appearance], fast[..., appearance], atol=0.02)
    assert slow[0, 0, 0, index("dir.E") : index("dir.SE") + 1].argmax() == 0


def test_frame_step_keeps_speeds_per_frame(tmp_path: Path) -> None:
    path = write(tmp_path / "clip.mp4", moving_square(17, (2, 4), (1, 0)))
    step1 = per_cell(extract(path))[0, 0, 0]
    step2 = per_cell(extract(path, MotionExtractor(frame_step=2)))[0, 0, 0]
    east = index("dir.E")
    assert step2[east] == pytest.approx(step1[east], rel=0.35)
    assert step2[: index("speed[0.04-inf)") + 1].argmax() == step1[: index("speed[0.04-inf)") + 1].argmax()


@pytest.mark.parametrize("config", [{"flow": "farneback"}, {"dis_preset": "medium", "flow_downscale": 1}])
def test_other_flow_settings_see_the_same_motion(tmp_path: Path, config: dict) -> None:
    path = write(tmp_path / "clip.mp4", moving_square(16, (2, 4), (1, 0)))
    cells = per_cell(extract(path, MotionExtractor(**config)))[0]
    assert cells[0, 0, index("dir.E") : index("dir.SE") + 1].argmax() == 0
    assert cells[..., index("moving.max")].argmax() in (0, 1)  # cell (0, 0) or its right neighbour
