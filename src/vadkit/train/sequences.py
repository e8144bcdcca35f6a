"""One video's features as the model consumes them: checked inputs, and the method's training sequence.

:func:`load_inputs` reads a video's ``(T, C, D)`` features (and audio) through its feature set and checks
them; :func:`training_sequence` turns them into the fixed-length sequence the method declares in
:attr:`~vadkit.methods.base.WeakHead.train_sequence`, with the functions of :mod:`vadkit.snippets`. Every
method goes through these two functions; validation and scoring use :func:`load_inputs` on full videos.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vadkit.errors import LengthMismatchError, ValidationError
from vadkit.methods.base import TrainSequence
from vadkit.snippets import pool_or_pad, resample_segments, subsample_or_pad
from vadkit.train.source import FeatureSetLike, FeatureVideoLike, describe


@dataclass(frozen=True)
class VideoInputs:
    """A video's checked inputs: ``features`` ``(T, C, D)`` float32 and ``audio`` ``(T, Da)`` or ``None``."""

    name: str
    features: np.ndarray
    audio: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        """Memory held, in bytes."""
        return self.features.nbytes + (0 if self.audio is None else self.audio.nbytes)


@dataclass(frozen=True)
class PreparedSequence:
    """A training sequence: ``features`` ``(C, L, D)`` float32, ``audio`` ``(L, Da)`` float32 or ``None``,
    and ``length``, the number of valid rows (the rest is zero padding)."""

    name: str
    features: np.ndarray
    length: int
    audio: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        """Memory held, in bytes."""
        return self.features.nbytes + (0 if self.audio is None else self.audio.nbytes)


def _checked(feature_set: FeatureSetLike, name: str, what: str, array: np.ndarray, rank: int) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != rank or 0 in array.shape or array.dtype.kind not in "biuf":
        layout = "(T, C, D)" if rank == 3 else "(T, Da)"
        raise ValidationError(
            f"{describe(feature_set)}, video {name}: {what} must be a non-empty numeric {layout} array, "
            f"got shape {array.shape}, dtype {array.dtype}"
        )
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise ValidationError(f"{describe(feature_set)}, video {name}: {what} contain NaN or inf")
    return array


def load_inputs(feature_set: FeatureSetLike, video: FeatureVideoLike, *, audio: bool) -> VideoInputs:
    """A video's features (and audio when ``audio`` is true), checked, as float32.

    Raises:
        ValidationError: features not a finite ``(T, C, D)`` array, audio not a finite ``(T, Da)`` array,
            or audio wanted but the set has none for this video.
        LengthMismatchError: the feature set gave different numbers of visual and audio rows.
    """
    features = _checked(feature_set, video.name, "features", feature_set.load(video), 3)
    if not audio:
        return VideoInputs(video.name, features)
    raw = feature_set.load_audio(video)
    if raw is None:
        raise ValidationError(
            f"{describe(feature_set)}, video {video.name}: the method takes audio features but the set "
            "has none"
        )
    sound = _checked(feature_set, video.name, "audio", raw, 2)
    if sound.shape[0] != features.shape[0]:
        raise LengthMismatchError(
            video.name,
            f"{features.shape[0]} feature rows but {sound.shape[0]} audio rows in {describe(feature_set)} "
            "(the feature set aligns them, e.g. by XDVioDet's rule of dropping one extra visual row)",
        )
    return VideoInputs(video.name, features, sound)


def _fixed_length(array: np.ndarray, spec: TrainSequence) -> tuple[np.ndarray, int]:
    """``array`` (rows first) at the spec's length, and its valid rows."""
    if spec.mode == "full":
        return array, array.shape[0]
    if spec.length is None:
        raise ValidationError(f"training sequence mode {spec.mode!r} needs a length")
    if spec.mode == "segments":
        return resample_segments(array, spec.length), spec.length
    if spec.mode == "pool_or_pad":
        return pool_or_pad(array, spec.length)
    if spec.mode == "subsample_or_pad":
        return subsample_or_pad(array, spec.length)
    raise ValidationError(f"unknown training sequence mode {spec.mode!r}")


def training_sequence(inputs: VideoInputs, spec: TrainSequence) -> PreparedSequence:
    """The method's training sequence of one video (``spec`` is the method's ``train_sequence``).

    ``"segments"``: :func:`~vadkit.snippets.resample_segments` to ``length`` rows (every row valid);
    ``"pool_or_pad"`` / ``"subsample_or_pad"``: the :mod:`vadkit.snippets` function of that name, which keeps
    the valid length; ``"full"``: the video as it is. Each crop is resampled on its own (the functions work
    on the time axis) and the audio, when present, goes through the same function.
    """
    features, length = _fixed_length(inputs.features, spec)
    audio = None if inputs.audio is None else _fixed_length(inputs.audio, spec)[0].astype(np.float32)
    return PreparedSequence(
        inputs.name,
        np.ascontiguousarray(features.transpose(1, 0, 2), dtype=np.float32),
        int(length),
        audio,
    )
