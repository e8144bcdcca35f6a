"""Frame-level metrics against hand computations, explicit pair counts, scipy and scikit-learn."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.stats import mannwhitneyu
from sklearn.metrics import auc, average_precision_score, precision_recall_curve

from vadkit.errors import ValidationError
from vadkit.eval.metrics import (
    ap_pr_trapz,
    ap_sklearn,
    auc_abnormal_videos,
    auc_macro,
    auc_micro,
    eer,
    eer_point,
    far_at_threshold,
    far_metric_name,
    macro_average,
    per_video_auc,
)

# A 6-frame example worked by hand below: positives score {0.35, 0.8, 0.9}, negatives {0.1, 0.4, 0.2}.
LABELS = np.array([0, 0, 1, 1, 0, 1])
SCORES = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])


def pair_count_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC as the fraction of (positive, negative) pairs ranked right, ties counting half: O(n^2)."""
    positives = scores[np.asarray(labels) == 1]
    negatives = scores[np.asarray(labels) == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def test_auc_micro_hand_example() -> None:
    # 0.35 beats 0.1 and 0.2; 0.8 and 0.9 beat all three negatives: 8 of 9 pairs.
    assert auc_micro(LABELS, SCORES) == pytest.approx(8 / 9, abs=1e-15)


def test_auc_micro_with_ties_equals_pair_count_and_mann_whitney() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        labels = (rng.random(60) < 0.3).astype(np.uint8)
        labels[:2] = (0, 1)
        scores = rng.integers(0, 6, size=60) / 5.0  # many ties
        expected = pair_count_auc(labels, scores)
        u = mannwhitneyu(scores[labels == 1], scores[labels == 0]).statistic
        assert auc_micro(labels, scores) == pytest.approx(expected, abs=1e-12)
        assert auc_micro(labels, scores) == pytest.approx(u / (labels.sum() * (labels == 0).sum()), abs=1e-12)


def test_constant_scores() -> None:
    labels = np.array([0, 1, 0, 1, 0])
    scores = np.full(5, 0.3)
    assert auc_micro(labels, scores) == 0.5
    # One threshold: precision = prevalence 2/5 at recall 1.
    assert ap_sklearn(labels, scores) == pytest.approx(2 / 5, abs=1e-15)
    # PR points (recall 1, precision 2/5) and (0, 1): trapezoid (2/5 + 1) / 2.
    assert ap_pr_trapz(labels, scores) == pytest.approx(7 / 10, abs=1e-15)


def test_ap_sklearn_hand_example() -> None:
    # Descending: 0.9(+) 0.8(+) 0.4(-) 0.35(+) 0.2(-) 0.1(-); recall steps of 1/3 at precisions 1, 1, 3/4.
    expected = Fraction(1, 3) * 1 + Fraction(1, 3) * 1 + Fraction(1, 3) * Fraction(3, 4)
    assert ap_sklearn(LABELS, SCORES) == pytest.approx(float(expected), abs=1e-15)


def test_ap_pr_trapz_hand_example() -> None:
    # PR points by recall: (1, 3/4) -> (2/3, 2/3) -> (2/3, 1) -> (1/3, 1) -> (0, 1), trapezoids in between.
    expected = (
        Fraction(1, 3) * (Fraction(3, 4) + Fraction(2, 3)) / 2
        + Fraction(1, 3) * (1 + 1) / 2
        + Fraction(1, 3) * (1 + 1) / 2
    )
    assert expected == Fraction(65, 72)
    assert ap_pr_trapz(LABELS, SCORES) == pytest.approx(65 / 72, abs=1e-15)


def test_aps_match_sklearn_on_random_data_with_ties() -> None:
    rng = np.random.default_rng(3)
    labels = (rng.random(5000) < 0.1).astype(np.uint8)
    scores = np.repeat(rng.random(313), 16)[:5000]
    precision, recall, _ = precision_recall_curve(labels, scores)
    assert ap_pr_trapz(labels, scores) == pytest.approx(auc(recall, precision), abs=1e-15)
    assert ap_sklearn(labels, scores) == pytest.approx(average_precision_score(labels, scores), abs=1e-15)
    assert ap_sklearn(labels, scores) != ap_pr_trapz(labels, scores)


def test_eer_hand_example() -> None:
    # ROC corners: (0, 0) (0, 2/3) [t=0.8] (1/3, 2/3) [t=0.4] (1/3, 1) [t=0.35] (1, 1):
    # |fpr + tpr - 1| is 0 at (1/3, 2/3).
    rate, threshold = eer_point(LABELS, SCORES)
    assert rate == pytest.approx(1 / 3, abs=1e-15)
    assert threshold == 0.4
    assert eer(LABELS, SCORES) == rate


def test_single_class_gives_nan() -> None:
    normal = np.zeros(4, dtype=np.uint8)
    abnormal = np.ones(4, dtype=np.uint8)
    scores = np.array([0.1, 0.2, 0.3, 0.4])
    assert math.isnan(auc_micro(normal, scores))
    assert math.isnan(auc_micro(abnormal, scores))
    assert math.isnan(ap_sklearn(normal, scores))
    assert math.isnan(ap_pr_trapz(normal, scores))
    assert all(math.isnan(v) for v in eer_point(abnormal, scores))
    assert ap_sklearn(abnormal, scores) == 1.0


def test_bool_and_float_labels_are_accepted() -> None:
    expected = 8 / 9
    assert auc_micro(LABELS.astype(bool), SCORES) == pytest.approx(expected)
    assert auc_micro(LABELS.astype(np.float64), SCORES) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("labels", "scores", "match"),
    [
        ([0, 1, 1], [0.1, 0.2], "3 labels but 2 scores"),
        ([0, 2, 1], [0.1, 0.2, 0.3], "0/1"),
        ([0, 1, 1], [0.1, np.nan, 0.3], "NaN"),
        ([0, 1, 1], [0.1, np.inf, 0.3], "NaN"),
        ([[0, 1]], [[0.1, 0.2]], "1-D"),
    ],
)
def test_malformed_input_raises(labels: list, scores: list, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        auc_micro(labels, scores)


# Per-video examples: v1 has both classes, v2 has tied scores, v3 is all normal, v4 all abnormal.
V1 = (np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.8, 0.2]))
V2 = (np.array([0, 0, 1]), np.array([0.5, 0.5, 0.5]))
V3 = (np.array([0, 0]), np.array([0.3, 0.7]))
V4 = (np.array([1, 1]), np.array([0.2, 0.4]))


def split(*videos: tuple[np.ndarray, np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return [v[0] for v in videos], [v[1] for v in videos]


def test_per_video_auc_and_macro_without_padding() -> None:
    labels, scores = split(V1, V2, V3, V4)
    values = per_video_auc(labels, scores)
    # v1: 0.9 beats 0.1 and 0.8, 0.2 beats 0.1: 3/4. v2: all ties: 1/2. v3, v4: undefined.
    np.testing.assert_allclose(values[:2], [3 / 4, 1 / 2], rtol=0, atol=1e-15)
    assert np.isnan(values[2:]).all()
    assert auc_macro(labels, scores) == pytest.approx((3 / 4 + 1 / 2) / 2, abs=1e-15)


def test_macro_auc_sspcab_padding() -> None:
    labels, scores = split(V1, V2, V3, V4)
    values = per_video_auc(labels, scores, padding="sspcab")
    # Each video gets (label 0, score 0) first and (label 1, score 1) last.
    hand = [Fraction(8, 9), Fraction(5, 6), Fraction(1), Fraction(1)]
    for i, (video_labels, video_scores) in enumerate(zip(labels, scores, strict=True)):
        padded_labels = np.concatenate([[0], video_labels, [1]])
        padded_scores = np.concatenate([[0.0], video_scores, [1.0]])
        assert values[i] == pytest.approx(pair_count_auc(padded_labels, padded_scores), abs=1e-15)
        assert values[i] == pytest.approx(float(hand[i]), abs=1e-15)
    assert auc_macro(labels, scores, padding="sspcab") == pytest.approx(float(sum(hand) / 4), abs=1e-15)


def test_macro_average_and_all_undefined() -> None:
    assert macro_average([0.5, np.nan, 1.0]) == 0.75
    assert math.isnan(macro_average([np.nan]))
    labels, scores = split(V3, V4)
    assert math.isnan(auc_macro(labels, scores))


def test_macro_auc_rejects_unknown_padding_and_mismatched_lists() -> None:
    labels, scores = split(V1, V2)
    with pytest.raises(ValidationError, match="padding"):
        auc_macro(labels, scores, padding="zeros")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="2 label arrays but 1 score arrays"):
        auc_macro(labels, scores[:1])
    with pytest.raises(ValidationError, match="video 1"):
        auc_macro(labels, [scores[0], scores[1][:2]])


def test_auc_abnormal_videos_ignores_normal_videos_and_order() -> None:
    labels, scores = split(V1, V3, V2, V4)
    expected = pair_count_auc(np.concatenate([V1[0], V2[0], V4[0]]), np.concatenate([V1[1], V2[1], V4[1]]))
    assert auc_abnormal_videos(labels, scores) == pytest.approx(expected, abs=1e-15)
    reordered = [3, 1, 0, 2]
    assert auc_abnormal_videos(
        [labels[i] for i in reordered], [scores[i] for i in reordered]
    ) == pytest.approx(expected, abs=1e-15)
    normal_labels, normal_scores = split(V3)
    assert math.isnan(auc_abnormal_videos(normal_labels, normal_scores))


def test_far_at_threshold_by_hand() -> None:
    normal_a = (np.zeros(4, dtype=np.uint8), np.array([0.5, 0.49, 0.7, 0.1]))
    normal_b = (np.zeros(2, dtype=np.uint8), np.array([0.2, 0.6]))
    abnormal = (np.array([0, 1, 1]), np.array([0.9, 0.1, 0.9]))
    labels, scores = split(normal_a, abnormal, normal_b)
    # Normal videos: alarms 0.5 (>= counts), 0.7, 0.6 over 6 frames.
    assert far_at_threshold(labels, scores) == pytest.approx(3 / 6)
    # All normal frames: the abnormal video's first frame (0.9) adds one alarm and one frame.
    assert far_at_threshold(labels, scores, subset="all") == pytest.approx(4 / 7)
    assert far_at_threshold(labels, scores, threshold=0.65) == pytest.approx(1 / 6)
    only_abnormal_labels, only_abnormal_scores = split(abnormal)
    assert math.isnan(far_at_threshold(only_abnormal_labels, only_abnormal_scores))
    assert far_metric_name(0.5) == "far@0.5" and far_metric_name(0.25) == "far@0.25"


def test_far_rejects_bad_subset_and_threshold() -> None:
    labels, scores = split(V3)
    with pytest.raises(ValidationError, match="subset"):
        far_at_threshold(labels, scores, subset="abnormal")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="threshold"):
        far_at_threshold(labels, scores, threshold=math.nan)
