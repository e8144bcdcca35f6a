"""What the trainer needs from a feature set: the structural interface of ``vadkit.data.feature_sets``.

The trainer reads videos through these two protocols only, so any object with the same members works: the
feature sets of :mod:`vadkit.data.feature_sets` (feature files on disk) and
:class:`vadkit.train.arrays.ArrayFeatureSet` (arrays in memory).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np


class FeatureVideoLike(Protocol):
    """One video of a feature set: its name, video-level label (1 = abnormal) and class when known."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> int: ...

    @property
    def class_name(self) -> str | None: ...


class FeatureSetLike(Protocol):
    """A named collection of videos whose snippet features (and audio features) load on demand.

    Iteration gives the videos in the set's order; :meth:`subset` keeps that order.
    """

    @property
    def dataset(self) -> str: ...

    @property
    def split(self) -> str: ...

    @property
    def source(self) -> str: ...

    def __iter__(self) -> Iterator[FeatureVideoLike]: ...

    def load(self, video: FeatureVideoLike) -> np.ndarray:
        """``(T, C, D)`` float32 snippet features (``C`` crops)."""
        ...

    def load_audio(self, video: FeatureVideoLike) -> np.ndarray | None:
        """``(T, Da)`` float32 audio features, or ``None`` when the set has none."""
        ...

    def subset(self, names: Iterable[str]) -> FeatureSetLike:
        """The same set restricted to ``names``."""
        ...


def describe(feature_set: FeatureSetLike) -> str:
    """``dataset/split (source)``: how messages and records name a feature set."""
    return f"{feature_set.dataset}/{feature_set.split} ({feature_set.source})"
