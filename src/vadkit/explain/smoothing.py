"""Temporal smoothing of one video's frame scores, with the window sizes of an :class:`EventConfig`.

Every kind is centred on its frame and pads the borders by repeating the first and last score (numpy's
``edge`` padding, scipy.ndimage's ``mode="nearest"``): a video that starts or ends during an anomaly keeps
its high border scores instead of having them pulled toward zero or toward a mirrored neighbour. The output
has one value per input frame, also when the window is longer than the video.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from vadkit.explain.event_config import GAUSSIAN_TRUNCATE, EventConfig

_MEDIAN_ROWS = 1 << 16
"""Frames per block of the median filter, which bounds its working memory to ``_MEDIAN_ROWS * window``."""


def _edge_padded(scores: np.ndarray, radius: int) -> np.ndarray:
    return np.pad(scores, radius, mode="edge")


def _convolved(scores: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Centred convolution of ``scores`` with the odd-length symmetric ``kernel``, edges repeated."""
    return np.convolve(_edge_padded(scores, kernel.size // 2), kernel, mode="valid")


def gaussian_kernel(sigma_frames: float) -> np.ndarray:
    """Normalised Gaussian weights over ``[-r, r]`` frames, ``r = int(GAUSSIAN_TRUNCATE * sigma + 0.5)``
    (the radius scipy.ndimage.gaussian_filter1d uses); a single weight 1 when ``r == 0``."""
    radius = int(GAUSSIAN_TRUNCATE * sigma_frames + 0.5)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    weights = np.exp(-0.5 * (offsets / sigma_frames) ** 2)
    return weights / weights.sum()


def _median(scores: np.ndarray, window: int) -> np.ndarray:
    windows = sliding_window_view(_edge_padded(scores, window // 2), window)
    return np.concatenate(
        [np.median(windows[i : i + _MEDIAN_ROWS], axis=1) for i in range(0, scores.size, _MEDIAN_ROWS)]
    )


def smooth_scores(scores: np.ndarray, fps: float, config: EventConfig) -> np.ndarray:
    """``scores`` (1-D, finite) smoothed as ``config.smoothing`` says, at frame rate ``fps``.

    * ``"none"``: a float64 copy.
    * ``"moving_average"``: mean over :meth:`EventConfig.window_frames` frames centred on each frame.
    * ``"median"``: median over the same window.
    * ``"gaussian"``: weighted mean with :func:`gaussian_kernel` of ``config.sigma_frames(fps)``.

    Returns:
        ``(N,)`` float64, ``N = scores.size`` (an empty input gives an empty output).
    """
    values = np.asarray(scores, dtype=np.float64)
    if config.smoothing == "none" or values.size == 0:
        return values.copy()
    if config.smoothing == "gaussian":
        return _convolved(values, gaussian_kernel(config.sigma_frames(fps)))
    window = config.window_frames(fps)
    if config.smoothing == "median":
        return _median(values, window)
    return _convolved(values, np.full(window, 1.0 / window))
