"""Honest training protocol: a validation split carved from the training videos, and label budgets.

Both functions are stratified, seeded and independent of the order in which the feature set lists its
videos. Strata are the video-level label and, within a label, the class name where the set knows it (videos
without a class form one stratum of their label).

**Allocation** (the same rule for both functions): ``n`` videos to pick among strata of sizes ``s_i``
(``S = sum s_i``) get ``floor(n * s_i / S)`` each (exact integer arithmetic), and the ``n - sum floor(...)``
remaining picks go to the strata with the largest remainders ``n * s_i mod S``, ties broken in a seeded random
order (Hamilton's largest-remainder method). Within a stratum, the videos sorted by name are permuted with the
seeded generator and the first ones are picked.

**Order of use.** A label budget covers every label the method may see, the validation labels included, so
apply :func:`limit_abnormal` first and :func:`carve_validation` on its result: with ``K`` abnormal videos,
``K`` abnormal labels are used in all.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from vadkit.errors import ValidationError
from vadkit.train.source import FeatureSetLike, FeatureVideoLike, describe

_SPLIT_STREAM = 0x5EED_0001
_BUDGET_STREAM = 0x5EED_0002
"""Seed-sequence entries that keep the generators of the two functions independent for the same seed."""


def _apportion(sizes: list[int], total: int, rng: np.random.Generator) -> list[int]:
    """Largest-remainder allocation of ``total`` picks over strata of ``sizes`` (see the module docstring)."""
    whole = sum(sizes)
    quotas = [total * size // whole for size in sizes]
    remainders = [total * size % whole for size in sizes]
    tie_order = rng.permutation(len(sizes))
    ranked = sorted(range(len(sizes)), key=lambda i: (-remainders[i], int(tie_order[i])))
    for i in ranked[: total - sum(quotas)]:
        quotas[i] += 1
    return quotas


def _strata(videos: tuple[FeatureVideoLike, ...]) -> list[list[str]]:
    """Video names grouped by class name (``None`` last), each group sorted; groups in class order."""
    groups: dict[str | None, list[str]] = defaultdict(list)
    for video in videos:
        groups[video.class_name].append(video.name)
    keys = sorted(groups, key=lambda key: (key is None, key or ""))
    return [sorted(groups[key]) for key in keys]


def _pick(videos: tuple[FeatureVideoLike, ...], count: int, rng: np.random.Generator) -> list[str]:
    """``count`` names drawn from ``videos``, stratified by class (module docstring)."""
    strata = _strata(videos)
    quotas = _apportion([len(names) for names in strata], count, rng)
    picked: list[str] = []
    for names, quota in zip(strata, quotas, strict=True):
        order = rng.permutation(len(names))
        picked.extend(names[int(i)] for i in order[:quota])
    return picked


def _by_label(feature_set: FeatureSetLike) -> dict[int, tuple[FeatureVideoLike, ...]]:
    videos = tuple(feature_set)
    bad = [v.name for v in videos if v.label not in (0, 1)]
    if bad:
        raise ValidationError(f"{describe(feature_set)}: labels must be 0 or 1 (videos {', '.join(bad[:5])})")
    return {label: tuple(v for v in videos if v.label == label) for label in (0, 1)}


def carve_validation(
    feature_set: FeatureSetLike, fraction: float = 0.2, seed: int = 0
) -> tuple[FeatureSetLike, FeatureSetLike]:
    """Split training videos into a training part and a validation part, stratified and seeded.

    Of the ``n_y`` videos with label ``y``, ``round_half_up(fraction * n_y)`` go to validation, clamped to
    ``[1, n_y - 1]`` so that both parts keep at least one normal and one abnormal video; they are spread over
    the classes of that label by the allocation rule of the module docstring.

    Args:
        feature_set: the training videos (video-level labels).
        fraction: share of each label's videos held out, in ``(0, 1)``.
        seed: the split's seed; the same seed gives the same split.

    Returns:
        ``(train, validation)``, both ``feature_set.subset(...)``.

    Raises:
        ValidationError: ``fraction`` outside ``(0, 1)``, labels other than 0/1, or fewer than two videos of a
            label (no way to keep one on each side).
    """
    if not 0.0 < fraction < 1.0:
        raise ValidationError(f"carve_validation: fraction must lie in (0, 1), got {fraction!r}")
    by_label = _by_label(feature_set)
    for label, videos in by_label.items():
        if len(videos) < 2:
            kind = "abnormal" if label else "normal"
            raise ValidationError(
                f"{describe(feature_set)}: cannot carve a validation split with {len(videos)} {kind} "
                f"video(s): each side needs at least one normal and one abnormal video"
            )
    rng = np.random.default_rng([seed, _SPLIT_STREAM])
    held_out: set[str] = set()
    for videos in by_label.values():
        count = min(max(math.floor(fraction * len(videos) + 0.5), 1), len(videos) - 1)
        held_out.update(_pick(videos, count, rng))
    kept = [v.name for v in feature_set if v.name not in held_out]
    return feature_set.subset(kept), feature_set.subset(sorted(held_out))


def limit_abnormal(feature_set: FeatureSetLike, k: int, seed: int = 0) -> FeatureSetLike:
    """Keep every normal video and ``k`` abnormal ones (a few-shot label budget), stratified over classes.

    Args:
        feature_set: the videos to draw from.
        k: abnormal videos kept, ``1 <= k <=`` the number of abnormal videos (all of them: the set unchanged).
        seed: the draw's seed; the same seed gives the same videos.

    Raises:
        ValidationError: ``k`` out of range, or labels other than 0/1.
    """
    abnormal = _by_label(feature_set)[1]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(abnormal):
        raise ValidationError(
            f"{describe(feature_set)}: the abnormal-video budget must be an integer in [1, {len(abnormal)}] "
            f"(the abnormal videos available), got {k!r}"
        )
    chosen = set(_pick(abnormal, k, np.random.default_rng([seed, _BUDGET_STREAM])))
    return feature_set.subset([v.name for v in feature_set if v.label == 0 or v.name in chosen])
