"""EventConfig: validation, JSON round trip, and the seconds-to-frames conversions (non-integer fps too)."""

from __future__ import annotations

import json

import pytest

from vadkit.errors import ValidationError
from vadkit.explain import EventConfig


def test_round_trip_through_json_keeps_every_field() -> None:
    config = EventConfig(
        smoothing="gaussian", window_s=2, sigma_s=0.25, high=0.7, low=0.4, min_duration_s=1.5, merge_gap_s=0.5
    )
    back = EventConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert back == config
    assert isinstance(back.window_s, float)
    assert EventConfig.from_dict(json.loads(json.dumps(EventConfig().to_dict()))) == EventConfig()


def test_low_defaults_to_high() -> None:
    assert EventConfig(high=0.3).low_threshold == 0.3
    assert EventConfig(high=0.3).to_dict()["low"] is None
    assert EventConfig(high=0.3, low=0.1).low_threshold == 0.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"smoothing": "box"}, "unknown smoothing"),
        ({"high": 0.5, "low": 0.6}, "low"),
        ({"high": float("nan")}, "high must be a finite number"),
        ({"low": float("inf")}, "low must be a finite number"),
        ({"window_s": 0.0}, "window_s must be > 0"),
        ({"sigma_s": -1.0}, "sigma_s must be > 0"),
        ({"min_duration_s": -0.1}, "min_duration_s must be >= 0"),
        ({"merge_gap_s": -1}, "merge_gap_s must be >= 0"),
        ({"high": True}, "high must be a finite number"),
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EventConfig(**kwargs)


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown keys threshold"):
        EventConfig.from_dict({"threshold": 0.5})


def test_window_is_the_nearest_odd_frame_count() -> None:
    assert EventConfig(window_s=0.5).window_frames(29.97) == 15  # 14.985 frames
    assert EventConfig(window_s=1.0).window_frames(29.97) == 29  # 29.97 frames
    assert EventConfig(window_s=1.0).window_frames(30) == 31  # tie between 29 and 31: the larger
    assert EventConfig(window_s=0.2).window_frames(10) == 3  # 0.2 * 10 is exactly 2 in floating point
    assert EventConfig(window_s=0.01).window_frames(25) == 1
    assert EventConfig(sigma_s=0.5).sigma_frames(29.97) == pytest.approx(14.985)


def test_min_duration_and_merge_gap_in_frames() -> None:
    # 0.1 * 30 is 3.0000000000000004 in floating point: still 3 frames.
    assert EventConfig(min_duration_s=0.1).min_frames(30) == 3
    assert EventConfig(min_duration_s=1.0).min_frames(29.97) == 30  # 29 frames last 0.968 s
    assert EventConfig(min_duration_s=0.0).min_frames(25) == 1
    # A gap of g frames merges when g / fps < merge_gap_s.
    assert EventConfig(merge_gap_s=0.1).max_merged_gap(30) == 2  # 3 frames = 0.1 s: not merged
    assert EventConfig(merge_gap_s=0.1).max_merged_gap(29.97) == 2  # 3 frames = 0.1001 s
    assert EventConfig(merge_gap_s=0.11).max_merged_gap(29.97) == 3  # 3.2967 frames
    assert EventConfig(merge_gap_s=0.0).max_merged_gap(25) == 0


def test_conversions_need_a_valid_fps() -> None:
    with pytest.raises(ValidationError, match="fps"):
        EventConfig().min_frames(0)
    with pytest.raises(ValidationError, match="fps"):
        EventConfig().window_frames(float("nan"))
