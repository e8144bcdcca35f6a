"""Thumbnails of an event's key frames, with the evidence box.

:func:`read_key_frames` reads the key frames of an :class:`~vadkit.explain.evidence.Evidence` from the video
(:func:`vadkit.io.open_video`, decoded straight at the thumbnail size) and returns small uint8 RGB images with
the box scaled to them, drawn (:func:`draw_box`) unless asked not to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vadkit.errors import ValidationError
from vadkit.explain.evidence import Box, Evidence
from vadkit.io import open_video

BOX_COLOUR = (255, 0, 0)
"""RGB colour of a drawn box (red)."""


@dataclass(frozen=True)
class Thumbnail:
    """A key frame, small.

    Attributes:
        role: ``"start"``, ``"peak"`` or ``"end"``.
        frame: its index in the video.
        time_s: its time in seconds.
        image: ``(h, w, 3)`` uint8 RGB.
        box: the evidence box in thumbnail pixels (half-open ``(x0, y0, x1, y1)``), ``None`` without one.
    """

    role: str
    frame: int
    time_s: float
    image: np.ndarray
    box: Box | None


def thumbnail_size(frame_size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``(width, height)`` of a thumbnail whose longer side is ``max_side`` (never larger than the frame)."""
    width, height = frame_size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def scale_box(box: Box, frame_size: tuple[int, int], size: tuple[int, int]) -> Box:
    """``box`` (pixels of a ``frame_size`` frame) in pixels of the same frame resized to ``size``, widened to
    whole pixels (floor of the start, ceiling of the end)."""
    sx, sy = size[0] / frame_size[0], size[1] / frame_size[1]
    x0, y0, x1, y1 = box
    return (
        math.floor(x0 * sx),
        math.floor(y0 * sy),
        min(size[0], math.ceil(x1 * sx)),
        min(size[1], math.ceil(y1 * sy)),
    )


def draw_box(image: np.ndarray, box: Box, colour: tuple[int, int, int] = BOX_COLOUR) -> np.ndarray:
    """A copy of ``image`` (uint8 RGB) with the outline of the half-open ``box`` drawn one pixel wide inside
    it (its outermost pixels)."""
    drawn = np.ascontiguousarray(image).copy()
    x0, y0, x1, y1 = box
    cv2.rectangle(drawn, (x0, y0), (x1 - 1, y1 - 1), colour, thickness=1)
    return drawn


def read_key_frames(
    video: str | Path, evidence: Evidence, *, max_side: int = 160, draw: bool = True
) -> list[Thumbnail]:
    """Thumbnails of ``evidence.key_frames`` from ``video``, in the evidence's order.

    Args:
        video: the event's video file or frame folder.
        evidence: its evidence (:func:`~vadkit.explain.evidence.explain_event`).
        max_side: the thumbnails' longer side in pixels.
        draw: draw the evidence box on the images (it is returned in :attr:`Thumbnail.box` either way).

    Raises:
        ValidationError: a video whose size is not the evidence's frame size, a key frame outside it.
        VideoDecodeError: the video or a key frame cannot be read.
    """
    if max_side < 1:
        raise ValidationError(f"{video}: max_side must be >= 1, got {max_side}")
    size = thumbnail_size(evidence.frame_size, max_side)
    with open_video(video, size=size) as reader:
        native = (reader.info.width, reader.info.height)
        if native != evidence.frame_size:
            raise ValidationError(
                f"{video}: the video is {native[0]}x{native[1]}, the evidence was computed for "
                f"{evidence.frame_size[0]}x{evidence.frame_size[1]}"
            )
        images = reader.read_frames([key.frame for key in evidence.key_frames])
    box = None if evidence.box is None else scale_box(evidence.box, evidence.frame_size, size)
    return [
        Thumbnail(
            role=key.role,
            frame=key.frame,
            time_s=key.time_s,
            image=draw_box(image, box) if draw and box is not None else image,
            box=box,
        )
        for key, image in zip(evidence.key_frames, images, strict=True)
    ]
