"""Validation split and label budget: stratified by label and class, seeded, order-independent, with the
allocation worked out by hand."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.train import ArrayFeatureSet, ArrayVideo, carve_validation, limit_abnormal


def feature_set(normal: int, abnormal: dict[str | None, int], *, reverse: bool = False) -> ArrayFeatureSet:
    """``normal`` unlabelled-class normal videos and ``abnormal[class]`` abnormal videos per class."""
    videos = [ArrayVideo(f"normal_{i:03d}", 0, None) for i in range(normal)]
    for name, count in abnormal.items():
        videos += [ArrayVideo(f"{name or 'x'}_{i:03d}", 1, name) for i in range(count)]
    if reverse:
        videos = videos[::-1]
    features = {v.name: np.zeros((3, 1, 2), np.float32) for v in videos}
    return ArrayFeatureSet(videos, features, split="train")


def classes(videos: ArrayFeatureSet) -> Counter[str | None]:
    return Counter(v.class_name for v in videos if v.label == 1)


def names(videos: ArrayFeatureSet) -> set[str]:
    return {v.name for v in videos}


def test_carve_validation_is_stratified_by_label_and_class() -> None:
    data = feature_set(10, {"A": 8, "B": 4})
    fit, val = carve_validation(data, fraction=0.25, seed=3)
    # normal: floor(0.25 * 10 + 0.5) = 3; abnormal: 0.25 * 12 = 3, split 8:4 -> A 3*8/12 = 2, B 3*4/12 = 1
    assert sum(v.label == 0 for v in val) == 3
    assert classes(val) == Counter({"A": 2, "B": 1})
    assert classes(fit) == Counter({"A": 6, "B": 3})
    assert names(fit) | names(val) == names(data)
    assert not names(fit) & names(val)
    assert [v.name for v in fit] == [v.name for v in data if v.name in names(fit)]  # the set's order is kept


def test_carve_validation_gives_largest_remainders_the_extra_video() -> None:
    # 3 abnormal of 12 over classes of 6, 4, 2: quotas 1.5, 1.0, 0.5 -> floors 1, 1, 0 and one extra video
    # for A or C (equal remainders 6/12), decided by the seed; B never gets a second one.
    outcomes = set()
    for seed in range(12):
        _, val = carve_validation(feature_set(10, {"A": 6, "B": 4, "C": 2}), fraction=0.25, seed=seed)
        counts = classes(val)
        outcomes.add((counts["A"], counts["B"], counts["C"]))
    assert outcomes == {(2, 1, 0), (1, 1, 1)}


def test_carve_validation_is_seeded_and_independent_of_listing_order() -> None:
    data = feature_set(10, {"A": 8, "B": 4})
    first = names(carve_validation(data, 0.25, seed=7)[1])
    assert names(carve_validation(data, 0.25, seed=7)[1]) == first
    assert names(carve_validation(feature_set(10, {"A": 8, "B": 4}, reverse=True), 0.25, seed=7)[1]) == first
    others = {frozenset(names(carve_validation(data, 0.25, seed=s)[1])) for s in range(8)}
    assert len(others) > 1


def test_carve_validation_keeps_one_video_of_each_label_on_each_side() -> None:
    data = feature_set(2, {None: 2})
    for fraction in (0.01, 0.5, 0.99):
        fit, val = carve_validation(data, fraction, seed=0)
        for part in (fit, val):
            assert sorted(v.label for v in part) == [0, 1]


@pytest.mark.parametrize(("normal", "abnormal"), [(5, 1), (1, 5), (0, 4)])
def test_carve_validation_needs_two_videos_per_label(normal: int, abnormal: int) -> None:
    with pytest.raises(ValidationError, match=r"arrays/train \(memory\): cannot carve"):
        carve_validation(feature_set(normal, {"A": abnormal}), 0.2, seed=0)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_carve_validation_rejects_fractions_outside_0_1(fraction: float) -> None:
    with pytest.raises(ValidationError, match="fraction"):
        carve_validation(feature_set(5, {"A": 5}), fraction, seed=0)


def test_limit_abnormal_keeps_every_normal_video_and_k_abnormal_stratified() -> None:
    data = feature_set(7, {"A": 8, "B": 4})
    few = limit_abnormal(data, 3, seed=1)
    assert sum(v.label == 0 for v in few) == 7
    assert classes(few) == Counter({"A": 2, "B": 1})  # 3 * 8 / 12 = 2, 3 * 4 / 12 = 1
    assert names(few) <= names(data)
    assert names(limit_abnormal(data, 3, seed=1)) == names(few)
    assert len({frozenset(names(limit_abnormal(data, 3, seed=s))) for s in range(8)}) > 1
    assert names(limit_abnormal(data, 12, seed=5)) == names(data)


def test_limit_abnormal_without_classes_and_single_video() -> None:
    data = feature_set(3, {None: 6})
    one = limit_abnormal(data, 1, seed=0)
    assert [v.label for v in one].count(1) == 1
    assert len(one) == 4


@pytest.mark.parametrize("k", [0, 13, -1, True, 2.0])
def test_limit_abnormal_rejects_budgets_out_of_range(k: object) -> None:
    with pytest.raises(ValidationError, match=r"budget must be an integer in \[1, 12\]"):
        limit_abnormal(feature_set(7, {"A": 8, "B": 4}), k, seed=0)  # type: ignore[arg-type]


def test_budget_then_validation_spends_the_same_labels() -> None:
    data = feature_set(10, {"A": 8, "B": 4})
    fit, val = carve_validation(limit_abnormal(data, 4, seed=0), 0.25, seed=0)
    assert sum(v.label for v in fit) + sum(v.label for v in val) == 4
    assert sum(v.label for v in val) == 1
