"""Spatial crops of frames: the center / 5-crop / 10-crop views of the public feature releases.

The public I3D and CLIP feature files of UCF-Crime, ShanghaiTech and XD-Violence hold one feature per view
of each snippet (``(T, 10, D)`` for 10-crop, or one file per crop), computed on square crops of the resized
frames. The views and their order follow torchvision's ``FiveCrop`` / ``TenCrop`` (``vertical_flip=False``),
which the extraction scripts of those releases call:

* ``"center"``: 1 view, the center crop;
* ``"five"``: top-left, top-right, bottom-left, bottom-right, center;
* ``"ten"``: the five, then the five of the horizontally flipped frame, in the same order (torchvision's
  ``five_crop(img) + five_crop(hflip(img))``): view 5, the top-left of the flipped frame, is the mirror image
  of view 1, the top-right of the original; views 6, 7, 8 and 9 mirror views 0, 3, 2 and 4.

The center crop starts at ``round((H - size) / 2)``, ``round((W - size) / 2)`` (Python's rounding, halves to
even, as torchvision's ``center_crop`` does).
"""

from __future__ import annotations

import numpy as np

from vadkit.errors import ValidationError

CROP_MODES = {"center": 1, "five": 5, "ten": 10}
"""Crop modes and their number of views."""

Box = tuple[int, int, int, int]
"""``(left, top, right, bottom)`` in pixels, right and bottom exclusive."""


def crop_count(mode: str) -> int:
    """Number of views of ``mode``.

    Raises:
        ValidationError: an unknown mode.
    """
    if mode not in CROP_MODES:
        raise ValidationError(f"crop mode must be one of {', '.join(CROP_MODES)}, got {mode!r}")
    return CROP_MODES[mode]


def crop_boxes(width: int, height: int, size: int, mode: str) -> list[Box]:
    """The boxes of ``mode``'s views of a ``width`` x ``height`` frame, for the views taken without a flip
    (1 for ``"center"``, 5 for ``"five"`` and ``"ten"``; the flipped views of ``"ten"`` mirror these).

    Raises:
        ValidationError: an unknown mode, or a crop larger than the frame.
    """
    count = crop_count(mode)
    if size < 1 or size > width or size > height:
        raise ValidationError(f"a {size}x{size} crop does not fit in a {width}x{height} frame")
    top, left = round((height - size) / 2.0), round((width - size) / 2.0)
    center = (left, top, left + size, top + size)
    if count == 1:
        return [center]
    return [
        (0, 0, size, size),
        (width - size, 0, width, size),
        (0, height - size, size, height),
        (width - size, height - size, width, height),
        center,
    ]


def take_crops(frames: np.ndarray, size: int, mode: str) -> np.ndarray:
    """The views of ``frames``: ``(N, H, W, C)`` -> ``(crops, N, size, size, C)`` (copies, in view order).

    Raises:
        ValidationError: frames not 4-D, an unknown mode, or a crop larger than the frames.
    """
    if frames.ndim != 4:
        raise ValidationError(f"frames must be (N, H, W, C), got shape {frames.shape}")
    _, height, width, _ = frames.shape
    boxes = crop_boxes(width, height, size, mode)
    sources = [frames, frames[:, :, ::-1]] if crop_count(mode) == 10 else [frames]
    views = [source[:, top:bottom, left:right] for source in sources for left, top, right, bottom in boxes]
    return np.ascontiguousarray(np.stack(views))
