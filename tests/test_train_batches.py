"""Training batches: the balanced and shuffled draw rules (epochs, drop_last, small classes), balanced videos,
balanced and shuffled crop rows, reproducibility, lazy loading, the batch layout per crop handling, and the
bounded cache."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from vadkit.errors import ValidationError
from vadkit.methods import BATCHINGS, METHODS, TrainSequence, list_methods
from vadkit.train import (
    ArrayFeatureSet,
    ArrayVideo,
    BalancedSampler,
    CropRowSampler,
    LRUCache,
    PreparedSequence,
    class_batch_indices,
    collate,
    load_inputs,
    make_sampler,
    shuffled_batch_indices,
    training_sequence,
)


class CountingSet(ArrayFeatureSet):
    """An in-memory set that counts how often each video is loaded."""

    loads: Counter[str]

    def load(self, video: ArrayVideo) -> np.ndarray:
        self.loads[video.name] += 1
        return super().load(video)


def toy_set(normal: int, abnormal: int, *, crops: int = 2, dim: int = 3, seed: int = 0) -> CountingSet:
    rng = np.random.default_rng(seed)
    videos = [ArrayVideo(f"n{i:02d}", 0) for i in range(normal)] + [
        ArrayVideo(f"a{i:02d}", 1) for i in range(abnormal)
    ]
    features = {v.name: rng.normal(size=(int(rng.integers(3, 40)), crops, dim)) for v in videos}
    data = CountingSet(videos, features)
    data.loads = Counter()
    return data


def test_an_epoch_draws_distinct_videos_and_drops_the_remainder() -> None:
    # 10 videos, batches of 3: 3 batches per epoch (9 distinct videos), the 10th of the permutation is dropped
    for epoch in range(4):
        drawn = np.concatenate([class_batch_indices(5, 1, 10, 3, 3 * epoch + s) for s in range(3)])
        assert len(drawn) == 9 and len(set(drawn.tolist())) == 9 and set(drawn.tolist()) <= set(range(10))
    epochs = [
        set(np.concatenate([class_batch_indices(5, 1, 10, 3, 3 * e + s) for s in range(3)]).tolist())
        for e in range(6)
    ]
    assert len({frozenset(e) for e in epochs}) > 1  # a new permutation every epoch


def test_small_classes_fill_the_batch_from_successive_permutations() -> None:
    # 3 videos, batches of 7: the batches are consecutive 7-item slices of a stream of permutations of the 3
    stream = np.concatenate([class_batch_indices(0, 1, 3, 7, s) for s in range(6)])
    for start in range(0, 42, 3):
        assert sorted(stream[start : start + 3].tolist()) == [0, 1, 2]
    assert Counter(stream[:21].tolist()) == {0: 7, 1: 7, 2: 7}
    assert len({tuple(stream[start : start + 3]) for start in range(0, 42, 3)}) > 1


def test_draws_depend_on_seed_class_and_step_only() -> None:
    np.testing.assert_array_equal(class_batch_indices(1, 0, 20, 4, 9), class_batch_indices(1, 0, 20, 4, 9))
    assert not np.array_equal(class_batch_indices(1, 0, 20, 4, 9), class_batch_indices(2, 0, 20, 4, 9))
    assert not np.array_equal(class_batch_indices(1, 0, 20, 4, 9), class_batch_indices(1, 1, 20, 4, 9))
    with pytest.raises(ValidationError, match="need count >= 1"):
        class_batch_indices(0, 0, 0, 4, 0)


def test_sampler_batches_are_balanced_and_reproducible() -> None:
    data = toy_set(7, 5)
    sampler = BalancedSampler(data, TrainSequence("segments", 8), 3, seed=4, crops_as_bags=False)
    for step in range(6):
        normal, abnormal = sampler.videos(step)
        assert len(normal) == len(abnormal) == 3
        assert all(data[n].label == 0 for n in normal) and all(data[a].label == 1 for a in abnormal)
        batch = sampler.batch(step)
        assert batch.features.shape == (6, 2, 8, 3) and batch.features.dtype == torch.float32
        assert batch.labels.tolist() == [0, 0, 0, 1, 1, 1] and batch.lengths is None and batch.audio is None
        again = BalancedSampler(data, TrainSequence("segments", 8), 3, seed=4, crops_as_bags=False).batch(
            step
        )
        assert torch.equal(batch.features, again.features)
    other = BalancedSampler(data, TrainSequence("segments", 8), 3, seed=5, crops_as_bags=False)
    assert [other.videos(s) for s in range(6)] != [sampler.videos(s) for s in range(6)]


def test_sampler_matches_the_class_rule_on_names_sorted() -> None:
    data = toy_set(4, 6)
    sampler = BalancedSampler(data, TrainSequence("full"), 2, seed=9, crops_as_bags=False)
    normal_names = sorted(v.name for v in data.normal)
    abnormal_names = sorted(v.name for v in data.abnormal)
    normal, abnormal = sampler.videos(3)
    assert list(normal) == [normal_names[i] for i in class_batch_indices(9, 0, 4, 2, 3)]
    assert list(abnormal) == [abnormal_names[i] for i in class_batch_indices(9, 1, 6, 2, 3)]


def test_sampler_loads_lazily_and_caches() -> None:
    data = toy_set(6, 6)
    sampler = BalancedSampler(data, TrainSequence("segments", 4), 2, seed=0, crops_as_bags=False)
    assert sum(data.loads.values()) == 0
    sampler.batch(0)
    assert sum(data.loads.values()) == 4
    for step in range(20):
        sampler.batch(step)
    assert max(data.loads.values()) == 1  # every video loaded once, then served from the cache
    tiny = toy_set(6, 6)
    uncached = BalancedSampler(
        tiny, TrainSequence("segments", 4), 2, seed=0, crops_as_bags=False, cache=LRUCache(0)
    )
    for step in range(6):
        uncached.batch(step)
    assert sum(tiny.loads.values()) == 24


def test_full_sequences_are_padded_with_lengths() -> None:
    data = toy_set(3, 3)
    sampler = BalancedSampler(data, TrainSequence("full"), 3, seed=0, crops_as_bags=False)
    batch = sampler.batch(0)
    normal, abnormal = sampler.videos(0)
    rows = [data.load(data[name]).shape[0] for name in (*normal, *abnormal)]
    assert batch.features.shape == (6, 2, max(rows), 3)
    assert batch.lengths is not None and batch.lengths.tolist() == rows
    for i, name in enumerate((*normal, *abnormal)):
        expected = data.load(data[name]).transpose(1, 0, 2)
        np.testing.assert_array_equal(batch.features[i, :, : rows[i]].numpy(), expected)
        assert not batch.features[i, :, rows[i] :].any()


def sequence(
    name: str, crops: int, steps: int, length: int, audio: bool = False, value: float = 0.0
) -> PreparedSequence:
    features = value + np.arange(crops * steps * 2, dtype=np.float32).reshape(crops, steps, 2)
    sound = np.full((steps, 3), value, np.float32) if audio else None
    return PreparedSequence(name, features, length, sound)


def test_collate_flattens_crops_into_bags_video_by_video() -> None:
    parts = [sequence("n", 3, 5, 4, audio=True, value=0), sequence("a", 3, 5, 5, audio=True, value=100)]
    batch = collate(parts, [0, 1], crops_as_bags=True)
    assert batch.features.shape == (6, 5, 2)
    for video in range(2):
        for crop in range(3):
            np.testing.assert_array_equal(
                batch.features[3 * video + crop].numpy(), parts[video].features[crop]
            )
    assert batch.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert batch.lengths is not None and batch.lengths.tolist() == [4, 4, 4, 5, 5, 5]
    assert batch.audio is not None and batch.audio.shape == (6, 5, 3)
    assert batch.audio[:3].eq(0).all() and batch.audio[3:].eq(100).all()
    together = collate(parts, [0, 1], crops_as_bags=False)
    assert (
        together.features.shape == (2, 3, 5, 2)
        and together.audio is not None
        and together.audio.shape == (2, 5, 3)
    )


def test_collate_rejects_mixed_inputs() -> None:
    with pytest.raises(ValidationError, match="videos differ in crops x feature size"):
        collate([sequence("n", 3, 5, 5), sequence("a", 2, 5, 5)], [0, 1], crops_as_bags=False)
    with pytest.raises(ValidationError, match="some videos have audio"):
        collate([sequence("n", 3, 5, 5, audio=True), sequence("a", 3, 5, 5)], [0, 1], crops_as_bags=False)
    with pytest.raises(ValidationError, match="0 sequences for 0 labels"):
        collate([], [], crops_as_bags=False)


def test_sampler_rejects_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="batch_size must be a positive integer"):
        BalancedSampler(toy_set(2, 2), TrainSequence("full"), 0, seed=0, crops_as_bags=False)
    with pytest.raises(
        ValidationError, match=r"arrays/train \(memory\): training batches need .* 0 abnormal"
    ):
        BalancedSampler(toy_set(2, 0), TrainSequence("full"), 1, seed=0, crops_as_bags=False)


def test_crop_handling_per_method() -> None:
    bags = {name for name in list_methods() if METHODS.get(name).crops_as_bags}
    assert bags == {"mil", "urdmu", "vadclip", "vadclip_xd"}


@dataclass(frozen=True)
class Blob:
    nbytes: int


def test_lru_cache_keeps_recent_values_within_its_budget() -> None:
    cache = LRUCache(10)
    loads: list[str] = []

    def loader(key: str, size: int):
        def load() -> Blob:
            loads.append(key)
            return Blob(size)

        return load

    cache.get("a", loader("a", 4))
    cache.get("b", loader("b", 4))
    cache.get("a", loader("a", 4))  # hit; "b" is now the least recently used
    cache.get("c", loader("c", 4))  # 12 bytes > 10: "b" goes
    assert loads == ["a", "b", "c"] and len(cache) == 2 and cache.nbytes == 8
    cache.get("b", loader("b", 4))
    assert loads[-1] == "b"
    assert cache.get("huge", loader("huge", 11)).nbytes == 11 and "huge" in loads and len(cache) == 2
    with pytest.raises(ValidationError, match="max_bytes must be >= 0"):
        LRUCache(-1)


def test_shuffled_draws_cover_every_item_once_per_epoch_without_drop_last() -> None:
    # 24 items, batches of 10: ceil(24 / 10) = 3 batches per epoch of 10, 10 and 4 items
    for epoch in range(3):
        batches = [shuffled_batch_indices(7, 24, 10, 3 * epoch + s) for s in range(3)]
        assert [len(b) for b in batches] == [10, 10, 4]
        assert sorted(np.concatenate(batches).tolist()) == list(range(24))
    assert not np.array_equal(shuffled_batch_indices(7, 24, 10, 0), shuffled_batch_indices(7, 24, 10, 3))
    assert not np.array_equal(shuffled_batch_indices(7, 24, 10, 0), shuffled_batch_indices(8, 24, 10, 0))
    # fewer items than a batch: every batch is one whole epoch
    assert sorted(shuffled_batch_indices(0, 3, 10, 5).tolist()) == [0, 1, 2]
    with pytest.raises(ValidationError, match="shuffled_batch_indices: need count >= 1"):
        shuffled_batch_indices(0, 4, 0, 0)


def test_balanced_crop_rows_are_independent_rows_of_each_class() -> None:
    data = toy_set(7, 5, crops=2)  # 14 normal and 10 abnormal rows
    sampler = CropRowSampler(data, TrainSequence("segments", 8), 3, balanced=True, seed=2)
    assert sampler.crops == 2 and sampler.steps_per_epoch == 14 // 3
    assert len(sampler.class_rows[0]) == 14 and len(sampler.class_rows[1]) == 10
    lone_crops = 0
    for step in range(12):
        rows = sampler.rows(step)
        assert [data[name].label for name, _ in rows] == [0, 0, 0, 1, 1, 1]
        assert all(crop in (0, 1) for _, crop in rows)
        names = [name for name, _ in rows]
        lone_crops += sum(names.count(name) == 1 for name in names)
        batch = sampler.batch(step)
        assert batch.features.shape == (6, 8, 3) and batch.lengths is None
        assert batch.labels.tolist() == [0, 0, 0, 1, 1, 1]
        for i, (name, crop) in enumerate(rows):
            expected = training_sequence(load_inputs(data, data[name], audio=False), sampler.spec).features
            np.testing.assert_array_equal(batch.features[i].numpy(), expected[crop])
    assert lone_crops > 0  # a row comes without its video's other crop: rows, not videos, are drawn
    # an epoch of the abnormal stream (10 rows, 3 per batch: 3 batches) never repeats a row
    abnormal = [row for step in range(3) for row in sampler.rows(step)[3:]]
    assert len(set(abnormal)) == 9


def test_balanced_crop_rows_of_one_crop_draw_what_balanced_videos_draw() -> None:
    data = toy_set(6, 4, crops=1)
    rows = CropRowSampler(data, TrainSequence("segments", 4), 2, balanced=True, seed=3)
    videos = BalancedSampler(data, TrainSequence("segments", 4), 2, seed=3, crops_as_bags=True)
    for step in range(8):
        normal, abnormal = videos.videos(step)
        assert rows.rows(step) == tuple((name, 0) for name in (*normal, *abnormal))
        assert torch.equal(rows.batch(step).features, videos.batch(step).features)


def test_shuffled_crop_rows_mix_both_classes_and_cover_every_row_per_epoch() -> None:
    data = toy_set(7, 5, crops=2)  # 24 rows; batch_size 5: 10 rows per step, 3 steps per epoch
    sampler = CropRowSampler(data, TrainSequence("full"), 5, balanced=False, seed=1)
    assert sampler.steps_per_epoch == 3
    every_row = sorted((v.name, crop) for v in data for crop in range(2))
    for epoch in range(3):
        drawn = [sampler.rows(3 * epoch + s) for s in range(3)]
        assert [len(rows) for rows in drawn] == [10, 10, 4]
        assert sorted(row for rows in drawn for row in rows) == every_row
    first = sampler.batch(0)
    rows = sampler.rows(0)
    assert first.labels.tolist() == [data[name].label for name, _ in rows]
    assert 0 < sum(first.labels.tolist()) < 10  # not balanced, not sorted by class
    assert first.features.shape[0] == 10 and first.features.ndim == 3
    assert first.lengths is not None
    assert first.lengths.tolist() == [data.load(data[name]).shape[0] for name, _ in rows]
    again = CropRowSampler(data, TrainSequence("full"), 5, balanced=False, seed=1)
    assert [again.rows(s) for s in range(6)] == [sampler.rows(s) for s in range(6)]


def test_crop_rows_carry_their_video_audio() -> None:
    videos = [ArrayVideo("n0", 0), ArrayVideo("a0", 1)]
    features = {v.name: np.full((5, 3, 2), i, np.float32) for i, v in enumerate(videos)}
    sound = {v.name: np.full((5, 4), 10 + i, np.float32) for i, v in enumerate(videos)}
    data = ArrayFeatureSet(videos, features, sound)
    batch = CropRowSampler(data, TrainSequence("full"), 3, balanced=False, seed=0, audio=True).batch(0)
    assert batch.features.shape == (6, 5, 2) and batch.audio is not None and batch.audio.shape == (6, 5, 4)
    np.testing.assert_array_equal(batch.audio[:, 0, 0].numpy(), 10 + batch.features[:, 0, 0].numpy())


def test_crop_rows_need_one_crop_count() -> None:
    videos = [ArrayVideo("a", 1), ArrayVideo("b", 0)]
    data = ArrayFeatureSet(videos, {"a": np.zeros((4, 2, 3)), "b": np.zeros((4, 3, 3))})
    sampler = CropRowSampler(data, TrainSequence("full"), 2, balanced=True, seed=0)
    with pytest.raises(ValidationError, match="video b has 3 crops and a has 2; crop-row batches need one"):
        sampler.batch(0)


def test_make_sampler_follows_the_batching() -> None:
    data = toy_set(3, 3)
    spec = TrainSequence("segments", 4)
    made = {
        batching: make_sampler(batching, data, spec, 2, seed=0, crops_as_bags=False) for batching in BATCHINGS
    }
    assert isinstance(made["balanced_videos"], BalancedSampler)
    assert not made["balanced_videos"].crops_as_bags
    assert isinstance(made["balanced_crop_rows"], CropRowSampler) and made["balanced_crop_rows"].balanced
    assert isinstance(made["shuffled_crop_rows"], CropRowSampler)
    assert not made["shuffled_crop_rows"].balanced


def test_balanced_videos_epoch_is_the_larger_class_stream() -> None:
    spec = TrainSequence("segments", 4)
    assert BalancedSampler(toy_set(9, 4), spec, 2, seed=0, crops_as_bags=False).steps_per_epoch == 4
    assert BalancedSampler(toy_set(3, 2), spec, 5, seed=0, crops_as_bags=False).steps_per_epoch == 1
