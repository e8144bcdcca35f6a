"""detect_events: hysteresis, merging, minimum duration, their order, times in seconds, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.explain import EventConfig, detect_events, event_intervals
from vadkit.types import Event, FrameScores

#                   0    1    2    3    4    5    6    7    8    9     10    11
HYSTERESIS = np.array([0.1, 0.4, 0.6, 0.9, 0.6, 0.4, 0.1, 0.6, 0.1, 0.95, 0.45, 0.2])


def _spans(events: list[Event]) -> list[tuple[int, int]]:
    return [(event.start, event.end) for event in events]


def test_hysteresis_starts_at_high_and_extends_while_above_low() -> None:
    events = detect_events(HYSTERESIS, EventConfig(high=0.8, low=0.5), fps=1)
    # Runs >= 0.5: [2, 5) reaches 0.9, [7, 8) never reaches 0.8, [9, 10) reaches 0.95.
    assert _spans(events) == [(2, 5), (9, 10)]
    assert [e.peak_frame for e in events] == [3, 9]
    assert [e.peak_score for e in events] == [0.9, 0.95]
    assert events[0].mean_score == pytest.approx(0.7)
    wider = detect_events(HYSTERESIS, EventConfig(high=0.8, low=0.4), fps=1)
    assert _spans(wider) == [(1, 6), (9, 11)]


def test_plain_threshold_when_low_follows_high() -> None:
    assert _spans(detect_events(HYSTERESIS, EventConfig(high=0.6), fps=1)) == [(2, 5), (7, 8), (9, 10)]


def test_merge_gap_bridges_gaps_shorter_than_it() -> None:
    scores = np.zeros(12)
    scores[[0, 1, 4, 8, 9]] = 1.0  # runs [0, 2), [4, 5), [8, 10); gaps of 2 and 3 frames
    assert _spans(detect_events(scores, EventConfig(merge_gap_s=0.3), fps=10)) == [(0, 5), (8, 10)]
    assert _spans(detect_events(scores, EventConfig(merge_gap_s=0.31), fps=10)) == [(0, 10)]
    merged = detect_events(scores, EventConfig(merge_gap_s=0.3), fps=10)[0]
    assert merged.mean_score == pytest.approx(3 / 5)  # the gap frames count in the mean
    assert merged.peak_frame == 0


def test_min_duration_drops_short_events() -> None:
    scores = np.zeros(12)
    scores[[1, 4, 5, 8, 9, 10]] = 1.0  # runs of 1, 2 and 3 frames
    assert _spans(detect_events(scores, EventConfig(min_duration_s=0.2), fps=10)) == [(4, 6), (8, 11)]
    assert _spans(detect_events(scores, EventConfig(min_duration_s=0.21), fps=10)) == [(8, 11)]


def test_merging_happens_before_the_minimum_duration() -> None:
    scores = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 0.0])  # two 1-frame bursts, 1 frame apart
    config = EventConfig(merge_gap_s=0.2, min_duration_s=0.3)
    assert _spans(detect_events(scores, config, fps=10)) == [(1, 4)]


def test_seconds_with_a_non_integer_frame_rate() -> None:
    fps = 29.97
    scores = np.zeros(100)
    scores[10:39] = 1.0  # 29 frames: 0.968 s
    scores[60:90] = 1.0  # 30 frames: 1.001 s
    events = detect_events(scores, EventConfig(min_duration_s=1.0), fps=fps)
    assert _spans(events) == [(60, 90)]
    assert events[0].start_s == pytest.approx(60 / 29.97)
    assert events[0].end_s == pytest.approx(90 / 29.97)
    data = events[0].to_dict()
    assert (data["start_frame"], data["end_frame"], data["peak_frame"]) == (60, 90, 60)
    assert Event.from_dict(data) == events[0]


def test_smoothing_runs_first_and_keeps_border_scores() -> None:
    scores = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    config = EventConfig(smoothing="moving_average", window_s=0.3)  # 3 frames: [1, 2/3, 1/3, 0, 0, 0]
    events = detect_events(scores, config, fps=10)
    assert _spans(events) == [(0, 2)]
    assert events[0].peak_score == pytest.approx(1.0) and events[0].mean_score == pytest.approx(5 / 6)


def test_empty_all_below_and_all_above() -> None:
    assert detect_events(np.zeros(0), fps=25) == []
    assert detect_events(np.full(10, 0.49), fps=25) == []
    (event,) = detect_events(np.full(10, 0.5), fps=25, video="cam")
    assert (event.video, event.start, event.end, event.peak_frame) == ("cam", 0, 10, 0)
    assert event_intervals(np.zeros(0), 25, EventConfig()).shape == (0, 2)


def test_frame_scores_bring_their_fps_and_name() -> None:
    scores = FrameScores("cam3", np.array([0.0, 0.9, 0.9, 0.0]), fps=2.0)
    (event,) = detect_events(scores, EventConfig(high=0.5))
    assert (event.video, event.fps, event.start_s, event.end_s) == ("cam3", 2.0, 0.5, 1.5)
    with pytest.raises(ValidationError, match="cam3: fps 25"):
        detect_events(scores, fps=25)


def test_nan_scores_name_the_video_and_frames() -> None:
    scores = np.array([0.1, np.nan, 0.2, np.inf])
    with pytest.raises(ValidationError, match=r"cam7: scores contain NaN or inf \(2 frames, first: 1, 3\)"):
        detect_events(scores, fps=25, video="cam7")
    with pytest.raises(ValidationError, match=r"^scores: scores contain NaN"):
        detect_events(scores, fps=25)


def test_bad_shapes_and_missing_fps() -> None:
    with pytest.raises(ValidationError, match="1-D"):
        detect_events(np.zeros((2, 3)), fps=25)
    with pytest.raises(ValidationError, match="fps is needed"):
        detect_events(np.zeros(3))
    with pytest.raises(ValidationError, match="v: fps must be"):
        detect_events(np.zeros(3), fps=-1, video="v")


def test_event_peak_frame_must_lie_inside() -> None:
    with pytest.raises(ValidationError, match="peak_frame 5 is outside"):
        Event("v", 0, 5, 25.0, 1.0, 1.0, peak_frame=5)
