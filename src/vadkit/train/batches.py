"""Balanced training batches: as many normal as abnormal videos per step, seeded, drawn as the references do.

**Draws.** The normal and the abnormal videos are two independent streams, like RTFM's and UR-DMU's two
``DataLoader(shuffle=True, drop_last=True)``. For a class of ``n`` videos (sorted by name) and ``B`` videos
per batch, epoch ``e`` of the class is a permutation of its ``n`` videos drawn from
``numpy.random.default_rng([seed, stream, label, e])``:

* ``n >= B``: the epoch gives ``floor(n / B)`` batches, consecutive ``B``-slices of the permutation; the last
  ``n mod B`` videos of the permutation are dropped (``drop_last``) and the next batch starts epoch ``e + 1``.
  Within an epoch no video repeats; across epochs videos are drawn again (with replacement across epochs).
* ``n < B`` (few abnormal videos): batch ``s`` takes items ``s*B .. s*B + B - 1`` of the concatenated
  permutations of epochs 0, 1, ...; every video appears once in each run of ``n`` items of that stream, so
  about ``B / n`` times per batch.

The videos of step ``s`` are a pure function of ``(seed, s)``: resuming at any step draws what an
uninterrupted run draws, with no sampler state to save.

**Layout.** The batch holds the ``B`` normal videos, then the ``B`` abnormal ones, each as its training
sequence (:func:`vadkit.train.sequences.training_sequence`), stacked as ``(2B, C, L, D)``. Sequences of
different lengths (``"full"`` mode) are zero-padded to the longest, and ``lengths`` gives the valid rows
(``None`` when every row is valid). Methods whose reference trains every crop as its own bag
(:attr:`~vadkit.methods.base.WeakHead.crops_as_bags`) get ``(2B * C, L, D)``: each video's crops in a
row, with the video's label, length and audio repeated; the others get the crops of a video together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from vadkit.errors import ValidationError
from vadkit.methods.base import TrainSequence, WeakBatch
from vadkit.train.cache import LRUCache
from vadkit.train.sequences import PreparedSequence, load_inputs, training_sequence
from vadkit.train.source import FeatureSetLike, describe

_SAMPLER_STREAM = 0x5EED_0003


def _epoch_order(seed: int, label: int, epoch: int, count: int) -> np.ndarray:
    return np.random.default_rng([seed, _SAMPLER_STREAM, label, epoch]).permutation(count)


def class_batch_indices(seed: int, label: int, count: int, batch_size: int, step: int) -> np.ndarray:
    """Indices (into the class's videos sorted by name) of the ``batch_size`` videos of class ``label`` at
    0-based ``step``, by the rule of the module docstring."""
    if count < 1 or batch_size < 1 or step < 0:
        raise ValidationError(
            "class_batch_indices: need count >= 1, batch_size >= 1, step >= 0, "
            f"got {count}, {batch_size}, {step}"
        )
    if count >= batch_size:
        epoch, position = divmod(step, count // batch_size)
        return _epoch_order(seed, label, epoch, count)[position * batch_size : (position + 1) * batch_size]
    items = np.arange(step * batch_size, (step + 1) * batch_size)
    epochs = {int(e): _epoch_order(seed, label, int(e), count) for e in np.unique(items // count)}
    return np.array([epochs[int(i) // count][int(i) % count] for i in items], dtype=np.int64)


def collate(
    sequences: Sequence[PreparedSequence], labels: Sequence[int], *, crops_as_bags: bool
) -> WeakBatch:
    """Stack training sequences into a :class:`~vadkit.methods.base.WeakBatch` (layout: module docstring).

    Raises:
        ValidationError: no sequences, a label count that differs, videos with different crop counts or
            feature sizes, or audio for some videos only.
    """
    if not sequences or len(sequences) != len(labels):
        raise ValidationError(f"collate: {len(sequences)} sequences for {len(labels)} labels")
    shapes = {(s.features.shape[0], s.features.shape[2]) for s in sequences}
    if len(shapes) > 1:
        listed = ", ".join(f"{s.name} {s.features.shape[0]}x{s.features.shape[2]}" for s in sequences[:6])
        raise ValidationError(f"collate: videos differ in crops x feature size ({listed})")
    with_audio = {s.audio is not None for s in sequences}
    if len(with_audio) > 1:
        raise ValidationError("collate: some videos have audio features and others not")
    steps = max(s.features.shape[1] for s in sequences)
    features = np.stack([_pad(s.features, steps, axis=1) for s in sequences])
    lengths = np.array([s.length for s in sequences], dtype=np.int64)
    label_array = np.asarray(labels, dtype=np.float32)
    sounds = [_pad(s.audio, steps, axis=0) for s in sequences if s.audio is not None]
    audio = np.stack(sounds) if sounds else None
    if crops_as_bags:
        crops = features.shape[1]
        features = features.reshape(-1, steps, features.shape[-1])
        lengths, label_array = np.repeat(lengths, crops), np.repeat(label_array, crops)
        audio = None if audio is None else np.repeat(audio, crops, axis=0)
    return WeakBatch(
        features=torch.from_numpy(features),
        labels=torch.from_numpy(label_array),
        lengths=None if bool((lengths == steps).all()) else torch.from_numpy(lengths),
        audio=None if audio is None else torch.from_numpy(audio),
    )


def _pad(array: np.ndarray, rows: int, axis: int) -> np.ndarray:
    """``array`` followed by zeros up to ``rows`` entries on ``axis``."""
    widths = [(0, 0)] * array.ndim
    widths[axis] = (0, rows - array.shape[axis])
    return np.pad(array, widths)


class BalancedSampler:
    """Seeded balanced batches of one feature set's training sequences (module docstring).

    Args:
        feature_set: the training videos; at least one normal and one abnormal.
        spec: the method's training sequence (:attr:`~vadkit.methods.base.WeakHead.train_sequence`).
        batch_size: ``B``, videos of each class per step.
        seed: the draws' seed.
        crops_as_bags: flatten crops into bags (the method's
            :attr:`~vadkit.methods.base.WeakHead.crops_as_bags`).
        audio: load audio features too (:attr:`~vadkit.methods.base.WeakHead.uses_audio`).
        cache: keeps prepared sequences between steps (a fresh 1 GiB cache when ``None``).

    Raises:
        ValidationError: ``batch_size < 1``, or a class without videos.
    """

    def __init__(
        self,
        feature_set: FeatureSetLike,
        spec: TrainSequence,
        batch_size: int,
        *,
        seed: int,
        crops_as_bags: bool,
        audio: bool = False,
        cache: LRUCache | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError(
                f"BalancedSampler: batch_size must be a positive integer, got {batch_size!r}"
            )
        self.feature_set = feature_set
        self.spec = spec
        self.batch_size = batch_size
        self.seed = seed
        self.crops_as_bags = crops_as_bags
        self.audio = audio
        self.cache = LRUCache(1 << 30) if cache is None else cache
        videos = {v.name: v for v in feature_set}
        self._videos = videos
        self.classes: tuple[tuple[str, ...], tuple[str, ...]] = (
            tuple(sorted(n for n, v in videos.items() if v.label == 0)),
            tuple(sorted(n for n, v in videos.items() if v.label == 1)),
        )
        if not self.classes[0] or not self.classes[1]:
            raise ValidationError(
                f"{describe(feature_set)}: balanced batches need normal and abnormal videos, got "
                f"{len(self.classes[0])} normal and {len(self.classes[1])} abnormal"
            )

    def videos(self, step: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Names of the normal and of the abnormal videos of 0-based ``step``, in batch order."""
        normal, abnormal = (
            tuple(
                names[int(i)]
                for i in class_batch_indices(self.seed, label, len(names), self.batch_size, step)
            )
            for label, names in enumerate(self.classes)
        )
        return normal, abnormal

    def sequence(self, name: str) -> PreparedSequence:
        """The training sequence of video ``name`` (cached)."""
        video = self._videos[name]
        return self.cache.get(
            ("train", name),
            lambda: training_sequence(load_inputs(self.feature_set, video, audio=self.audio), self.spec),
        )

    def batch(self, step: int) -> WeakBatch:
        """The batch of 0-based ``step``: ``B`` normal then ``B`` abnormal videos (module docstring)."""
        normal, abnormal = self.videos(step)
        sequences = [self.sequence(name) for name in (*normal, *abnormal)]
        return collate(sequences, [0] * len(normal) + [1] * len(abnormal), crops_as_bags=self.crops_as_bags)
