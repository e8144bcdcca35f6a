"""One video's frame scores, from a :class:`~vadkit.types.FrameScores` or a bare array, checked."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from vadkit.errors import ValidationError
from vadkit.explain.event_config import checked_fps
from vadkit.types import FrameScores


class VideoScores(NamedTuple):
    """Checked scores of one video: 1-D finite float64 ``scores``, their ``fps`` and the ``video`` name."""

    scores: np.ndarray
    fps: float
    video: str


def video_scores(scores: FrameScores | ArrayLike, fps: float | None, video: str | None) -> VideoScores:
    """Check one video's scores and settle its frame rate and name.

    A :class:`FrameScores` brings its own ``fps`` and ``video``; ``fps`` and ``video``, when given too, must
    agree with them. A bare array needs ``fps``; ``video`` (default ``"scores"``) names it in errors.

    Raises:
        ValidationError: not 1-D, NaN or inf (naming the video and the first bad frames), a bad or
            conflicting ``fps``, a conflicting ``video``.
    """
    if isinstance(scores, FrameScores):
        if fps is not None and checked_fps(fps) != scores.fps:
            raise ValidationError(f"{scores.video}: fps {fps} given for scores at {scores.fps} fps")
        if video is not None and video != scores.video:
            raise ValidationError(
                f"{scores.video}: video name {video!r} given for scores of {scores.video!r}"
            )
        return VideoScores(scores.scores, scores.fps, scores.video)
    name = "scores" if video is None else video
    if fps is None:
        raise ValidationError(f"{name}: fps is needed for a bare score array (or pass FrameScores)")
    values = np.asarray(scores)
    if values.ndim != 1 or values.dtype.kind not in "biuf":
        raise ValidationError(
            f"{name}: scores must be a 1-D numeric array, got {values.dtype} {values.shape}"
        )
    values = values.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        first = ", ".join(str(i) for i in bad[:5])
        raise ValidationError(f"{name}: scores contain NaN or inf ({bad.size} frames, first: {first})")
    try:
        rate = checked_fps(fps)
    except ValidationError as error:
        raise ValidationError(f"{name}: {error}") from None
    return VideoScores(values, rate, name)
