"""calibrate_threshold: hand-checked thresholds, the full pipeline in the FAR, minimality, JSON files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.explain import (
    EventConfig,
    ThresholdCalibration,
    calibrate_threshold,
    detect_events,
    smooth_scores,
)
from vadkit.types import FrameScores

RAMP = np.arange(1, 11) / 10  # 0.1, 0.2, ..., 1.0


def _far(videos: list[np.ndarray], config: EventConfig, fps: float) -> float:
    alarmed = sum(e.end - e.start for v in videos for e in detect_events(v, config, fps=fps))
    return alarmed / sum(v.size for v in videos)


@pytest.mark.parametrize(
    ("target", "threshold", "achieved"), [(0.2, 0.9, 0.2), (0.25, 0.9, 0.2), (1.0, 0.1, 1.0)]
)
def test_plain_threshold_by_hand(target: float, threshold: float, achieved: float) -> None:
    # A frame alarms when its score is >= the threshold: 0.9 alarms on 0.9 and 1.0, 0.8 on three frames.
    calibration = calibrate_threshold([RAMP], target, fps=10)
    assert calibration.threshold == threshold
    assert calibration.achieved_far == pytest.approx(achieved)
    assert (calibration.num_videos, calibration.num_frames, calibration.duration_s) == (1, 10, 1.0)


def test_zero_target_puts_the_threshold_just_above_every_score() -> None:
    calibration = calibrate_threshold([RAMP, np.full(5, 0.3)], 0.0, fps=10)
    assert calibration.threshold == np.nextafter(1.0, 2.0)
    assert (calibration.achieved_far, calibration.false_alarm_frames, calibration.false_events) == (0, 0, 0)
    assert detect_events(RAMP, calibration.config, fps=10) == []


def test_all_normal_scores_equal() -> None:
    calibration = calibrate_threshold([np.full(8, 0.7)], 0.5, fps=10)
    assert calibration.threshold == np.nextafter(0.7, 1.0) and calibration.achieved_far == 0.0
    assert calibrate_threshold([np.full(8, 0.7)], 1.0, fps=10).threshold == 0.7


def test_minimum_duration_is_part_of_the_false_alarm_rate() -> None:
    normal = np.array([0.0, 0.0, 0.9, 0.0, 0.0, 0.0, 0.7, 0.7, 0.7, 0.0])
    config = EventConfig(min_duration_s=0.2)  # 2 frames at 10 fps: the lone 0.9 never makes an event
    # At 0.9 nothing survives (a plain frame count would say 10%); at 0.7 the 3-frame run does (30%).
    assert calibrate_threshold([normal], 0.05, config, fps=10).threshold == 0.9
    low = calibrate_threshold([normal], 0.3, config, fps=10)
    assert (low.threshold, low.achieved_far, low.false_events) == (0.7, 0.3, 1)


def test_merging_is_part_of_the_false_alarm_rate() -> None:
    normal = np.array([0.8, 0.0, 0.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    # Plain frames: 20% at 0.8. Merged over the 1-frame gap: one event of 3 frames, 30%.
    merged = calibrate_threshold([normal], 0.2, EventConfig(merge_gap_s=0.2), fps=10)
    assert merged.threshold == np.nextafter(0.8, 1.0) and merged.achieved_far == 0.0
    assert calibrate_threshold([normal], 0.2, fps=10).threshold == 0.8


def test_hysteresis_margin_moves_with_the_threshold() -> None:
    # Binary fractions, so that ``high - margin`` is exact.
    normal = np.array([0.125, 0.5, 0.875, 0.5, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125])
    config = EventConfig(high=0.75, low=0.5)  # margin 0.25
    # Candidates: the scores 0.125, 0.5, 0.875 and those plus the margin 0.375, 0.75, 1.125.
    # high 0.375 (low 0.125): every frame is >= low, one event over the whole video: FAR 1.
    # high 0.5 (low 0.25) and high 0.75 (low 0.5): frames 1-3, FAR 0.3.
    # high 0.875 (low 0.625): frame 2, FAR 0.1.  high 1.125: nothing reaches high, FAR 0.
    calibration = calibrate_threshold([normal], 0.3, config, fps=1)
    assert (calibration.threshold, calibration.config.low, calibration.achieved_far) == (0.5, 0.25, 0.3)
    strict = calibrate_threshold([normal], 0.2, config, fps=1)
    assert (strict.threshold, strict.config.low, strict.achieved_far) == (0.875, 0.625, 0.1)
    assert calibrate_threshold([normal], 0.05, config, fps=1).threshold == 1.125
    assert calibrate_threshold([normal], 0.3, EventConfig(high=0.75), fps=1).config.low is None


def test_smoothed_calibration_is_the_lowest_candidate_meeting_the_target() -> None:
    rng = np.random.default_rng(0)
    fps = 29.97
    videos = [rng.random(n) for n in (40, 55, 31)]
    config = EventConfig(
        smoothing="moving_average", window_s=0.1, high=0.5, low=0.3, min_duration_s=0.1, merge_gap_s=0.1
    )
    assert config.window_frames(fps) == 3
    margin = config.high - config.low
    # The module's own smoothing (checked against scipy in test_explain_smoothing): a value one ulp away
    # would be a different candidate.
    smoothed = np.concatenate([smooth_scores(v, fps, config) for v in videos])
    candidates = np.unique(np.concatenate((smoothed, smoothed + margin)))
    for target in (0.0, 0.05, 0.2, 0.5, 0.9):
        calibration = calibrate_threshold(videos, target, config, fps=fps)
        assert calibration.achieved_far <= target
        assert _far(videos, calibration.config, fps) == calibration.achieved_far
        # The candidates just below the threshold found all miss the target.
        for candidate in candidates[candidates < calibration.threshold][-3:]:
            lower = EventConfig.from_dict({**config.to_dict(), "high": candidate, "low": candidate - margin})
            assert _far(videos, lower, fps) > target


def test_frame_scores_with_their_own_fps() -> None:
    videos = [FrameScores("a", RAMP, fps=10.0), FrameScores("b", np.zeros(25), fps=25.0)]
    calibration = calibrate_threshold(videos, 0.1)
    assert (calibration.num_videos, calibration.num_frames, calibration.duration_s) == (2, 35, 2.0)
    assert calibration.threshold == 0.8 and calibration.false_alarm_frames == 3  # 3 / 35 <= 0.1


def test_save_and_load_round_trip(tmp_path) -> None:
    config = EventConfig(smoothing="gaussian", sigma_s=0.2, high=0.6, low=0.5, min_duration_s=0.3)
    calibration = calibrate_threshold([RAMP, RAMP[::-1]], 0.3, config, fps=10)
    path = calibration.save(tmp_path / "model" / "event_threshold.json")
    assert sorted(p.name for p in path.parent.iterdir()) == ["event_threshold.json"]
    assert json.loads(path.read_text())["config"]["high"] == calibration.threshold
    assert ThresholdCalibration.load(path) == calibration


def test_bad_inputs() -> None:
    with pytest.raises(ValidationError, match=r"normal video 1: scores contain NaN"):
        calibrate_threshold([RAMP, np.array([0.1, np.nan])], 0.1, fps=10)
    with pytest.raises(ValidationError, match="no frames"):
        calibrate_threshold([], 0.1, fps=10)
    with pytest.raises(ValidationError, match="no frames"):
        calibrate_threshold([np.zeros(0)], 0.1, fps=10)
    with pytest.raises(ValidationError, match="target_far"):
        calibrate_threshold([RAMP], 1.5, fps=10)
    with pytest.raises(ValidationError, match="target_far"):
        calibrate_threshold([RAMP], float("nan"), fps=10)
    with pytest.raises(ValidationError, match="fps is needed"):
        calibrate_threshold([RAMP], 0.1)
    with pytest.raises(ValidationError, match="achieved_far"):
        ThresholdCalibration(EventConfig(), 0.1, 1.5, 1, 10, 0, 0, 1.0)
