"""Dense optical flow between two grey frames, with OpenCV's DIS or Farnebäck estimator.

A flow field is ``(H, W, 2)`` float32: ``[..., 0]`` is the displacement along x (right) and ``[..., 1]`` along
y (down, the image convention), in pixels: pixel ``(x, y)`` of the previous frame moved to
``(x + dx, y + dy)`` in the current one.

DIS (Kroeger et al., ECCV 2016) fits the displacement of small patches by gradient descent, coarse to fine on
an image pyramid, then blends the patches into a dense field. OpenCV's presets fix the patch parameters
(``ultrafast``: 8x8 patches every 4 pixels, 12 descent iterations, no variational refinement; ``fast``: 16
iterations and 5 refinement iterations; ``medium``: 12x12 patches every 3 pixels, 25 and 5) and a *finest
scale*, the pyramid level DIS stops at before upsampling (2 for ``ultrafast``). Here DIS always runs down to
the image it is given (finest scale 0): the caller chooses the flow resolution by the size of the images it
passes, so that no flow is computed at one size and upsampled to another only to be averaged again. On the
small images the motion extractor uses, OpenCV's coarsest level is then the image itself or one level above.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

FlowEstimator = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``estimate(previous, current) -> flow``: grey uint8 ``(H, W)`` frames to an ``(H, W, 2)`` float32 field."""

FLOW_METHODS = ("dis", "farneback")
"""The flow estimators :func:`make_flow_estimator` knows."""

DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
"""OpenCV's DIS presets by name."""

MIN_FLOW_SIDE = 12
"""Smallest side of a flow image: OpenCV's DIS needs the shorter side to hold a patch (8 pixels for
``ultrafast`` and ``fast``, 12 for ``medium``)."""

FARNEBACK_PARAMETERS = {
    "pyr_scale": 0.5,
    "levels": 3,
    "winsize": 9,
    "iterations": 3,
    "poly_n": 5,
    "poly_sigma": 1.1,
    "flags": 0,
}
"""Farnebäck settings: a 3-level pyramid halving each time (as DIS ultrafast uses 2 levels above the
finest), a 9-pixel averaging window (about a patch of DIS), 3 iterations per level, and the 5-pixel polynomial
neighbourhood with the Gaussian OpenCV recommends for it (sigma 1.1)."""


def make_flow_estimator(method: str, dis_preset: str = "ultrafast") -> FlowEstimator:
    """A flow estimator (see :data:`FlowEstimator`) giving flow at the resolution of its input images.

    Make one per video: the DIS object keeps buffers between calls (no motion state).

    Args:
        method: ``"dis"`` or ``"farneback"``.
        dis_preset: DIS patch parameters, a key of :data:`DIS_PRESETS` (used by ``"dis"`` only).

    Raises:
        ValueError: an unknown method or preset.
    """
    if method == "dis":
        if dis_preset not in DIS_PRESETS:
            raise ValueError(f"unknown DIS preset {dis_preset!r}; known: {', '.join(DIS_PRESETS)}")
        dis = cv2.DISOpticalFlow_create(DIS_PRESETS[dis_preset])
        dis.setFinestScale(0)
        return lambda previous, current: dis.calc(previous, current, None)
    if method == "farneback":
        return lambda previous, current: cv2.calcOpticalFlowFarneback(
            previous, current, None, **FARNEBACK_PARAMETERS
        )
    raise ValueError(f"unknown flow method {method!r}; known: {', '.join(FLOW_METHODS)}")
