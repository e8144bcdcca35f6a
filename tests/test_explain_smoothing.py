"""Smoothing: hand-computed values, and agreement with scipy.ndimage (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from vadkit.explain import EventConfig, gaussian_kernel, smooth_scores

FPS = 29.97


def _scores(size: int) -> np.ndarray:
    return np.random.default_rng(7).random(size)


def test_moving_average_by_hand_with_edge_padding() -> None:
    config = EventConfig(smoothing="moving_average", window_s=0.3)  # 3 frames at 10 fps
    assert smooth_scores(np.array([0.0, 0.0, 3.0, 0.0, 0.0]), 10, config).tolist() == [0, 1, 1, 1, 0]
    # The border repeats the first score: [3, | 3, 0, 0, | 0].
    assert smooth_scores(np.array([3.0, 0.0, 0.0]), 10, config) == pytest.approx([2.0, 1.0, 0.0])


def test_median_by_hand() -> None:
    config = EventConfig(smoothing="median", window_s=0.3)
    smoothed = smooth_scores(np.array([0.0, 5.0, 0.0, 1.0, 1.0, 9.0]), 10, config)
    assert smoothed.tolist() == [0, 0, 1, 1, 1, 9]


def test_none_is_an_unchanged_copy() -> None:
    scores = np.array([0.2, 0.9, 0.1], dtype=np.float32)
    smoothed = smooth_scores(scores, FPS, EventConfig())
    assert smoothed.dtype == np.float64 and smoothed.tolist() == pytest.approx([0.2, 0.9, 0.1])


@pytest.mark.parametrize("size", [1, 7, 200])
@pytest.mark.parametrize("window_s", [0.1, 0.5, 1.0])
def test_moving_average_and_median_match_scipy(size: int, window_s: float) -> None:
    scores = _scores(size)
    window = EventConfig(window_s=window_s).window_frames(FPS)
    moving = smooth_scores(scores, FPS, EventConfig(smoothing="moving_average", window_s=window_s))
    median = smooth_scores(scores, FPS, EventConfig(smoothing="median", window_s=window_s))
    np.testing.assert_allclose(moving, ndimage.uniform_filter1d(scores, window, mode="nearest"), atol=1e-12)
    np.testing.assert_array_equal(median, ndimage.median_filter(scores, size=window, mode="nearest"))


@pytest.mark.parametrize("size", [1, 7, 200])
@pytest.mark.parametrize("sigma_s", [0.001, 0.1, 0.5])
def test_gaussian_matches_scipy(size: int, sigma_s: float) -> None:
    scores = _scores(size)
    smoothed = smooth_scores(scores, FPS, EventConfig(smoothing="gaussian", sigma_s=sigma_s))
    expected = ndimage.gaussian_filter1d(scores, sigma_s * FPS, mode="nearest", truncate=4.0)
    np.testing.assert_allclose(smoothed, expected, atol=1e-12)


def test_gaussian_kernel_radius_and_sum() -> None:
    kernel = gaussian_kernel(1.0)
    assert kernel.size == 9 and kernel.sum() == pytest.approx(1.0)
    assert kernel[4] == kernel.max() and kernel[0] == pytest.approx(kernel[8])
    assert gaussian_kernel(0.1).tolist() == [1.0]


def test_empty_scores_stay_empty() -> None:
    for kind in ("none", "moving_average", "gaussian", "median"):
        assert smooth_scores(np.zeros(0), FPS, EventConfig(smoothing=kind)).shape == (0,)
