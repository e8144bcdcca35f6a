"""The camera's imperfections: a shake of a pixel or two, slow lighting drift and sensor noise."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.signal import lfilter

from vadkit.synth.rules import CANVAS_PAD, FPS, HEIGHT, MAX_JITTER, WIDTH

NOISE_BANK = 8
"""Noise fields drawn per video; each frame cuts its noise from one of them at a random offset."""

NOISE_MARGIN = 24
"""Extra rows and columns of each noise field, the range of the random offsets."""


@dataclass(frozen=True)
class Camera:
    """Per-frame camera state of one video.

    ``jitter[t]`` is the image shift ``(dx, dy)`` at frame ``t`` (the frame shows canvas pixels starting at
    ``CANVAS_PAD + dx, CANVAS_PAD + dy``, so content moves by ``-dx, -dy``); ``gain[t]`` multiplies every
    pixel (lighting); ``noise_sigma`` is the standard deviation of the Gaussian sensor noise (grey levels,
    the same on the three channels), drawn from ``noise_seed`` (:meth:`noise_fields`).
    """

    jitter: np.ndarray
    gain: np.ndarray
    noise_sigma: float
    noise_seed: int

    def crop(self, canvas: np.ndarray, t: int) -> np.ndarray:
        """The frame-sized view of a padded canvas at frame ``t``."""
        x0, y0 = CANVAS_PAD + int(self.jitter[t, 0]), CANVAS_PAD + int(self.jitter[t, 1])
        return canvas[y0 : y0 + HEIGHT, x0 : x0 + WIDTH]

    def expose(self, canvas: np.ndarray, t: int, grain: np.ndarray) -> np.ndarray:
        """Frame ``t`` as the camera records it: cropped, scaled by the lighting gain (rounded), plus
        ``grain``, an ``(HEIGHT, WIDTH, 1)`` int16 sensor-noise field (see :meth:`noise_fields`)."""
        lut = np.clip(np.rint(np.arange(256) * self.gain[t]), 0, 255).astype(np.uint8)
        lit = cv2.LUT(np.ascontiguousarray(self.crop(canvas, t)), lut)
        return np.clip(lit.astype(np.int16) + grain, 0, 255).astype(np.uint8)

    def noise_fields(self, num_frames: int) -> Iterator[np.ndarray]:
        """Sensor noise for frames ``0 .. num_frames - 1``: Gaussian fields (standard deviation
        ``noise_sigma``, rounded to grey levels) cut at random offsets from a bank of :data:`NOISE_BANK`
        fields with a margin, so consecutive frames get unrelated noise at a fraction of the cost of drawing
        it."""
        rng = np.random.default_rng(self.noise_seed)
        shape = (NOISE_BANK, HEIGHT + NOISE_MARGIN, WIDTH + NOISE_MARGIN, 1)
        bank = np.rint(rng.normal(0.0, self.noise_sigma, size=shape)).astype(np.int16)
        picks = rng.integers(NOISE_BANK, size=num_frames)
        offsets = rng.integers(NOISE_MARGIN + 1, size=(num_frames, 2))
        for t in range(num_frames):
            y, x = offsets[t]
            yield bank[picks[t], y : y + HEIGHT, x : x + WIDTH]


def make_camera(rng: np.random.Generator, num_frames: int, noise_sigma: float) -> Camera:
    """A camera for ``num_frames`` frames: a slow random wobble (an AR(1) process with coefficient 0.97 and
    innovations of 0.1 pixel, rounded, clipped to :data:`~vadkit.synth.rules.MAX_JITTER`: the picture moves
    by a pixel in about one frame in seven, as a mast-mounted camera sways, not every frame), a gain ``1 + a
    sin(2 pi t / T + phi) + b (t / n - 1/2)`` with ``a`` in [0.02, 0.06], ``T`` in [8, 30] s and ``b`` in
    [-0.05, 0.05]."""
    shake = lfilter([1.0], [1.0, -0.97], rng.normal(0.0, 0.1, size=(num_frames, 2)), axis=0)
    jitter = np.clip(np.rint(shake), -MAX_JITTER, MAX_JITTER).astype(np.int64)
    amplitude, period = rng.uniform(0.02, 0.06), rng.uniform(8.0, 30.0) * FPS
    phase, drift = rng.uniform(0, 2 * np.pi), rng.uniform(-0.05, 0.05)
    t = np.arange(num_frames, dtype=np.float64)
    gain = 1 + amplitude * np.sin(2 * np.pi * t / period + phase) + drift * (t / max(num_frames, 1) - 0.5)
    return Camera(jitter, gain, float(noise_sigma), int(rng.integers(2**31)))
