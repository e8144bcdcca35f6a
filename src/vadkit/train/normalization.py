"""Per-dimension feature standardisation, fitted on the training videos and applied to every load.

Some features carry tiny, unscaled values (the weight-free ``motion`` histograms are fractions well below 1,
some dimensions almost constant) on which a head's scores collapse to one value. Standardising each feature
dimension ``d`` as ``(x[..., d] - mean[d]) / std[d]`` puts every dimension on the same scale:

* ``mean`` and ``std`` are the mean and the *population* standard deviation (``ddof=0``) of dimension ``d``
  over every snippet and every crop of every video of the fitting set (``(sum_v T_v * C_v)`` rows), computed
  in float64 by merging per-video moments (Chan et al.'s pairwise update, exact up to rounding);
* ``std`` is floored at :data:`STD_FLOOR` (``1e-6``), so a constant dimension becomes ``(x - mean) / 1e-6``
  (0 on the fitting set) instead of a division by zero;
* the statistics come from the training videos that are fitted (after the validation split is carved), never
  from validation or test videos, and are applied unchanged to the fitting, validation and test features;
* audio features (XD-Violence VGGish) are passed through unchanged.

The statistics are saved as an ``.npz`` of plain arrays (``mean``, ``std``, the fitting ``videos``; no
pickles), next to the checkpoints that need them: a model trained on standardised features must score
standardised features.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from vadkit.errors import ValidationError
from vadkit.files import atomic_write
from vadkit.train.source import FeatureSetLike, FeatureVideoLike, describe

FeatureNorm = Literal["none", "standardize"]
FEATURE_NORMS: tuple[str, ...] = ("none", "standardize")
"""Feature normalisations an experiment can apply: none, or per-dimension standardisation."""

STD_FLOOR = 1e-6
"""Smallest standard deviation divided by (constant dimensions)."""

NORM_FILE = "feature_norm.npz"
"""File name of saved statistics in a seed's run folder."""


@dataclass(frozen=True)
class Standardizer:
    """Per-dimension statistics of a fitting set (module docstring).

    Attributes:
        mean: ``(D,)`` float64 mean of every dimension.
        std: ``(D,)`` float64 population standard deviation, floored at :data:`STD_FLOOR`.
        videos: names of the videos the statistics were fitted on, in set order.
    """

    mean: np.ndarray
    std: np.ndarray
    videos: tuple[str, ...]

    def __post_init__(self) -> None:
        mean = np.asarray(self.mean, dtype=np.float64)
        std = np.asarray(self.std, dtype=np.float64)
        if mean.ndim != 1 or mean.shape != std.shape or mean.size == 0:
            raise ValidationError(
                f"Standardizer: mean and std must be non-empty (D,) arrays of one shape, got {mean.shape} "
                f"and {std.shape}"
            )
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std >= STD_FLOOR).all()):
            raise ValidationError(f"Standardizer: mean must be finite and std finite and >= {STD_FLOOR}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)
        object.__setattr__(self, "videos", tuple(str(name) for name in self.videos))

    @property
    def dim(self) -> int:
        """D, the feature size."""
        return int(self.mean.shape[0])

    def apply(self, features: np.ndarray, video: str = "features") -> np.ndarray:
        """``(features - mean) / std`` over the last axis, as float32; ``video`` names errors.

        Raises:
            ValidationError: the last axis is not of size D.
        """
        if features.shape[-1] != self.dim:
            raise ValidationError(
                f"{video}: features of size {features.shape[-1]}, the standardisation was fitted on size "
                f"{self.dim}"
            )
        return ((features - self.mean) / self.std).astype(np.float32)

    def save(self, path: str | Path) -> Path:
        """Write ``mean``, ``std`` and ``videos`` as an ``.npz``, atomically
        (:func:`vadkit.files.atomic_write`)."""
        videos = np.array(self.videos, dtype=np.str_)
        arrays = {"mean": self.mean, "std": self.std, "videos": videos}
        return atomic_write(path, lambda handle: np.savez(handle, **arrays))

    @classmethod
    def load(cls, path: str | Path) -> Standardizer:
        """The statistics written by :meth:`save` (loaded without pickles).

        Raises:
            ValidationError: a missing or unreadable file, or one without the three arrays.
        """
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as archive:
                return cls(archive["mean"], archive["std"], tuple(archive["videos"].tolist()))
        except (OSError, ValueError, KeyError) as error:
            raise ValidationError(f"{path}: not a feature standardisation file ({error})") from None


def fit_standardizer(feature_set: FeatureSetLike) -> Standardizer:
    """Mean and floored population std of every dimension over all snippets and crops of ``feature_set``.

    Raises:
        ValidationError: an empty set, or videos of different feature sizes.
    """
    count, mean, m2 = 0, np.zeros(0), np.zeros(0)
    names = []
    for video in feature_set:
        rows = np.asarray(feature_set.load(video), dtype=np.float64)
        rows = rows.reshape(-1, rows.shape[-1])
        if count and rows.shape[1] != mean.shape[0]:
            raise ValidationError(
                f"{describe(feature_set)}, video {video.name}: feature size {rows.shape[1]}, earlier videos "
                f"{mean.shape[0]}"
            )
        video_mean = rows.mean(axis=0)
        video_m2 = ((rows - video_mean) ** 2).sum(axis=0)
        if not count:
            count, mean, m2 = rows.shape[0], video_mean, video_m2
        else:
            total = count + rows.shape[0]
            delta = video_mean - mean
            mean = mean + delta * (rows.shape[0] / total)
            m2 = m2 + video_m2 + delta**2 * (count * rows.shape[0] / total)
            count = total
        names.append(video.name)
    if not count:
        raise ValidationError(f"{describe(feature_set)}: no videos to fit the feature standardisation on")
    return Standardizer(mean, np.maximum(np.sqrt(m2 / count), STD_FLOOR), tuple(names))


def fitted_standardizer(feature_set: FeatureSetLike, path: str | Path) -> Standardizer:
    """The statistics of ``feature_set``: read from ``path`` when it holds those of the same videos (a run
    started again), else fitted and saved there.

    Raises:
        ValidationError: ``path`` holds statistics of other videos (the folder belongs to another run).
    """
    path = Path(path)
    names = tuple(video.name for video in feature_set)
    if path.is_file():
        saved = Standardizer.load(path)
        if saved.videos != names:
            raise ValidationError(
                f"{path}: feature statistics of other training videos; the folder holds another run, use a "
                "new run directory"
            )
        return saved
    standardizer = fit_standardizer(feature_set)
    standardizer.save(path)
    return standardizer


class StandardizedFeatureSet:
    """``feature_set`` with every :meth:`load` standardised by ``standardizer`` (audio unchanged).

    It has the members of :class:`~vadkit.train.source.FeatureSetLike`; ``source`` says the features are
    standardised, so records and resume checks tell the two apart.
    """

    def __init__(self, feature_set: FeatureSetLike, standardizer: Standardizer) -> None:
        self._inner = feature_set
        self.standardizer = standardizer

    @property
    def dataset(self) -> str:
        """The wrapped set's dataset."""
        return self._inner.dataset

    @property
    def split(self) -> str:
        """The wrapped set's split."""
        return self._inner.split

    @property
    def source(self) -> str:
        """The wrapped set's source, marked standardised."""
        return f"{self._inner.source}, standardised per dimension"

    def __iter__(self) -> Iterator[FeatureVideoLike]:
        return iter(self._inner)

    def load(self, video: FeatureVideoLike) -> np.ndarray:
        """``(T, C, D)`` float32 standardised features of ``video``."""
        return self.standardizer.apply(self._inner.load(video), video.name)

    def load_audio(self, video: FeatureVideoLike) -> np.ndarray | None:
        """The wrapped set's audio features, unchanged."""
        return self._inner.load_audio(video)

    def subset(self, names: Iterable[str]) -> StandardizedFeatureSet:
        """The wrapped set's subset, standardised the same way."""
        return StandardizedFeatureSet(self._inner.subset(names), self.standardizer)
