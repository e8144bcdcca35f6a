"""Selection criteria against scikit-learn on independently pooled scores and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from vadkit.errors import ValidationError
from vadkit.train import selection_value
from vadkit.types import GroundTruth


def scores_and_labels(seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    rng = np.random.default_rng(seed)
    scores = {f"v{i}": rng.random(int(rng.integers(5, 60))) for i in range(12)}
    labels = {f"v{i}": int(i % 3 == 0) for i in range(12)}
    return scores, labels


def test_video_auc_max_is_the_roc_auc_of_video_maxima() -> None:
    scores, labels = scores_and_labels()
    names = list(scores)
    expected = roc_auc_score([labels[n] for n in names], [scores[n].max() for n in names])
    assert selection_value("video-auc-max", scores, labels) == pytest.approx(expected, abs=1e-12)


def test_video_auc_topk_pools_the_t_over_16_plus_1_largest() -> None:
    scores, labels = scores_and_labels(1)
    names = list(scores)
    pooled = [np.sort(scores[n])[::-1][: len(scores[n]) // 16 + 1].mean() for n in names]
    expected = roc_auc_score([labels[n] for n in names], pooled)
    assert selection_value("video-auc-topk", scores, labels) == pytest.approx(expected, abs=1e-12)


def test_video_criteria_by_hand() -> None:
    # T = 20: k = 2. Abnormal "a": max 0.9, top-2 mean 0.85; normal "n": max 0.95, top-2 mean 0.6
    a = np.full(20, 0.1)
    a[[3, 4]] = [0.9, 0.8]
    n = np.full(20, 0.1)
    n[[5, 6]] = [0.95, 0.25]
    labels = {"a": 1, "n": 0}
    assert selection_value("video-auc-max", {"a": a, "n": n}, labels) == 0.0
    assert selection_value("video-auc-topk", {"a": a, "n": n}, labels) == 1.0


def test_frame_criterion_is_the_protocols_headline_on_frame_labels() -> None:
    rng = np.random.default_rng(2)
    scores = {f"v{i}": rng.random(6) for i in range(4)}
    truth = {}
    for i, name in enumerate(scores):
        labels = np.zeros(96, np.uint8)
        if i % 2:
            labels[16 * i : 16 * i + 40] = 1
        truth[name] = GroundTruth(name, labels)
    expected = roc_auc_score(
        np.concatenate([truth[n].labels for n in sorted(scores)]),
        np.concatenate([np.repeat(scores[n], 16) for n in sorted(scores)]),
    )
    value = selection_value(
        "frame",
        scores,
        {n: int(i % 2) for i, n in enumerate(scores)},
        ground_truth={**truth, "extra": GroundTruth("extra", np.ones(16, np.uint8))},
        protocol="synthetic",
    )
    assert value == pytest.approx(expected, abs=1e-12)


def test_non_finite_scores_give_nan() -> None:
    scores, labels = scores_and_labels()
    scores["v3"][2] = np.nan
    assert math.isnan(selection_value("video-auc-max", scores, labels))


def test_selection_errors() -> None:
    scores, labels = scores_and_labels()
    with pytest.raises(ValidationError, match="unknown selection criterion 'auc'"):
        selection_value("auc", scores, labels)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no scores for validation video"):
        selection_value("video-auc-max", {}, labels)
    with pytest.raises(ValidationError, match="needs a protocol"):
        selection_value("frame", scores, labels)
    with pytest.raises(ValidationError, match="no ground truth for video"):
        selection_value("frame", scores, labels, ground_truth={}, protocol="synthetic")
