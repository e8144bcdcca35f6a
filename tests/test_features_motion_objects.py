"""Camera stabilisation and moving-object features of the ``motion`` extractor, against hand computations."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from vadkit.errors import ValidationError
from vadkit.features.motion import MotionExtractor
from vadkit.features.motion_objects import ObjectDescriber, camera_shift
from vadkit.io import open_video, write_video

SIDE = 128  # test videos are 128x128: the default working size (16384 pixels), a 64x64 flow image
FRAME_PIXELS = SIDE * SIDE
CELL_FEATURES = 16 * 17  # the per-cell part of the default 4x4 grid
SPEED_BINS, SHAPE_BINS, SIZE_BINS = 5, 3, 5
SHAPES = CELL_FEATURES + SIZE_BINS * SPEED_BINS  # first size x shape feature
COUNT, SPEED_MAX, SIZE_MAX = -3, -2, -1


def extract(path: Path, extractor: MotionExtractor) -> np.ndarray:
    """Features of ``path`` from a reader opened at the extractor's decode size."""
    with open_video(path) as probe:
        size = extractor.decode_size(probe.info)
    with open_video(path, size=size) as reader:
        return extractor.extract(reader)


def write_grey(path: Path, greys: Iterator[np.ndarray] | list[np.ndarray], crf: int = 12) -> Path:
    """Encode grey ``(H, W)`` uint8 frames as an RGB video (chroma neutral)."""
    write_video(path, (np.repeat(grey[..., None], 3, axis=2) for grey in greys), 25, crf=crf)
    return path


def dark_background() -> np.ndarray:
    """A static, softly textured background of grey levels 0-42."""
    rng = np.random.default_rng(0)
    return (
        ndimage.gaussian_filter(rng.integers(0, 256, (SIDE, SIDE)).astype(float), 1.0).astype(np.uint8) // 6
    )


def periodic_texture() -> np.ndarray:
    """A smooth random texture that wraps around (``np.roll`` of it has no seam), grey levels about 48-208."""
    rng = np.random.default_rng(3)
    texture = ndimage.gaussian_filter(rng.normal(size=(SIDE, SIDE)), 2.0, mode="wrap")
    return np.clip(128 + texture / texture.std() * 40, 0, 255).astype(np.uint8)


# --- camera shift and alignment -------------------------------------------------------------------------


def test_camera_shift_is_the_median_displacement_per_axis() -> None:
    flow = np.zeros((3, 3, 2), dtype=np.float32)
    flow[..., 0] = [[-5, 0, 1], [1, 1, 1], [2, 9, 9]]  # sorted: -5 0 1 1 1 1 2 9 9 -> 1
    flow[..., 1] = -0.5
    flow[0, :, 1] = 4.0  # a third of the field moves otherwise: the median stays -0.5
    shift = camera_shift(flow)
    assert shift.dtype == np.float32 and shift.shape == (2,)
    np.testing.assert_array_equal(shift, [1.0, -0.5])
    even = np.array([[[0, 3], [1, 2]], [[2, 1], [3, 0]]], dtype=np.float32)  # dx 0 1 2 3, dy 3 2 1 0
    np.testing.assert_array_equal(camera_shift(even), [1.5, 1.5])  # mean of the two middle values


def test_aligned_moves_the_previous_frame_by_the_shift_in_working_pixels() -> None:
    describer = ObjectDescriber(16, 12, 2, np.array([0.1]), 8.0, 16, 4)
    previous = np.random.default_rng(0).integers(0, 256, (12, 16), dtype=np.uint8)
    assert describer.aligned(previous, np.float32([0.1, -0.12])) is previous  # under 0.25 working px
    moved = describer.aligned(previous, np.float32([1.0, -0.5]))  # flow px: 2 right and 1 up, working px
    np.testing.assert_array_equal(moved[:-1, 2:], previous[1:, :-2])
    np.testing.assert_array_equal(moved[:-1, :2], np.repeat(previous[1:, :1], 2, axis=1))  # border replicated


# --- one pair, described by hand ------------------------------------------------------------------------


def test_describe_one_pair_by_hand() -> None:
    # A 64x48 working frame (3072 pixels), flow image 32x24, speeds in flow px; frame widths: / 32.
    edges_px = np.array([0.005, 0.01, 0.02, 0.04]) * 32
    describer = ObjectDescriber(64, 48, 2, edges_px, 32.0, diff_threshold=16, min_area=9)
    assert describer.dim == 5 * 5 + 5 * 3 + 3
    previous = np.zeros((48, 64), dtype=np.uint8)
    current = previous.copy()
    current[5:13, 10:14] = 100  # 8 tall, 4 wide; dilated: rows 4-13, cols 9-14, 10 x 6 = 60 px, tall
    current[30, 40] = 15  # under the threshold: no change
    current[30, 50] = 16  # at the threshold: dilated to 3x3 = 9 px (min_area 9), square
    current[20, 0] = 200  # dilated to 3 x 2 = 6 px touching the left border: dropped
    current[47, 30] = 200  # 2 x 3 = 6 px touching the bottom border: dropped
    flow = np.zeros((24, 32, 2), dtype=np.float32)  # a working pixel (x, y) has the flow of (x // 2, y // 2)
    flow[2:7, 4:6] = (2.0, 0.0)  # working cols 8-11: the object's changed cols 10-11 move 2 flow px
    flow[2:7, 6] = (0.0, 6.0)  # working cols 12-13: its changed cols 12-13 move 6; mean 4 flow px = 0.125
    flow[2:7, 7] = (0.0, 10.0)  # working cols 14-15: col 14 is the dilation's ring, not a changed pixel
    row = describer.describe(previous, current, flow)

    # size edges in pixels: 3072 x (0.0005, 0.00125, 0.003, 0.008) = 1.5, 3.8, 9.2, 24.6
    # speed edges in flow px: 0.16, 0.32, 0.64, 1.28
    expected = np.zeros(describer.dim)
    expected[4 * 5 + 4] = 1  # 60 px (size bin 4), speed 4 flow px (bin 4)
    expected[2 * 5 + 0] = 1  # 9 px (size bin 2), speed 0 (bin 0)
    expected[25 + 4 * 3 + 2] = 1  # 60 px, 10 / 6 = 1.67: tall
    expected[25 + 2 * 3 + 1] = 1  # 9 px, 3 / 3: square
    expected[-3:] = [2, 4.0 / 32, 60 / 3072]
    np.testing.assert_allclose(row, expected, atol=1e-12)
    np.testing.assert_array_equal(describer.describe(previous, previous, flow), 0.0)  # nothing changed
    larger = ObjectDescriber(64, 48, 2, edges_px, 32.0, diff_threshold=16, min_area=10)
    assert larger.describe(previous, current, flow)[COUNT] == 1  # the 9-px object is under min_area


def test_a_compensated_camera_shake_leaves_no_object() -> None:
    """The picture moves 2 working px right (1 flow px), wrapping around: once the previous frame is moved
    by the camera shift, it equals the current one everywhere the shift brought in from inside the frame;
    the uncovered left strip (2 columns) holds what entered the picture, which no object moved (it touches
    the border, so it is no object)."""
    describer = ObjectDescriber(SIDE, SIDE, 2, np.array([0.32]), 64.0, 16, 4)
    previous = periodic_texture()
    current = np.roll(previous, 2, axis=1)
    aligned = describer.aligned(previous, np.float32([1.0, 0.0]))
    np.testing.assert_array_equal(aligned[:, 2:], current[:, 2:])  # the alignment itself is exact
    row = describer.describe(aligned, current, np.zeros((SIDE // 2, SIDE // 2, 2), dtype=np.float32))
    assert row[COUNT] == 0


# --- whole videos ---------------------------------------------------------------------------------------


def test_stabilise_removes_a_shaking_camera(tmp_path: Path) -> None:
    """The whole textured picture moves 1 px right at every odd frame (np.roll: no motion but the camera's).
    Without stabilisation every pixel moves in those 8 of the snippet's 15 pairs (a pair at every frame; 1 px
    = 0.5 flow px = 0.0078 frame widths per frame, above the 0.005 threshold): a mean moving fraction of
    8/15."""
    texture = periodic_texture()
    path = write_grey(tmp_path / "shake.mp4", [np.roll(texture, (t + 1) // 2, axis=1) for t in range(16)])
    for stabilise, moving in ((False, 8 / 15), (True, 0.0)):
        features = extract(path, MotionExtractor(stabilise=stabilise, pair_stride=1))
        cells = features[0, :CELL_FEATURES].reshape(16, 17)
        np.testing.assert_allclose(1 - cells[:, 0], moving, atol=0.02)
        # unaligned, the shifted texture changes in blobs all over the frame; aligned, nowhere
        assert features[0, COUNT] > 1 if not stabilise else features[0, COUNT] == 0
    unstabilised = extract(path, MotionExtractor(stabilise=False, pair_stride=1))[0, :CELL_FEATURES].reshape(
        16, 17
    )
    assert (unstabilised[:, 5:13].argmax(axis=1) == 0).all()  # the picture moves east
    np.testing.assert_allclose(unstabilised[:, 13], 1.0)  # moving.max: all of a cell in a shifted pair


def moving_objects(count: int) -> Iterator[np.ndarray]:
    """Two objects on a static dark background: a 6x6 square moving down 7 px a frame (fast, small) and a 30
    wide x 12 tall rectangle moving right 1 px a frame (slow, large).

    Both keep grey levels >= 140 (about 100 above the background). The rectangle is a smooth texture
    (140-210, changing by well under 24 levels a pixel) plus 40 on the white squares of a one-pixel
    checkerboard: a 1-px shift changes every pixel of it by at least 16 levels (the tests check it), so the
    mask of a pair is exactly the union of an object's two positions, dilated by one pixel; the halved flow
    image averages the checkerboard away and sees the smooth texture move.
    """
    rng = np.random.default_rng(1)
    background = dark_background()
    square = rng.integers(160, 256, (6, 6)).astype(np.uint8)
    smooth = ndimage.gaussian_filter(rng.normal(size=(12, 30)), 2.0)
    smooth = np.clip(175 + 12 * smooth / smooth.std(), 140, 210)
    rectangle = (smooth + 40 * (np.indices((12, 30)).sum(axis=0) % 2)).astype(np.uint8)
    assert np.abs(np.diff(rectangle.astype(int), axis=1)).min() >= 16
    for t in range(count):
        frame = background.copy()
        frame[10 + 7 * t : 16 + 7 * t, 20:26] = square
        frame[80:92, 50 + t : 80 + t] = rectangle
        yield frame


def test_objects_fall_in_their_size_speed_and_shape_bins(tmp_path: Path) -> None:
    # crf 0: lossless luma, so the change masks are exact; 13 frames: one snippet of 12 pairs.
    path = write_grey(tmp_path / "objects.mp4", moving_objects(13), crf=0)
    features = extract(path, MotionExtractor())[0]
    # Square: rows y..y+5 then y+7..y+12 (the 1-row gap joins under the dilation): 8 wide x 15 tall =
    # 120 px = 0.0073 of the frame (size bin [0.003, 0.008)), tall (15 / 8 = 1.9), 7 / 128 = 0.055 frame
    # widths per frame (speed bin [0.04, inf)).
    # Rectangle: 31 x 12 covered, dilated 33 x 14 = 462 px = 0.028 (bin [0.008, inf)), wide (14 / 33 =
    # 0.42), 1 / 128 = 0.0078 frame widths per frame (bin [0.005, 0.01)).
    expected_speed = np.zeros((SIZE_BINS, SPEED_BINS))
    expected_speed[3, 4] = expected_speed[4, 1] = 1.0  # every pair: means over the pairs are 1
    expected_shape = np.zeros((SIZE_BINS, SHAPE_BINS))
    expected_shape[3, 2] = expected_shape[4, 0] = 1.0
    np.testing.assert_array_equal(
        features[CELL_FEATURES:SHAPES].reshape(SIZE_BINS, SPEED_BINS), expected_speed
    )
    np.testing.assert_array_equal(
        features[SHAPES : SHAPES + SIZE_BINS * SHAPE_BINS].reshape(SIZE_BINS, SHAPE_BINS), expected_shape
    )
    assert features[COUNT] == 2.0
    assert features[SIZE_MAX] == pytest.approx(462 / FRAME_PIXELS, rel=1e-6)
    # The square's speed is the mean flow over its changed pixels, its two positions; they fit inside a DIS
    # patch (8 flow px = 16 working px), which spreads the square's motion over both (where the previous
    # frame shows background too). What is left is DIS's error on a 3.5-flow-px motion with a single
    # pyramid level (about +-10% per pair); speed.max is the largest of the 12 pairs.
    assert features[SPEED_MAX] == pytest.approx(7 / 128, rel=0.15)

    # min_object_area above the square's 120 px leaves the rectangle alone
    large_only = extract(path, MotionExtractor(min_object_area=121))[0]
    assert large_only[COUNT] == 1.0 and large_only[SIZE_MAX] == features[SIZE_MAX]
    assert large_only[CELL_FEATURES + 3 * SPEED_BINS + 4] == 0.0
    assert large_only[CELL_FEATURES + 4 * SPEED_BINS + 1] == 1.0
    assert 0.005 <= large_only[SPEED_MAX] < 0.01  # the rectangle's speed bin
    np.testing.assert_array_equal(large_only[:CELL_FEATURES], features[:CELL_FEATURES])


def test_static_video_has_no_object(tmp_path: Path) -> None:
    path = write_grey(tmp_path / "static.mp4", [dark_background() * 5] * 20)  # textured, grey levels 0-210
    features = extract(path, MotionExtractor())
    assert features.shape == (2, CELL_FEATURES + 43)
    np.testing.assert_array_equal(features[:, CELL_FEATURES:], 0.0)


def test_objects_false_leaves_the_per_cell_features_unchanged(tmp_path: Path) -> None:
    path = write_grey(tmp_path / "objects.mp4", moving_objects(17))
    with_objects = extract(path, MotionExtractor())
    without = extract(path, MotionExtractor(objects=False))
    assert without.shape == (2, CELL_FEATURES) and with_objects.shape == (2, CELL_FEATURES + 43)
    np.testing.assert_array_equal(without, with_objects[:, :CELL_FEATURES])


# --- names and settings ---------------------------------------------------------------------------------


def test_object_dimensions_are_named_and_described() -> None:
    extractor = MotionExtractor()
    names = extractor.feature_names()
    first = extractor.describe_dimension(CELL_FEATURES)
    assert (first.name, first.cell, first.kind) == (
        "objects.size[0-0.0005).speed[0-0.005)",
        None,
        "object_speed",
    )
    assert first.value == ((0.0, 0.0005), (0.0, 0.005))
    last_speed = extractor.describe_dimension(SHAPES - 1)
    assert last_speed.name == "objects.size[0.008-inf).speed[0.04-inf)"
    assert last_speed.value == ((0.008, math.inf), (0.04, math.inf))
    assert last_speed.to_dict() == {
        "index": SHAPES - 1,
        "name": "objects.size[0.008-inf).speed[0.04-inf)",
        "cell": None,
        "kind": "object_speed",
        "value": [[0.008, None], [0.04, None]],
    }
    shape = extractor.describe_dimension(SHAPES + 2 * SHAPE_BINS + 1)
    assert (shape.name, shape.kind) == ("objects.size[0.00125-0.003).shape[0.7-1.4)", "object_shape")
    assert shape.value == ((0.00125, 0.003), (0.7, 1.4))
    assert names[SHAPES + SIZE_BINS * SHAPE_BINS - 1] == "objects.size[0.008-inf).shape[1.4-inf)"
    summaries = [extractor.describe_dimension(extractor.dim + i) for i in (COUNT, SPEED_MAX, SIZE_MAX)]
    assert [(d.name, d.cell, d.kind, d.value) for d in summaries] == [
        ("objects.count", None, "objects", "count"),
        ("objects.speed.max", None, "objects", "speed.max"),
        ("objects.size.max", None, "objects", "size.max"),
    ]
    dicts = [extractor.describe_dimension(i).to_dict() for i in range(extractor.dim)]
    assert json.loads(json.dumps(dicts, allow_nan=False)) == dicts  # no tuple, no inf left
    assert [d["name"] for d in dicts] == names


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"stabilise": 1}, "stabilise must be true or false"),
        ({"stabilise": "yes"}, "stabilise must be true or false"),
        ({"objects": None}, "objects must be true or false"),
        ({"diff_threshold": 0}, "diff_threshold must be an integer >= 1"),
        ({"diff_threshold": 256}, "diff_threshold must be <= 255"),
        ({"diff_threshold": 16.0}, "diff_threshold must be an integer"),
        ({"min_object_area": 0}, "min_object_area must be an integer >= 1"),
        ({"min_object_area": True}, "min_object_area must be an integer"),
    ],
)
def test_invalid_object_settings_are_rejected_by_name(setting: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=f"motion extractor: {message}"):
        MotionExtractor(**setting)


def test_object_settings_round_trip_through_config() -> None:
    extractor = MotionExtractor(stabilise=False, objects=False, diff_threshold=255, min_object_area=1)
    config = json.loads(json.dumps(extractor.config()))
    assert (config["stabilise"], config["objects"], config["diff_threshold"], config["min_object_area"]) == (
        False,
        False,
        255,
        1,
    )
    assert MotionExtractor(**config).config() == extractor.config()
