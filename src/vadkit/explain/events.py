"""From frame scores to events: smoothing, hysteresis thresholds, merging of close events, minimum duration.

The pipeline, in this order, on one video of ``N`` frames at ``fps`` frames per second:

1. **Smooth** the scores (:func:`~vadkit.explain.smoothing.smooth_scores`; borders padded by repeating the
   first/last score).
2. **Hysteresis**: a run is a maximal stretch of frames whose smoothed score is ``>= low`` that contains at
   least one frame ``>= high``; so a detection starts where the score reaches ``high`` and extends both ways
   while it stays ``>= low``. With ``low == high`` this is a plain threshold: runs of frames ``>= high``.
3. **Merge** consecutive runs separated by a gap of fewer than ``merge_gap_s`` seconds
   (:meth:`EventConfig.max_merged_gap` frames or fewer); the gap frames become part of the event.
4. **Drop** events shorter than ``min_duration_s`` (fewer than :meth:`EventConfig.min_frames` frames).

Merging before dropping lets two short bursts close together survive as one event. Frames are 0-based and
events are half-open ``[start, end)`` as everywhere in vadkit, so an event lasts ``(end - start) / fps``
seconds, from ``start / fps`` to ``end / fps`` (:class:`~vadkit.types.Event` ``start_s``/``end_s``).

An event's ``peak_score``, ``peak_frame`` (first frame of the maximum) and ``mean_score`` are taken from the
*smoothed* scores over ``[start, end)`` (gap frames included): the signal the thresholds were applied to, so
every event has ``peak_score >= high``. With ``smoothing="none"`` they are the input scores.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from vadkit.explain.event_config import EventConfig
from vadkit.explain.inputs import video_scores
from vadkit.explain.smoothing import smooth_scores
from vadkit.types import Event, FrameScores


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and (exclusive) ends of the runs of True in the 1-D boolean ``mask``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])).astype(np.int8)))
    return edges[0::2], edges[1::2]


def event_intervals(smoothed: np.ndarray, fps: float, config: EventConfig) -> np.ndarray:
    """Steps 2–4 of the pipeline (hysteresis, merge, minimum duration) on already smoothed scores.

    Args:
        smoothed: ``(N,)`` finite smoothed scores of one video.
        fps: its frame rate, for the durations of ``config``.
        config: thresholds, merge gap and minimum duration.

    Returns:
        ``(K, 2)`` int64 array of half-open ``[start, end)`` frame intervals, sorted and disjoint.
    """
    starts, ends = _runs(smoothed >= config.low_threshold)
    high_hits = np.concatenate(([0], np.cumsum(smoothed >= config.high)))
    reaches_high = high_hits[ends] > high_hits[starts]
    starts, ends = starts[reaches_high], ends[reaches_high]
    if starts.size > 1:
        opens_event = np.concatenate(([True], starts[1:] - ends[:-1] > config.max_merged_gap(fps)))
        closes_event = np.concatenate((opens_event[1:], [True]))
        starts, ends = starts[opens_event], ends[closes_event]
    long_enough = ends - starts >= config.min_frames(fps)
    return np.stack((starts[long_enough], ends[long_enough]), axis=1).astype(np.int64)


def detect_events(
    scores: FrameScores | ArrayLike,
    config: EventConfig | None = None,
    *,
    fps: float | None = None,
    video: str | None = None,
) -> list[Event]:
    """Events of one video from its frame scores (see the module docstring for the exact pipeline).

    Args:
        scores: :class:`FrameScores`, or a 1-D array of one score per frame (higher = more abnormal).
        config: the pipeline settings; ``None`` means ``EventConfig()`` (no smoothing, threshold 0.5).
        fps: frame rate; required for an array, optional (and checked) for :class:`FrameScores`.
        video: name of the video, put on the events and in errors (an array defaults to ``"scores"``).

    Returns:
        The events in time order, each with start/end frames (0-based, end exclusive) and seconds,
        ``peak_score``, ``peak_frame`` and ``mean_score`` of the smoothed scores. Empty for an empty video.

    Raises:
        ValidationError: NaN or inf scores (the message names the video and the first bad frames), scores
            that are not 1-D, a missing or non-positive ``fps``.
    """
    config = EventConfig() if config is None else config
    checked = video_scores(scores, fps, video)
    smoothed = smooth_scores(checked.scores, checked.fps, config)
    events = []
    for start, end in event_intervals(smoothed, checked.fps, config).tolist():
        inside = smoothed[start:end]
        peak = int(np.argmax(inside))
        events.append(
            Event(
                video=checked.video,
                start=start,
                end=end,
                fps=checked.fps,
                peak_score=float(inside[peak]),
                mean_score=float(inside.mean()),
                peak_frame=start + peak,
            )
        )
    return events
