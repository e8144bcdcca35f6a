"""A feature set held in memory: train and score from numpy arrays without feature files.

>>> import numpy as np
>>> videos = (ArrayVideo("a", 0), ArrayVideo("b", 1, "Fighting"))
>>> features = {"a": np.zeros((20, 1, 8), np.float32), "b": np.ones((12, 8), np.float32)}
>>> ArrayFeatureSet(videos, features).load(videos[1]).shape
(12, 1, 8)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vadkit.errors import ValidationError


@dataclass(frozen=True)
class ArrayVideo:
    """One in-memory video: name, video-level label (0 normal, 1 abnormal) and class when known."""

    name: str
    label: int
    class_name: str | None = None

    def __post_init__(self) -> None:
        if self.label not in (0, 1):
            raise ValidationError(
                f"{self.name}: label must be 0 (normal) or 1 (abnormal), got {self.label!r}"
            )


class ArrayFeatureSet:
    """Videos with their features as arrays; the same members as ``vadkit.data.feature_sets.FeatureSet``.

    Args:
        videos: the videos, in order; names must be unique.
        features: ``{name: (T, C, D) or (T, D)}`` for every video (a 2-D array is one crop); stored as
            float32 ``(T, C, D)``.
        audio: ``{name: (T, Da)}`` for every video (the same ``T`` as its features), or ``None``.
        dataset, split, source: how records and messages name the set.

    Raises:
        ValidationError: duplicate names, a video without features (or audio when audio is given), an array
            of the wrong rank or with an empty axis, or audio rows that differ from the feature rows.
    """

    def __init__(
        self,
        videos: Sequence[ArrayVideo],
        features: Mapping[str, np.ndarray],
        audio: Mapping[str, np.ndarray] | None = None,
        *,
        dataset: str = "arrays",
        split: str = "train",
        source: str = "memory",
    ) -> None:
        self.dataset = dataset
        self.split = split
        self.source = source
        self.videos: tuple[ArrayVideo, ...] = tuple(videos)
        self._by_name = {video.name: video for video in self.videos}
        if len(self._by_name) != len(self.videos):
            raise ValidationError(f"{dataset}/{split}: video names must be unique")
        self._features = {v.name: self._checked(v.name, "features", features, (2, 3)) for v in self.videos}
        self._audio = (
            None
            if audio is None
            else {v.name: self._checked(v.name, "audio", audio, (2,)) for v in self.videos}
        )
        for name, sound in (self._audio or {}).items():
            if sound.shape[0] != self._features[name].shape[0]:
                raise ValidationError(
                    f"{dataset}/{split}: video {name} has {self._features[name].shape[0]} feature rows but "
                    f"{sound.shape[0]} audio rows"
                )

    def _checked(
        self, name: str, what: str, arrays: Mapping[str, np.ndarray], ranks: tuple[int, ...]
    ) -> np.ndarray:
        if name not in arrays:
            raise ValidationError(f"{self.dataset}/{self.split}: video {name} has no {what}")
        array = np.asarray(arrays[name], dtype=np.float32)
        if array.ndim not in ranks or 0 in array.shape:
            raise ValidationError(
                f"{self.dataset}/{self.split}: {what} of video {name} must be a non-empty "
                f"{' or '.join(f'{r}-D' for r in ranks)} array, got shape {array.shape}"
            )
        return array[:, None, :] if what == "features" and array.ndim == 2 else array

    def __len__(self) -> int:
        return len(self.videos)

    def __iter__(self) -> Iterator[ArrayVideo]:
        return iter(self.videos)

    def __getitem__(self, name: str) -> ArrayVideo:
        try:
            return self._by_name[name]
        except KeyError:
            raise ValidationError(f"{self.dataset}/{self.split}: no video named {name!r}") from None

    @property
    def normal(self) -> tuple[ArrayVideo, ...]:
        """The videos labelled 0, in order."""
        return tuple(v for v in self.videos if v.label == 0)

    @property
    def abnormal(self) -> tuple[ArrayVideo, ...]:
        """The videos labelled 1, in order."""
        return tuple(v for v in self.videos if v.label == 1)

    def load(self, video: ArrayVideo) -> np.ndarray:
        """``(T, C, D)`` float32 features of ``video`` (a copy)."""
        return self._features[self[video.name].name].copy()

    def load_audio(self, video: ArrayVideo) -> np.ndarray | None:
        """``(T, Da)`` float32 audio features of ``video`` (a copy), or ``None`` without audio."""
        return None if self._audio is None else self._audio[self[video.name].name].copy()

    def subset(self, names: Iterable[str]) -> ArrayFeatureSet:
        """The videos named in ``names``, in this set's order.

        Raises:
            ValidationError: a name not in this set.
        """
        wanted = set(names)
        missing = sorted(wanted - set(self._by_name))
        if missing:
            raise ValidationError(f"{self.dataset}/{self.split}: no video named {', '.join(missing[:5])}")
        kept = tuple(v for v in self.videos if v.name in wanted)
        audio = None if self._audio is None else {v.name: self._audio[v.name] for v in kept}
        return ArrayFeatureSet(
            kept,
            {v.name: self._features[v.name] for v in kept},
            audio,
            dataset=self.dataset,
            split=self.split,
            source=self.source,
        )
