"""AUC per event class against hand-counted pairs."""

from __future__ import annotations

import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.eval import auc_per_class
from vadkit.types import EventInterval, GroundTruth


def _truth(name: str, num_frames: int, events: tuple[EventInterval, ...] = ()) -> GroundTruth:
    labels = np.zeros(num_frames, dtype=np.uint8)
    for event in events:
        labels[event.start : event.end] = 1
    return GroundTruth(name, labels, events, label=events[0].label if events else "Normal")


def test_each_class_against_every_normal_frame() -> None:
    truth = {
        "n": _truth("n", 4),
        "a": _truth("a", 6, (EventInterval(1, 3, "Run"), EventInterval(4, 5, "Fall"))),
    }
    scores = {"n": np.array([0.1, 0.5, 0.2, 0.9]), "a": np.array([0.3, 0.8, 0.6, 0.05, 0.4, 0.7])}
    result = auc_per_class(truth, scores)
    # normal frames: 0.1 0.5 0.2 0.9 (n) and 0.3 0.05 0.7 (a, outside events) -> 7 negatives
    # Run = {0.8, 0.6}: 0.8 beats 6 of 7, 0.6 beats 5 of 7 -> 11 / 14
    # Fall = {0.4}: beats 0.1 0.2 0.3 0.05 -> 4 / 7
    assert list(result) == ["Fall", "Run"]
    assert result["Run"] == pytest.approx(11 / 14)
    assert result["Fall"] == pytest.approx(4 / 7)


def test_snippet_scores_are_expanded_to_frames() -> None:
    truth = {"n": _truth("n", 32), "a": _truth("a", 32, (EventInterval(16, 32, "Run"),))}
    scores = {"n": np.array([0.2, 0.3]), "a": np.array([0.1, 0.9])}
    # every Run frame scores 0.9, above every normal frame (0.2, 0.3, 0.1)
    assert auc_per_class(truth, scores) == {"Run": 1.0}


def test_missing_scores_and_no_normal_frame_are_errors() -> None:
    truth = {"a": _truth("a", 4, (EventInterval(0, 4, "Run"),))}
    with pytest.raises(ValidationError, match="no scores for 1 video"):
        auc_per_class(truth, {})
    with pytest.raises(ValidationError, match="no normal frame"):
        auc_per_class(truth, {"a": np.ones(4)})
