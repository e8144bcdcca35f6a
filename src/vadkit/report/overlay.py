"""A video with the detector's output burnt in: the score curve under the picture, events marked.

Each output frame is the input frame (native size) above a strip of :data:`STRIP_HEIGHT` pixels showing the
whole video's score curve (blue), the threshold (grey), a cursor at the current frame and the events
(orange spans). While an event is on, the picture gets an orange border, the event's number and class, and
its evidence box (``event.evidence["box"]``: ``[x0, y0, x1, y1]`` frame pixels) when it has one. Frames
stream from the reader to the encoder, one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from vadkit.io import open_video, write_video
from vadkit.types import Event

STRIP_HEIGHT = 48
"""Height in pixels of the score strip under the picture."""

ORANGE = (255, 140, 0)
BLUE = (40, 100, 220)
GREY = (150, 150, 150)


def score_strip(scores: np.ndarray, width: int, threshold: float, events: Sequence[Event]) -> np.ndarray:
    """The ``(STRIP_HEIGHT, width, 3)`` RGB strip of the whole video: events, threshold and curve."""
    strip = np.full((STRIP_HEIGHT, width, 3), 250, dtype=np.uint8)
    count = max(len(scores), 1)

    def x_of(frame: float) -> int:
        return min(width - 1, round(frame * (width - 1) / max(count - 1, 1)))

    def y_of(score: float) -> int:
        return round((STRIP_HEIGHT - 4) * (1.0 - min(max(score, 0.0), 1.0))) + 2

    for event in events:
        span = (x_of(event.start), 0), (x_of(event.end - 1), STRIP_HEIGHT - 1)
        cv2.rectangle(strip, *span, (255, 220, 180), -1)
    cv2.line(strip, (0, y_of(threshold)), (width - 1, y_of(threshold)), GREY, 1)
    points = np.array([[x_of(i), y_of(float(s))] for i, s in enumerate(scores)], dtype=np.int32)
    if len(points) > 1:
        cv2.polylines(strip, [points.reshape(-1, 1, 2)], False, BLUE, 1, cv2.LINE_AA)
    return strip


def _active(events: Sequence[Event], frame: int) -> tuple[int, Event] | None:
    for number, event in enumerate(events, start=1):
        if event.start <= frame < event.end:
            return number, event
    return None


def overlay_frames(
    frames: Iterator[np.ndarray], scores: np.ndarray, threshold: float, events: Sequence[Event]
) -> Iterator[np.ndarray]:
    """The overlay frames (module docstring) of ``frames``, one per input frame."""
    strip: np.ndarray | None = None
    for index, frame in enumerate(frames):
        height, width = frame.shape[:2]
        if strip is None:
            strip = score_strip(scores, width, threshold, events)
        picture = frame.copy()
        found = _active(events, index)
        if found is not None:
            number, event = found
            cv2.rectangle(picture, (0, 0), (width - 1, height - 1), ORANGE, 3)
            box = event.evidence.get("box") if event.evidence else None
            if box is not None:
                x0, y0, x1, y1 = (round(float(v)) for v in box)
                cv2.rectangle(picture, (x0, y0), (x1, y1), ORANGE, 2)
            label = f"event {number}" + (f": {event.class_name}" if event.class_name else "")
            cv2.putText(picture, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, ORANGE, 1, cv2.LINE_AA)
        below = strip.copy()
        cursor = min(width - 1, round(index * (width - 1) / max(len(scores) - 1, 1)))
        cv2.line(below, (cursor, 0), (cursor, STRIP_HEIGHT - 1), (0, 0, 0), 1)
        yield np.concatenate([picture, below], axis=0)


def even_sized(frame: np.ndarray) -> np.ndarray:
    """``frame`` cut to even height and width (4:2:0 H.264 needs both even)."""
    height, width = frame.shape[:2]
    return frame[: height - height % 2, : width - width % 2]


def write_overlay(
    path: str | Path,
    source: str | Path,
    scores: np.ndarray,
    threshold: float,
    events: Sequence[Event],
    fps: float,
) -> Path:
    """Write the overlay ``.mp4`` (H.264) of ``source`` to ``path``; returns the path."""
    with open_video(source) as reader:
        frames = overlay_frames(reader.iter_frames(), scores, threshold, events)
        write_video(path, (even_sized(frame) for frame in frames), fps)
    return Path(path)
