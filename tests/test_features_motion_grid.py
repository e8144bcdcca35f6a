"""Per-cell statistics of the motion extractor, against independent NumPy/SciPy computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from vadkit.features.motion_grid import DIRECTIONS, SOBEL_GAIN, CellGrid


def blocks(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``(N, rows * cols, pixels)``: the pixels of every cell, row-major, by plain reshaping."""
    count, height, width = images.shape[:3]
    split = images.reshape(count, rows, height // rows, cols, width // cols, *images.shape[3:])
    split = np.moveaxis(split, 3, 2)
    return split.reshape(count, rows * cols, -1, *images.shape[3:])


def test_cells_must_divide_the_image() -> None:
    with pytest.raises(ValueError, match="cannot be cut into 4x3 equal cells"):
        CellGrid(width=32, height=30, rows=4, cols=3)


def test_appearance_statistics_match_numpy_and_scipy() -> None:
    rng = np.random.default_rng(0)
    greys = rng.integers(0, 256, (3, 24, 36), dtype=np.uint8)
    greys[1] = 200  # a flat frame: no edge, no spread
    grid = CellGrid(width=36, height=24, rows=2, cols=3)
    stats = grid.appearance_statistics(greys, edge_threshold=0.3)

    cells = blocks(greys.astype(np.float64) / 255.0, 2, 3)
    np.testing.assert_allclose(stats[..., 0], cells.mean(axis=2), atol=1e-12)
    np.testing.assert_allclose(stats[..., 1], cells.std(axis=2), atol=1e-7)
    # SciPy's "mirror" border is OpenCV's default BORDER_REFLECT_101; its sobel is the same 3x3 kernel.
    magnitude = np.stack(
        [
            np.hypot(
                ndimage.sobel(g.astype(float), axis=1, mode="mirror"),
                ndimage.sobel(g.astype(float), axis=0, mode="mirror"),
            )
            for g in greys
        ]
    )
    is_edge = magnitude / (SOBEL_GAIN * 255.0) >= 0.3
    np.testing.assert_allclose(stats[..., 2], blocks(is_edge, 2, 3).mean(axis=2), atol=1e-12)
    assert stats[1, :, 1].max() == 0.0 and stats[1, :, 2].max() == 0.0
    assert 0.05 < stats[0, :, 2].mean() < 0.95  # the threshold splits random texture: a real test


def test_edge_threshold_is_in_intensity_per_pixel() -> None:
    # A vertical step from 0 to 102 (0.4): Sobel/8 gives 0.2 at the two columns beside the step.
    grey = np.zeros((1, 8, 8), dtype=np.uint8)
    grey[:, :, 4:] = 102
    grid = CellGrid(width=8, height=8, rows=1, cols=1)
    assert grid.appearance_statistics(grey, edge_threshold=0.19)[0, 0, 2] == pytest.approx(2 / 8)
    assert grid.appearance_statistics(grey, edge_threshold=0.21)[0, 0, 2] == 0.0


def reference_flow_statistics(flow: np.ndarray, edges: np.ndarray, rows: int, cols: int) -> tuple:
    """Speed histogram, direction sums and moving fraction per cell, pixel by pixel in plain NumPy."""
    dx, dy = flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64)
    speed = np.hypot(dx, dy)
    compass = np.degrees(np.arctan2(-dy, dx)) % 360.0
    direction = np.floor((compass + 22.5) / 45.0).astype(int) % 8
    speed_bin = np.digitize(speed, edges)
    cells = blocks(np.stack([speed, speed_bin, direction], axis=-1)[None], rows, cols)[0]
    histogram, sums, moving = [], [], []
    for cell in cells:
        s, b, d = cell[:, 0], cell[:, 1].astype(int), cell[:, 2].astype(int)
        histogram.append(np.bincount(b, minlength=len(edges) + 1) / len(s))
        sums.append(np.array([s[(d == k) & (s >= edges[0])].sum() for k in range(8)]) / len(s))
        moving.append(np.mean(s >= edges[0]))
    return np.array(histogram), np.array(sums), np.array(moving)


def test_flow_statistics_match_a_pixel_by_pixel_reference() -> None:
    rng = np.random.default_rng(1)
    flows = rng.normal(0.0, 1.5, (2, 16, 24, 2)).astype(np.float32)
    edges = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    grid = CellGrid(width=24, height=16, rows=2, cols=3)
    stats = grid.flow_statistics(flows, edges)
    assert stats.speed_histogram.shape == (2, 6, 4)
    assert stats.direction.shape == (2, 6, 8)
    for index, flow in enumerate(flows):
        histogram, sums, moving = reference_flow_statistics(flow, edges, 2, 3)
        np.testing.assert_allclose(stats.speed_histogram[index], histogram, atol=1e-12)
        np.testing.assert_allclose(stats.direction[index], sums, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(stats.moving[index], moving, atol=1e-12)


@pytest.mark.parametrize(
    ("dx", "dy", "expected"),
    [
        (3.0, 0.0, "E"),
        (2.0, -2.0, "NE"),  # image y points down: negative dy is up
        (0.0, -3.0, "N"),
        (-2.0, -2.0, "NW"),
        (-3.0, 0.0, "W"),
        (-2.0, 2.0, "SW"),
        (0.0, 3.0, "S"),
        (2.0, 2.0, "SE"),
        (3.0, -1.0, "E"),  # 18 degrees above east: still E
        (1.0, -3.0, "N"),  # 72 degrees: N
    ],
)
def test_direction_bins_follow_the_compass_with_north_up(dx: float, dy: float, expected: str) -> None:
    flow = np.zeros((1, 8, 8, 2), dtype=np.float32)
    flow[:, :4, :4] = (dx, dy)  # the top-left cell moves, the others do not
    grid = CellGrid(width=8, height=8, rows=2, cols=2)
    stats = grid.flow_statistics(flow, np.array([0.5], dtype=np.float32))
    speed = np.hypot(dx, dy)
    expected_sums = np.zeros(8)
    expected_sums[DIRECTIONS.index(expected)] = speed
    np.testing.assert_allclose(stats.direction[0, 0], expected_sums, rtol=1e-5)
    np.testing.assert_array_equal(stats.moving[0], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(stats.direction[0, 1:], 0.0)
