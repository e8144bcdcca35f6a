"""A feature release's split as vadkit sees it: the videos, their labels and files, loaded one at a time.

A :class:`FeatureSet` holds paths only. :meth:`FeatureSet.load` reads one video and returns it as a
``(T, C, D)`` float32 array, C being the number of spatial crops (1 for single-crop features), whatever the
layout on disk: one file holding every crop (RTFM ``(T, 10, 2048)``), one ``(T, D)`` file per crop
(DeepMIL/UR-DMU/XDVioDet/VadCLIP ``<video>__<k>.npy``), a single-crop file (``(T, D)``: vadkit, Sultani's C3D
text). Validation happens there, lazily, with errors naming the video and the file: missing or unreadable
files, pickles, wrong number of dimensions, crop count or feature size disagreeing with the set, crop files
of one video with different lengths, NaN/inf rows, audio misaligned with the video.

The expected crop count and feature size are the reader's when it knows them (RTFM: 10 crops), else those of
the set's first video (its ``.npy`` headers only are read). A subset keeps the set's first video as
reference, so the same rule applies to every part of one release.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vadkit.data.feature_sets.arrays import check_finite, open_feature_file
from vadkit.errors import ValidationError


@dataclass(frozen=True)
class FeatureVideo:
    """One video of a feature set.

    Attributes:
        name: bare video name (:func:`vadkit.data.video_name`), unique in its set.
        label: video-level label: 1 abnormal, 0 normal.
        class_name: the video's class as its dataset names it (``"Abuse"``, ``"Normal"``, XD-Violence tags
            ``"B2-G"`` / ``"A"``, synthetic ``"Running"``); ``None`` when the release does not say.
        files: one file holding all crops, or one file per crop in crop order.
        audio: the VGGish file (XD-Violence), else ``None``.
    """

    name: str
    label: int
    class_name: str | None
    files: tuple[Path, ...]
    audio: Path | None = None

    def __post_init__(self) -> None:
        if isinstance(self.label, bool) or self.label not in (0, 1):
            raise ValidationError(
                f"{self.name}: label must be 0 (normal) or 1 (abnormal), got {self.label!r}"
            )
        object.__setattr__(self, "label", int(self.label))
        files = tuple(Path(f) for f in self.files)
        if not files:
            raise ValidationError(f"{self.name}: a feature video needs at least one file")
        object.__setattr__(self, "files", files)
        if self.audio is not None:
            object.__setattr__(self, "audio", Path(self.audio))

    @property
    def abnormal(self) -> bool:
        """Whether the video is abnormal (``label == 1``)."""
        return self.label == 1


def _shape_problem(video: FeatureVideo, arrays: list[np.ndarray]) -> str | None:
    """What is wrong with the dimensions of a video's arrays, ``None`` when they form ``(T, C, D)``."""
    if len(arrays) == 1:
        if arrays[0].ndim not in (2, 3):
            return f"expected (T, D) or (T, crops, D), got shape {arrays[0].shape}"
    else:
        for path, array in zip(video.files, arrays, strict=True):
            if array.ndim != 2:
                return f"{path.name}: a per-crop file must be (T, D), got shape {array.shape}"
        lengths = {path.name: array.shape for path, array in zip(video.files, arrays, strict=True)}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{name} {shape}" for name, shape in lengths.items())
            return f"its crop files disagree in shape: {listed}"
    if arrays[0].shape[0] == 0 or arrays[0].shape[-1] == 0:
        return f"empty features (shape {arrays[0].shape})"
    return None


class FeatureSet:
    """The videos of one split of one feature release, in list order, loaded lazily.

    Args:
        videos: the videos, in order; names must be unique.
        dataset: the benchmark (``ucf_crime``, ``xd_violence``, ``shanghaitech``, ``synthetic``, ...).
        split: ``train``, ``test``, ... as the reader was told.
        source: which list or layout the set was read from, for reports.
        snippets: the T every video must have (pre-segmented features, e.g. Sultani's 32); ``None``: any.
        crops: the crop count C every video must have; ``None``: that of the reference video.
        dim: the feature size D every video must have; ``None``: that of the reference video.
        audio_dim: the audio feature size; ``None``: that of the reference video's audio.
        reference: the video whose shape is expected of all (default: the first of ``videos``).
    """

    def __init__(
        self,
        videos: Iterable[FeatureVideo],
        *,
        dataset: str,
        split: str,
        source: str,
        snippets: int | None = None,
        crops: int | None = None,
        dim: int | None = None,
        audio_dim: int | None = None,
        reference: FeatureVideo | None = None,
    ) -> None:
        self._videos = tuple(videos)
        self._by_name: dict[str, FeatureVideo] = {}
        for video in self._videos:
            if video.name in self._by_name:
                raise ValidationError(f"{source}: video {video.name} appears twice in the feature set")
            self._by_name[video.name] = video
        self._dataset, self._split, self._source = dataset, split, source
        self._snippets, self._crops, self._dim, self._audio_dim = snippets, crops, dim, audio_dim
        self._reference = reference if reference is not None else (self._videos[0] if self._videos else None)
        self._reference_shape: tuple[int, int] | None = None
        self._reference_audio_dim: int | None = None

    @property
    def dataset(self) -> str:
        """The benchmark the set belongs to."""
        return self._dataset

    @property
    def split(self) -> str:
        """The split (``train``, ``test``, ...)."""
        return self._split

    @property
    def source(self) -> str:
        """Which list or layout the set was read from (for reports)."""
        return self._source

    @property
    def videos(self) -> tuple[FeatureVideo, ...]:
        """The videos, in list order."""
        return self._videos

    @property
    def names(self) -> tuple[str, ...]:
        """The video names, in list order."""
        return tuple(self._by_name)

    @property
    def normal(self) -> tuple[FeatureVideo, ...]:
        """The normal videos (label 0), in list order."""
        return tuple(v for v in self._videos if v.label == 0)

    @property
    def abnormal(self) -> tuple[FeatureVideo, ...]:
        """The abnormal videos (label 1), in list order."""
        return tuple(v for v in self._videos if v.label == 1)

    @property
    def has_audio(self) -> bool:
        """Whether every video has an audio file."""
        return bool(self._videos) and all(v.audio is not None for v in self._videos)

    def __len__(self) -> int:
        return len(self._videos)

    def __iter__(self) -> Iterator[FeatureVideo]:
        return iter(self._videos)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> FeatureVideo:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(
                f"{name!r} is not a video of {self._dataset}/{self._split} ({self._source})"
            ) from None

    def __repr__(self) -> str:
        return (
            f"FeatureSet({self._dataset}/{self._split}: {len(self)} videos, {len(self.abnormal)} abnormal; "
            f"{self._source})"
        )

    def subset(self, names: Iterable[str]) -> FeatureSet:
        """The chosen videos, in the order given, with this set's source and shape expectations.

        Raises:
            KeyError: a name that is not in the set.
            ValidationError: a name given twice.
        """
        chosen = [self[name] for name in names]
        return FeatureSet(
            chosen,
            dataset=self._dataset,
            split=self._split,
            source=self._source,
            snippets=self._snippets,
            crops=self._crops,
            dim=self._dim,
            audio_dim=self._audio_dim,
            reference=self._reference,
        )

    # -- shapes ---------------------------------------------------------------------------------------------

    def _video(self, video: FeatureVideo | str) -> FeatureVideo:
        return self[video] if isinstance(video, str) else video

    @staticmethod
    def _open(video: FeatureVideo) -> tuple[list[np.ndarray], tuple[int, int, int]]:
        """The video's arrays (memory-mapped where possible) and their ``(T, C, D)``, checked to fit."""
        arrays = [open_feature_file(video.name, path) for path in video.files]
        problem = _shape_problem(video, arrays)
        if problem is not None:
            raise ValidationError(
                f"{video.name}: {video.files[0] if len(arrays) == 1 else 'features'}: {problem}"
            )
        first = arrays[0]
        crops = first.shape[1] if first.ndim == 3 and len(arrays) == 1 else len(arrays)
        return arrays, (first.shape[0], crops, first.shape[-1])

    def _expected(self) -> tuple[int, int, str]:
        """``(C, D)`` every video must have, and where that expectation comes from (the reference video's
        headers are read once)."""
        if self._crops is not None and self._dim is not None:
            return self._crops, self._dim, "given by the reader"
        if self._reference is None:
            raise ValidationError(f"{self._source}: the feature set is empty")
        if self._reference_shape is None:
            self._reference_shape = self._open(self._reference)[1][1:]
        crops, dim = self._reference_shape
        given = self._crops is not None or self._dim is not None
        origin = (
            "from the reader and " if given else "from "
        ) + f"the set's first video {self._reference.name}"
        return (self._crops or crops), (self._dim or dim), origin

    @property
    def crops(self) -> int:
        """C, the crop count of every video (read from the reference video's headers when not given)."""
        return self._crops if self._crops is not None else self._expected()[0]

    @property
    def dim(self) -> int:
        """D, the feature size of every video (read from the reference video's headers when not given)."""
        return self._dim if self._dim is not None else self._expected()[1]

    def _checked(self, video: FeatureVideo) -> tuple[list[np.ndarray], tuple[int, int, int]]:
        arrays, (length, crops, dim) = self._open(video)
        want_crops, want_dim, origin = self._expected()
        if (crops, dim) != (want_crops, want_dim):
            files = ", ".join(str(path) for path in video.files)
            raise ValidationError(
                f"{video.name}: features have {crops} crops of size {dim} ({files}); expected {want_crops} "
                f"crops of size {want_dim} ({origin})"
            )
        if self._snippets is not None and length != self._snippets:
            raise ValidationError(
                f"{video.name}: {video.files[0]}: {length} rows, the layout has {self._snippets} per video"
            )
        return arrays, (length, crops, dim)

    def _audio(self, video: FeatureVideo, rgb_rows: int) -> tuple[np.ndarray, int]:
        """The video's audio array (memory-mapped) and the number of video rows kept (the MIX2 rule)."""
        assert video.audio is not None
        audio = open_feature_file(video.name, video.audio)
        if audio.ndim != 2 or audio.shape[0] == 0:
            raise ValidationError(
                f"{video.name}: audio file {video.audio}: expected (T, D), got {audio.shape}"
            )
        expected = self._audio_dim
        if expected is None and self._reference is not None and self._reference.audio is not None:
            if self._reference_audio_dim is None:
                self._reference_audio_dim = open_feature_file(
                    self._reference.name, self._reference.audio
                ).shape[-1]
            expected = self._reference_audio_dim
        if expected is not None and audio.shape[1] != expected:
            raise ValidationError(
                f"{video.name}: audio file {video.audio}: feature size {audio.shape[1]}, "
                f"the set's is {expected}"
            )
        rows = audio.shape[0]
        if rgb_rows not in (rows, rows + 1):
            raise ValidationError(
                f"{video.name}: video features have {rgb_rows} rows, audio {rows} ({video.audio}); only "
                "equal lengths or one extra video row (dropped, as XDVioDet's MIX2 loader does) are accepted"
            )
        return audio, rows

    def num_snippets(self, video: FeatureVideo | str) -> int:
        """T of ``load(video)`` from the file headers (text files are parsed), with the shape checks of
        :meth:`load` but not the NaN check."""
        video = self._video(video)
        _, (length, _, _) = self._checked(video)
        return length if video.audio is None else self._audio(video, length)[1]

    # -- data -----------------------------------------------------------------------------------------------

    def load(self, video: FeatureVideo | str) -> np.ndarray:
        """The features of one video as a new ``(T, C, D)`` float32 array with finite values.

        With audio, a video having one row more than its audio loses its last row (XDVioDet's MIX2 rule), so
        that ``load(v).shape[0] == load_audio(v).shape[0]``.

        Raises:
            KeyError: a name that is not in the set.
            ValidationError: naming the video and file: missing/unreadable file, pickles, wrong
                dimensions, crop count or size disagreeing with the set, crop files of different lengths,
                NaN/inf rows (listed), audio misaligned beyond the MIX2 rule.
        """
        video = self._video(video)
        arrays, (length, crops, dim) = self._checked(video)
        keep = length if video.audio is None else self._audio(video, length)[1]
        data = np.empty((keep, crops, dim), dtype=np.float32)
        if len(arrays) == 1:
            data[...] = arrays[0][:keep].reshape(keep, crops, dim)
            check_finite(video.name, video.files[0], data)
        else:
            for k, (path, array) in enumerate(zip(video.files, arrays, strict=True)):
                data[:, k] = array[:keep]
                check_finite(video.name, path, data[:, k])
        return data

    def load_audio(self, video: FeatureVideo | str) -> np.ndarray | None:
        """The audio features of one video as a new ``(T, Da)`` float32 array, ``None`` without audio.

        Raises:
            ValidationError: as :meth:`load`, for the audio file and its alignment with the video.
        """
        video = self._video(video)
        if video.audio is None:
            return None
        _, (length, _, _) = self._checked(video)
        audio = np.array(self._audio(video, length)[0], dtype=np.float32)
        check_finite(video.name, video.audio, audio)
        return audio
