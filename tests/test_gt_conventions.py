"""Interval conventions, clamping and length rules (vadkit.data.conventions), against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from vadkit.data.conventions import (
    CONVENTIONS,
    IntervalConvention,
    apply_length_rule,
    events_to_labels,
    get_convention,
    get_length_rule,
    labels_to_events,
    paint_length,
    to_events,
)
from vadkit.errors import ValidationError
from vadkit.types import EventInterval


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sultani", (4, 8)),  # MATLAB GT(5:8) -> 0-based frames 4..7
        ("ano_pred", (4, 8)),  # gt[5-1:8]
        ("rtfm", (5, 9)),  # gt[5:8+1]
        ("xdviodet", (5, 8)),  # gt[5:8]
        ("vadclip", (5, 8)),
    ],
)
def test_presets_map_s_e_to_half_open(name: str, expected: tuple[int, int]) -> None:
    assert CONVENTIONS[name].to_half_open(5, 8) == expected


def test_descriptive_conventions_and_objects() -> None:
    assert get_convention("1-based exclusive").to_half_open(5, 8) == (4, 7)
    assert get_convention("0-based inclusive").to_half_open(5, 8) == (5, 9)
    assert get_convention(" RTFM ") is CONVENTIONS["rtfm"]
    custom = IntervalConvention(1, False)
    assert get_convention(custom) is custom
    assert CONVENTIONS["rtfm"].describe() == "0-based inclusive (rtfm)"
    assert custom.describe() == "1-based exclusive"


def test_unknown_convention_and_rule_are_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown interval convention 'matlab'"):
        get_convention("matlab")
    with pytest.raises(ValidationError, match="base must be 0 or 1"):
        IntervalConvention(2, True)
    with pytest.raises(ValidationError, match="unknown length rule 'floor'"):
        get_length_rule("floor")
    assert get_length_rule("CEIL16") == "ceil16"


def test_to_events_clamps_and_drops_with_counts() -> None:
    rtfm = CONVENTIONS["rtfm"]
    # n = 10: (2, 4) -> [2, 5); (8, 12) -> [8, 13) clamped to [8, 10); (12, 15) -> [12, 16) outside: dropped
    fitted = to_events([(2, 4, "A"), (8, 12, "B"), (12, 15, None)], rtfm, 10)
    assert fitted.events == (EventInterval(2, 5, "A"), EventInterval(8, 10, "B"))
    assert (fitted.clamped, fitted.dropped) == (1, 1)
    # Sultani 1-based: a start written as 0 reaches before frame 1 -> clamped to frame 0
    fitted = to_events([(0, 3, None)], CONVENTIONS["sultani"], 10)
    assert fitted.events == (EventInterval(0, 3),)
    assert (fitted.clamped, fitted.dropped) == (1, 0)
    # exclusive end with s == e is empty: dropped, not an error
    fitted = to_events([(4, 4, None)], CONVENTIONS["xdviodet"], 10)
    assert fitted.events == () and fitted.dropped == 1


def test_labels_and_events_round_trip() -> None:
    labels = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=np.uint8)
    events = labels_to_events(labels)
    assert events == (EventInterval(0, 2), EventInterval(4, 5), EventInterval(6, 9))
    np.testing.assert_array_equal(events_to_labels(events, 9), labels)
    assert labels_to_events(np.zeros(4, dtype=np.uint8)) == ()


def test_length_rules_on_a_hand_example() -> None:
    labels = np.array([0, 1, 1, 0, 0, 1, 1], dtype=np.uint8)  # n = 7, snippet length 4
    out, padded, truncated = apply_length_rule(labels, "frames", None, 4)
    np.testing.assert_array_equal(out, labels)
    assert (padded, truncated) == (0, 0)
    out, padded, truncated = apply_length_rule(labels, "ceil16", None, 4)  # ceil(7/4)*4 = 8, last label 1
    np.testing.assert_array_equal(out, [0, 1, 1, 0, 0, 1, 1, 1])
    assert (padded, truncated) == (1, 0)
    out, padded, truncated = apply_length_rule(labels, "xdviodet", None, 4)  # floor(6/4)*4 = 4
    np.testing.assert_array_equal(out, [0, 1, 1, 0])
    assert (padded, truncated) == (0, 3)
    out, padded, truncated = apply_length_rule(labels, "snippets", 3, 4)  # T*4 = 12
    np.testing.assert_array_equal(out, [0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1])
    assert (padded, truncated) == (5, 0)
    out, _, truncated = apply_length_rule(labels, "snippets", 1, 4)
    np.testing.assert_array_equal(out, [0, 1, 1, 0])
    assert truncated == 3
    with pytest.raises(ValidationError, match="snippet count"):
        apply_length_rule(labels, "snippets", None, 4)


def test_xdviodet_rule_drops_a_whole_short_video() -> None:
    out, _, truncated = apply_length_rule(
        np.ones(16, dtype=np.uint8), "xdviodet", None, 16
    )  # floor(15/16) = 0
    assert out.shape == (0,) and truncated == 16
    out, _, _ = apply_length_rule(np.ones(17, dtype=np.uint8), "xdviodet", None, 16)
    assert out.shape == (16,)


def test_paint_length_per_rule() -> None:
    assert paint_length("frames", 30, None, 16) == 30
    assert paint_length("frames", None, 2, 16) is None
    assert paint_length("ceil16", 30, 5, 16) == 30
    assert paint_length("ceil16", None, 2, 16) == 32
    assert paint_length("snippets", 30, 3, 16) == 48
    assert paint_length("snippets", 30, None, 16) is None
    assert paint_length("xdviodet", 30, None, 16) == 30
