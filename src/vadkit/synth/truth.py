"""Ground truth of a simulated video, derived from the world itself: frame labels, event spans, boxes with
track ids, and one description per event.

An event's span is its behaviour's frames ``[start, end)`` cut to the video and to the frames in which at
least one of its boxed agents has a pixel in the frame: ``[first such frame, last such frame + 1)``. Its boxes
are, for every frame of the span and every boxed agent with a pixel in the frame, the inclusive bounding box
of the agent's drawn pixels clipped to the frame. Track ids number the boxed agents of the video from 0, in
event order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vadkit.synth.descriptions import describe
from vadkit.synth.render import agent_box
from vadkit.synth.rules import FPS
from vadkit.synth.world import Event, World


@dataclass(frozen=True)
class EventTruth:
    """One annotated event: class, frames ``[start, end)``, the track ids of its boxed agents, description."""

    label: str
    start: int
    end: int
    track_ids: tuple[int, ...]
    description: str


@dataclass(frozen=True)
class VideoTruth:
    """Per-frame 0/1 labels (uint8), the events, and the boxes as ``(K, 6)`` int64 rows ``track_id, frame,
    x_min, y_min, x_max, y_max`` sorted by track, then frame."""

    labels: np.ndarray
    events: tuple[EventTruth, ...]
    boxes: np.ndarray


def event_span(world: World, event: Event) -> tuple[int, int] | None:
    """The event's annotated frames ``[start, end)``, ``None`` if none of its agents is ever in view during
    its behaviour."""
    lo, hi = max(event.behaviour[0], 0), min(event.behaviour[1], world.num_frames)
    seen = [t for t in range(lo, hi) if any(agent_box(world, i, t) is not None for i in event.agents)]
    return (seen[0], seen[-1] + 1) if seen else None


def video_truth(world: World) -> VideoTruth:
    """The ground truth of every event of ``world``."""
    labels = np.zeros(world.num_frames, dtype=np.uint8)
    events, rows = [], []
    track = 0
    for event in world.events:
        span = event_span(world, event)
        if span is None:
            raise ValueError(f"{world.name}: event {event.label} is never in view")
        start, end = span
        labels[start:end] = 1
        ids = tuple(range(track, track + len(event.agents)))
        for track_id, index in zip(ids, event.agents, strict=True):
            for t in range(start, end):
                box = agent_box(world, index, t)
                if box is not None:
                    rows.append((track_id, t, *box))
        track += len(event.agents)
        description = describe(event.label, event.details, start, end, FPS, event.template)
        events.append(EventTruth(event.label, start, end, ids, description))
    boxes = np.array(rows, dtype=np.int64).reshape(-1, 6)
    return VideoTruth(labels, tuple(events), boxes)
