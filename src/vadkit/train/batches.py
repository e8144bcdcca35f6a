"""Training batches: the batch compositions of the reference scripts, seeded, resumable without state.

**Compositions** (:data:`vadkit.methods.base.BATCHINGS`, declared per method by
:attr:`~vadkit.methods.base.WeakHead.train_recipe`; ``B`` is the trainer's ``batch_size``):

* ``"balanced_videos"``, :class:`BalancedSampler`: ``B`` normal then ``B`` abnormal videos per step.
* ``"balanced_crop_rows"``, :class:`CropRowSampler` (``balanced=True``): ``B`` normal then ``B`` abnormal crop
  rows per step. A crop row is a ``(video, crop)`` pair, like a line of UR-DMU's or XDVioDet's training lists
  (one feature file per crop); the rows of one video are drawn independently of each other.
* ``"shuffled_crop_rows"``, :class:`CropRowSampler` (``balanced=False``): ``2B`` crop rows of both classes
  together per step, in shuffled order, not balanced.

The items of a stream are sorted: videos by name, rows by video name then crop index. Every training video
must have the same number of crops ``C`` for crop rows (read from the first video by name).

**Balanced draws.** The normal and the abnormal items are two independent streams, like RTFM's and UR-DMU's
two ``DataLoader(shuffle=True, drop_last=True)``. For a class of ``n`` items and ``B`` per batch, epoch ``e``
of the class is a permutation of its ``n`` items drawn from ``numpy.random.default_rng([seed, stream, label,
e])``:

* ``n >= B``: the epoch gives ``floor(n / B)`` batches, consecutive ``B``-slices of the permutation; the last
  ``n mod B`` items of the permutation are dropped (``drop_last``) and the next batch starts epoch ``e + 1``.
  Within an epoch no item repeats; across epochs items are drawn again (with replacement across epochs).
* ``n < B`` (few abnormal videos): batch ``s`` takes items ``s*B .. s*B + B - 1`` of the concatenated
  permutations of epochs 0, 1, ...; every item appears once in each run of ``n`` items of that stream, so
  about ``B / n`` times per batch.

With one crop per video, crop rows are videos and both balanced compositions draw the same videos.

**Shuffled draws.** The ``R`` rows of both classes form one stream, like XDVioDet's single
``DataLoader(shuffle=True)``: epoch ``e`` is a permutation of the ``R`` rows drawn from
``numpy.random.default_rng([seed, stream, 2, e])``, cut into ``ceil(R / 2B)`` consecutive ``2B``-slices;
the last holds the ``R mod 2B`` remaining rows when that is not 0 (no ``drop_last``), so every row is drawn
exactly once per epoch, and the next step starts epoch ``e + 1``.

**Epochs.** :attr:`BatchSampler.steps_per_epoch` is the length of an epoch in steps, which the trainer's
learning-rate schedule counts in: ``ceil(R / 2B)`` for shuffled rows; for balanced compositions the epoch of
the larger class's stream, ``max(1, floor(n_max / B))`` (the reference loops re-create a class's iterator
every ``len(loader)`` steps).

The items of step ``s`` are a pure function of ``(seed, s)``: resuming at any step draws what an
uninterrupted run draws, with no sampler state to save.

**Layout.** The batch holds the items' training sequences (:func:`vadkit.train.sequences.training_sequence`)
in draw order (balanced: the ``B`` normal items, then the ``B`` abnormal ones). Sequences of different lengths
(``"full"`` mode) are zero-padded to the longest, and ``lengths`` gives the valid rows (``None`` when every
row is valid). Crop rows give ``(N, L, D)`` with each row's video label, length and audio. Balanced videos
give ``(2B, C, L, D)``, or for methods whose reference trains every crop as its own bag
(:attr:`~vadkit.methods.base.WeakHead.crops_as_bags`) ``(2B * C, L, D)``: each video's crops in a row, with
the video's label, length and audio repeated.

**Classes.** For class-aware methods (:attr:`~vadkit.methods.base.WeakHead.class_aware`) the sampler is given
each training video's class index (into the method's class list, 0 = normal) and every batch carries them in
``classes``, one per bag like ``labels`` (a crop row or a flattened crop has its video's class); without class
indices ``classes`` is ``None``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from vadkit.errors import ValidationError
from vadkit.methods.base import Batching, TrainSequence, WeakBatch
from vadkit.train.cache import LRUCache
from vadkit.train.sequences import PreparedSequence, load_inputs, training_sequence
from vadkit.train.source import FeatureSetLike, describe

_SAMPLER_STREAM = 0x5EED_0003
_BOTH_CLASSES = 2
"""The ``label`` entry of the shuffled stream's seeds (0 and 1 are the balanced classes' streams)."""

CropRow = tuple[str, int]
"""A crop row: ``(video name, crop index)``."""


def _epoch_order(seed: int, label: int, epoch: int, count: int) -> np.ndarray:
    return np.random.default_rng([seed, _SAMPLER_STREAM, label, epoch]).permutation(count)


def _check_draw(owner: str, count: int, batch_size: int, step: int) -> None:
    if count < 1 or batch_size < 1 or step < 0:
        raise ValidationError(
            f"{owner}: need count >= 1, batch_size >= 1, step >= 0, got {count}, {batch_size}, {step}"
        )


def class_batch_indices(seed: int, label: int, count: int, batch_size: int, step: int) -> np.ndarray:
    """Indices (into the class's items, sorted) of the ``batch_size`` items of class ``label`` at 0-based
    ``step``, by the balanced rule of the module docstring."""
    _check_draw("class_batch_indices", count, batch_size, step)
    if count >= batch_size:
        epoch, position = divmod(step, count // batch_size)
        return _epoch_order(seed, label, epoch, count)[position * batch_size : (position + 1) * batch_size]
    items = np.arange(step * batch_size, (step + 1) * batch_size)
    epochs = {int(e): _epoch_order(seed, label, int(e), count) for e in np.unique(items // count)}
    return np.array([epochs[int(i) // count][int(i) % count] for i in items], dtype=np.int64)


def shuffled_batch_indices(seed: int, count: int, batch_size: int, step: int) -> np.ndarray:
    """Indices (into the ``count`` items of both classes, sorted) of the items of 0-based ``step``, by the
    shuffled rule of the module docstring: ``batch_size`` items, fewer in the last batch of an epoch."""
    _check_draw("shuffled_batch_indices", count, batch_size, step)
    epoch, position = divmod(step, math.ceil(count / batch_size))
    return _epoch_order(seed, _BOTH_CLASSES, epoch, count)[
        position * batch_size : (position + 1) * batch_size
    ]


def balanced_steps_per_epoch(class_counts: Sequence[int], batch_size: int) -> int:
    """Steps of a balanced epoch: ``max(1, floor(n_max / B))``, the epoch of the larger class's stream."""
    return max(1, max(class_counts) // batch_size)


def collate(
    sequences: Sequence[PreparedSequence],
    labels: Sequence[int],
    *,
    crops_as_bags: bool,
    classes: Sequence[int] | None = None,
) -> WeakBatch:
    """Stack training sequences into a :class:`~vadkit.methods.base.WeakBatch` (layout: module docstring);
    ``classes`` are the sequences' class indices (class-aware methods), else ``None``.

    Raises:
        ValidationError: no sequences, a label (or class) count that differs, videos with different crop
            counts or feature sizes, or audio for some videos only.
    """
    if not sequences or len(sequences) != len(labels):
        raise ValidationError(f"collate: {len(sequences)} sequences for {len(labels)} labels")
    if classes is not None and len(classes) != len(sequences):
        raise ValidationError(f"collate: {len(sequences)} sequences for {len(classes)} classes")
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
    class_array = None if classes is None else np.asarray(classes, dtype=np.int64)
    if crops_as_bags:
        crops = features.shape[1]
        features = features.reshape(-1, steps, features.shape[-1])
        lengths, label_array = np.repeat(lengths, crops), np.repeat(label_array, crops)
        audio = None if audio is None else np.repeat(audio, crops, axis=0)
        class_array = None if class_array is None else np.repeat(class_array, crops)
    return WeakBatch(
        features=torch.from_numpy(features),
        labels=torch.from_numpy(label_array),
        lengths=None if bool((lengths == steps).all()) else torch.from_numpy(lengths),
        audio=None if audio is None else torch.from_numpy(audio),
        classes=None if class_array is None else torch.from_numpy(class_array),
    )


def _pad(array: np.ndarray, rows: int, axis: int) -> np.ndarray:
    """``array`` followed by zeros up to ``rows`` entries on ``axis``."""
    widths = [(0, 0)] * array.ndim
    widths[axis] = (0, rows - array.shape[axis])
    return np.pad(array, widths)


class BatchSampler(ABC):
    """Seeded training batches of one feature set (module docstring); subclasses define the draws.

    Args:
        feature_set: the training videos; at least one normal and one abnormal.
        spec: the method's training sequence (:attr:`~vadkit.methods.base.WeakHead.train_sequence`).
        batch_size: ``B`` (what a step holds in terms of ``B``: the subclass).
        seed: the draws' seed.
        audio: load audio features too (:attr:`~vadkit.methods.base.WeakHead.uses_audio`).
        cache: keeps prepared sequences between steps (a fresh 1 GiB cache when ``None``).
        class_indices: ``{video: class index}`` for every video (class-aware methods; module docstring), or
            ``None``: batches without classes.

    Raises:
        ValidationError: ``batch_size < 1``, a class without videos, or videos without a class index.
    """

    crops_as_bags: bool
    """Whether :func:`collate` flattens each video's crops into bags."""

    def __init__(
        self,
        feature_set: FeatureSetLike,
        spec: TrainSequence,
        batch_size: int,
        *,
        seed: int,
        audio: bool = False,
        cache: LRUCache | None = None,
        class_indices: Mapping[str, int] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError(
                f"{type(self).__name__}: batch_size must be a positive integer, got {batch_size!r}"
            )
        self.feature_set = feature_set
        self.spec = spec
        self.batch_size = batch_size
        self.seed = seed
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
                f"{describe(feature_set)}: training batches need normal and abnormal videos, got "
                f"{len(self.classes[0])} normal and {len(self.classes[1])} abnormal"
            )
        if class_indices is not None:
            missing = sorted(set(videos) - set(class_indices))
            if missing:
                raise ValidationError(
                    f"{describe(feature_set)}: no class index for {len(missing)} training video(s): "
                    f"{', '.join(missing[:5])}"
                )
        self.class_indices = None if class_indices is None else dict(class_indices)

    @property
    @abstractmethod
    def steps_per_epoch(self) -> int:
        """Steps of one epoch (module docstring, **Epochs**)."""

    @abstractmethod
    def draw(self, step: int) -> tuple[list[PreparedSequence], list[int]]:
        """The training sequences of 0-based ``step`` and their labels, in batch order."""

    def label(self, name: str) -> int:
        """The video-level label of video ``name`` (1 = abnormal)."""
        return int(self._videos[name].label)

    def sequence(self, name: str) -> PreparedSequence:
        """The training sequence of video ``name`` (cached)."""
        video = self._videos[name]
        return self.cache.get(
            ("train", name),
            lambda: training_sequence(load_inputs(self.feature_set, video, audio=self.audio), self.spec),
        )

    def batch(self, step: int) -> WeakBatch:
        """The batch of 0-based ``step`` (layout: module docstring)."""
        sequences, labels = self.draw(step)
        classes = None if self.class_indices is None else [self.class_indices[s.name] for s in sequences]
        return collate(sequences, labels, crops_as_bags=self.crops_as_bags, classes=classes)


class BalancedSampler(BatchSampler):
    """``"balanced_videos"``: ``B`` normal then ``B`` abnormal videos per step (module docstring).

    Args:
        feature_set, spec, batch_size, seed, audio, cache, class_indices: as :class:`BatchSampler`;
            ``batch_size`` is ``B``, videos of each class per step.
        crops_as_bags: flatten crops into bags (the method's
            :attr:`~vadkit.methods.base.WeakHead.crops_as_bags`).
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
        class_indices: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(
            feature_set, spec, batch_size, seed=seed, audio=audio, cache=cache, class_indices=class_indices
        )
        self.crops_as_bags = crops_as_bags

    @property
    def steps_per_epoch(self) -> int:
        """``max(1, floor(n_max / B))``, the epoch of the larger class's stream."""
        return balanced_steps_per_epoch([len(names) for names in self.classes], self.batch_size)

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

    def draw(self, step: int) -> tuple[list[PreparedSequence], list[int]]:
        """The ``B`` normal then the ``B`` abnormal videos of ``step``."""
        normal, abnormal = self.videos(step)
        sequences = [self.sequence(name) for name in (*normal, *abnormal)]
        return sequences, [0] * len(normal) + [1] * len(abnormal)


class CropRowSampler(BatchSampler):
    """Crop rows, ``(video, crop)`` pairs, as independent bags (module docstring).

    Args:
        feature_set, spec, batch_size, seed, audio, cache, class_indices: as :class:`BatchSampler`.
        balanced: ``True``: ``"balanced_crop_rows"``, ``B`` normal then ``B`` abnormal rows per step;
            ``False``: ``"shuffled_crop_rows"``, ``2B`` rows of both classes per step.

    The first video by name is loaded to learn the crop count ``C``; a video with another count raises
    ValidationError when it is drawn.
    """

    crops_as_bags = True  # every row holds one crop: collate gives (N, L, D)

    def __init__(
        self,
        feature_set: FeatureSetLike,
        spec: TrainSequence,
        batch_size: int,
        *,
        balanced: bool,
        seed: int,
        audio: bool = False,
        cache: LRUCache | None = None,
        class_indices: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(
            feature_set, spec, batch_size, seed=seed, audio=audio, cache=cache, class_indices=class_indices
        )
        self.balanced = balanced
        self._first = min(self._videos)
        self.crops = int(self.sequence(self._first).features.shape[0])
        self.class_rows: tuple[tuple[CropRow, ...], tuple[CropRow, ...]] = (
            self._rows_of(self.classes[0]),
            self._rows_of(self.classes[1]),
        )
        self.all_rows: tuple[CropRow, ...] = tuple(sorted(self.class_rows[0] + self.class_rows[1]))

    def _rows_of(self, names: Sequence[str]) -> tuple[CropRow, ...]:
        return tuple((name, crop) for name in names for crop in range(self.crops))

    @property
    def steps_per_epoch(self) -> int:
        """Balanced: ``max(1, floor(n_max / B))`` over the classes' row counts; shuffled: ``ceil(R / 2B)``."""
        if self.balanced:
            return balanced_steps_per_epoch([len(rows) for rows in self.class_rows], self.batch_size)
        return math.ceil(len(self.all_rows) / (2 * self.batch_size))

    def rows(self, step: int) -> tuple[CropRow, ...]:
        """The crop rows of 0-based ``step``, in batch order."""
        if self.balanced:
            return tuple(
                rows[int(i)]
                for label, rows in enumerate(self.class_rows)
                for i in class_batch_indices(self.seed, label, len(rows), self.batch_size, step)
            )
        indices = shuffled_batch_indices(self.seed, len(self.all_rows), 2 * self.batch_size, step)
        return tuple(self.all_rows[int(i)] for i in indices)

    def row(self, name: str, crop: int) -> PreparedSequence:
        """The training sequence of one crop row: crop ``crop`` of video ``name``, ``(1, L, D)``.

        Raises:
            ValidationError: the video's crop count differs from the first video's.
        """
        sequence = self.sequence(name)
        if sequence.features.shape[0] != self.crops:
            raise ValidationError(
                f"{describe(self.feature_set)}: video {name} has {sequence.features.shape[0]} crops and "
                f"{self._first} has {self.crops}; crop-row batches need one crop count"
            )
        return PreparedSequence(name, sequence.features[crop : crop + 1], sequence.length, sequence.audio)

    def draw(self, step: int) -> tuple[list[PreparedSequence], list[int]]:
        """The rows of ``step`` (:meth:`rows`), each a one-crop sequence with its video's label."""
        rows = self.rows(step)
        return [self.row(name, crop) for name, crop in rows], [self.label(name) for name, _ in rows]


def make_sampler(
    batching: Batching,
    feature_set: FeatureSetLike,
    spec: TrainSequence,
    batch_size: int,
    *,
    seed: int,
    crops_as_bags: bool,
    audio: bool = False,
    cache: LRUCache | None = None,
    class_indices: Mapping[str, int] | None = None,
) -> BatchSampler:
    """The sampler of composition ``batching`` (``crops_as_bags`` applies to ``"balanced_videos"`` only;
    ``class_indices``: see :class:`BatchSampler`)."""
    if batching == "balanced_videos":
        return BalancedSampler(
            feature_set,
            spec,
            batch_size,
            seed=seed,
            crops_as_bags=crops_as_bags,
            audio=audio,
            cache=cache,
            class_indices=class_indices,
        )
    return CropRowSampler(
        feature_set,
        spec,
        batch_size,
        balanced=batching == "balanced_crop_rows",
        seed=seed,
        audio=audio,
        cache=cache,
        class_indices=class_indices,
    )
