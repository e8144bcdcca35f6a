"""Temporal geometry of snippet features and scores: resampling to a fixed length, and back to frames.

Everything that moves between the frame axis, the snippet axis (one row per ``snippet_length`` frames) and the
fixed-length segment axis (32 segments in MIL-style training) goes through this module, so every method, data
loader and evaluation uses the same rules.

Two segment geometries exist in the field, both described by boundaries over ``T`` rows:

* **linspace** (RTFM ``process_feat``, VadCLIP ``uniform_extract``): ``r = int(linspace(0, T, K + 1))``;
  segment ``i`` covers rows ``[r_i, r_{i+1})``, or the single row ``r_i`` when that range is empty (which
  happens, and repeats rows, when ``T < K``). The non-empty ranges partition ``[0, T)``.
* **Sultani** (``Save_C3DFeatures_32Segments.m`` and ``Evaluate_Anomaly_Detector.m``): MATLAB
  ``b = round(linspace(1, n, 33))`` (1-based; MATLAB rounds halves away from zero). The MATLAB loop takes
  snippets ``b_i .. b_{i+1} - 1`` (1-based, inclusive), or the single snippet ``b_i`` when that is empty. In
  0-based terms, with ``c = b - 1``: segment ``i`` covers ``[c_i, c_{i+1})``, or row ``c_i`` when empty. The
  reference meant to close the last segment on ``b_33 = n`` but its test (``ishots == length(...)``) is never
  true, so the last snippet belongs to no segment whenever ``n >= 18`` (its features are never used and its
  frames score 0 in the reference evaluation). vadkit's default closes the last segment on ``n`` (segment 31
  covers ``[c_31, n)``), so the ranges partition ``[0, n)``; ``compat="sultani"`` reproduces the reference.

Where several segments cover one row (only through empty ranges), painting segment scores back onto rows gives
each row the score of the *last* segment covering it, which is what the MATLAB evaluation does; for both
geometries that is the unique non-empty range containing the row.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from vadkit.errors import LengthMismatchError, ValidationError
from vadkit.types import SnippetSpec

SegmentRule = Literal["linspace", "sultani"]
SultaniCompat = Literal["sultani"]
ChunkCompat = Literal["vadclip"]


def _rows(features: ArrayLike, owner: str) -> np.ndarray:
    """``features`` as an array with at least one row on axis 0."""
    array = np.asarray(features)
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValidationError(f"{owner}: need at least one row on axis 0, got shape {array.shape}")
    return array


def _positive(value: int, name: str, owner: str) -> int:
    if int(value) != value or value < 1:
        raise ValidationError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def linspace_segment_bounds(num_rows: int, num_segments: int = 32) -> NDArray[np.int64]:
    """Boundaries ``int(linspace(0, num_rows, num_segments + 1))`` of the RTFM/VadCLIP resampling.

    Returns ``num_segments + 1`` non-decreasing 0-based row indices, the first 0 and the last ``num_rows``.
    The float-to-int cast truncates, exactly as ``np.linspace(..., dtype=int)`` does in the references.
    """
    _positive(num_rows, "num_rows", "linspace_segment_bounds")
    _positive(num_segments, "num_segments", "linspace_segment_bounds")
    return np.linspace(0, num_rows, num_segments + 1).astype(np.int64)


def sultani_segment_bounds(num_snippets: int, num_segments: int = 32) -> NDArray[np.int64]:
    """MATLAB ``round(linspace(1, num_snippets, num_segments + 1))``: 1-based snippet indices.

    MATLAB's ``round`` takes halves away from zero (``round(2.5) == 3``), unlike numpy's round-half-to-even;
    the values are positive, so this is ``floor(x + 0.5)``. With ``num_segments = 32`` the linspace steps are
    exact binary fractions, so the values equal MATLAB's bit for bit.
    """
    _positive(num_snippets, "num_snippets", "sultani_segment_bounds")
    _positive(num_segments, "num_segments", "sultani_segment_bounds")
    return np.floor(np.linspace(1, num_snippets, num_segments + 1) + 0.5).astype(np.int64)


def _segment_ranges(
    num_rows: int, num_segments: int, rule: SegmentRule, compat: SultaniCompat | None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Half-open row ranges ``[start, stop)`` of each segment; an empty range becomes its start row.

    See the module docstring for the two rules and the ``compat="sultani"`` last-snippet quirk.
    """
    if compat not in (None, "sultani"):
        raise ValidationError(f"segment ranges: unknown compat mode {compat!r} (known: 'sultani')")
    if rule == "linspace":
        if compat is not None:
            raise ValidationError("segment ranges: compat='sultani' only applies to rule='sultani'")
        bounds = linspace_segment_bounds(num_rows, num_segments)
        starts, stops = bounds[:-1], bounds[1:].copy()
    elif rule == "sultani":
        bounds = sultani_segment_bounds(num_rows, num_segments) - 1
        starts, stops = bounds[:-1], bounds[1:].copy()
        if compat is None:
            stops[-1] = num_rows
    else:
        raise ValidationError(f"segment ranges: unknown rule {rule!r} (known: 'linspace', 'sultani')")
    return starts, np.maximum(stops, starts + 1)


def _segment_means(
    features: np.ndarray, num_segments: int, rule: SegmentRule, compat: SultaniCompat | None
) -> np.ndarray:
    starts, stops = _segment_ranges(features.shape[0], num_segments, rule, compat)
    out_dtype = np.result_type(features.dtype, np.float32)
    out = np.empty((num_segments, *features.shape[1:]), dtype=out_dtype)
    for i, (start, stop) in enumerate(zip(starts, stops, strict=True)):
        out[i] = features[start:stop].mean(axis=0)
    return out


def resample_segments(features: ArrayLike, num_segments: int = 32) -> np.ndarray:
    """The RTFM/MIL fixed-length resampling of snippet features (``utils.process_feat``).

    Segment ``i`` is the mean over axis 0 of rows ``[r_i, r_{i+1})`` with ``r`` from
    :func:`linspace_segment_bounds`, or row ``r_i`` when that range is empty (rows repeat when
    ``T < num_segments``).

    Args:
        features: ``(T, D)`` or ``(T, crops, D)`` (any trailing shape), ``T >= 1``.
        num_segments: K, the output length.

    Returns:
        ``(K, ...)`` array, float32 for float32 (or smaller) input, float64 otherwise.
    """
    array = _rows(features, "resample_segments")
    _positive(num_segments, "num_segments", "resample_segments")
    return _segment_means(array, num_segments, "linspace", None)


def sultani_segments(
    features: ArrayLike, num_segments: int = 32, *, compat: SultaniCompat | None = None
) -> np.ndarray:
    """Sultani et al.'s 32-segment video features: per-segment mean of C3D snippets, L2-normalised rows.

    Segment ``i`` (0-based) averages snippets ``[c_i, c_{i+1})`` with ``c = round(linspace(1, n, 33)) - 1``,
    or takes the single snippet ``c_i`` when that range is empty; by default the last segment runs to the last
    snippet (``[c_31, n)``). ``compat="sultani"`` reproduces ``Save_C3DFeatures_32Segments.m`` exactly, where
    the last segment stops before the last snippet (``[c_31, n - 1)``), so for ``n >= 18`` the last snippet is
    never used. Each row is then divided by its L2 norm over the last axis.

    Args:
        features: ``(n, D)`` (or ``(n, ..., D)``) C3D fc6 snippet features, ``n >= 1``.
        num_segments: number of segments (32 in the release).
        compat: ``"sultani"`` for the reference's last-segment rule.

    Returns:
        ``(num_segments, ..., D)`` float64.

    Raises:
        ValidationError: empty input, or a segment whose mean has zero norm (the reference stops there too).
    """
    array = _rows(features, "sultani_segments").astype(np.float64, copy=False)
    _positive(num_segments, "num_segments", "sultani_segments")
    means = _segment_means(array, num_segments, "sultani", compat)
    norms = np.linalg.norm(means, axis=-1, keepdims=True)
    if np.any(norms == 0):
        bad = int(np.flatnonzero((norms == 0).reshape(num_segments, -1).any(axis=1))[0])
        raise ValidationError(f"sultani_segments: segment {bad} has a zero mean feature (L2 norm 0)")
    return means / norms


def pool_or_pad(features: ArrayLike, target: int = 256) -> tuple[np.ndarray, int]:
    """VadCLIP's training-time length handling (``tools.process_feat`` without random cropping).

    If ``T > target``, average-pool to ``target`` rows with :func:`resample_segments` (the same linspace
    scheme as RTFM, int32 boundaries in the reference, identical values) and return length ``target``;
    otherwise zero-pad on axis 0 to ``target`` rows and return the true length ``T``.

    Returns:
        ``(array (target, ...), valid_length)``.
    """
    array = _rows(features, "pool_or_pad")
    _positive(target, "target", "pool_or_pad")
    length = array.shape[0]
    if length > target:
        return resample_segments(array, target), target
    return _zero_pad(array, target), length


def subsample_or_pad(features: ArrayLike, target: int = 200) -> tuple[np.ndarray, int]:
    """XDVioDet's training-time length handling (``utils.process_feat(feat, 200, is_random=False)``, HL-Net).

    If ``T > target``, keep the rows ``floor(linspace(0, T - 1, target))`` (rows are *picked*, first and last
    kept, not averaged as in :func:`pool_or_pad`) and return length ``target``; otherwise zero-pad on axis 0
    to ``target`` rows and return ``T``. The reference casts the indices to ``uint16``, which wraps for
    ``T > 65536``; vadkit uses int64.

    Returns:
        ``(array (target, ...), valid_length)``.
    """
    array = _rows(features, "subsample_or_pad")
    _positive(target, "target", "subsample_or_pad")
    length = array.shape[0]
    if length > target:
        return array[np.floor(np.linspace(0, length - 1, target)).astype(np.int64)], target
    return _zero_pad(array, target), length


def _zero_pad(array: np.ndarray, rows: int) -> np.ndarray:
    """``array`` followed by zero rows up to ``rows`` rows on axis 0."""
    padding = [(0, rows - array.shape[0])] + [(0, 0)] * (array.ndim - 1)
    return np.pad(array, padding, mode="constant", constant_values=0)


def split_chunks(
    features: ArrayLike, chunk: int = 256, *, compat: ChunkCompat | None = None
) -> tuple[np.ndarray, NDArray[np.int64]]:
    """Cut ``(T, ...)`` features into zero-padded chunks of ``chunk`` rows (VadCLIP's test-time handling).

    Default: ``ceil(T / chunk)`` chunks, the last zero-padded; ``lengths`` holds the valid rows of each.

    ``compat="vadclip"`` reproduces ``tools.process_split`` and the lengths of ``ucf_test.py``/``xd_test.py``:
    ``T < chunk`` gives one padded chunk; otherwise ``int(T / chunk) + 1`` chunks, so when ``T`` is a multiple
    of ``chunk`` the last chunk is entirely padding, and the reference lengths are ``chunk`` for every chunk
    but the last, whose length is ``T - chunk * (n_chunks - 1)``, or ``chunk`` when ``T`` is a multiple of
    ``chunk`` (the all-padding chunk is then not masked).

    Returns:
        ``(array (n_chunks, chunk, ...), lengths (n_chunks,) int64)``.
    """
    array = _rows(features, "split_chunks")
    _positive(chunk, "chunk", "split_chunks")
    total = array.shape[0]
    if compat is None:
        num_chunks = math.ceil(total / chunk)
    elif compat == "vadclip":
        num_chunks = 1 if total < chunk else total // chunk + 1
    else:
        raise ValidationError(f"split_chunks: unknown compat mode {compat!r} (known: 'vadclip')")
    padded = _zero_pad(array, num_chunks * chunk)
    chunks = padded.reshape(num_chunks, chunk, *array.shape[1:])
    lengths = np.clip(total - chunk * np.arange(num_chunks, dtype=np.int64), 0, chunk)
    if compat == "vadclip" and total >= chunk and total % chunk == 0:
        lengths[-1] = chunk
    return chunks, lengths


def allowed_snippet_counts(num_frames: int, snippet_length: int = 16, stride: int | None = None) -> list[int]:
    """Snippet counts consistent with ``num_frames``: the ``ceil`` and ``floor`` counts of the geometry.

    For non-overlapping 16-frame snippets that is ``{floor(n/16), ceil(n/16)}`` without 0 (so 1 for
    ``0 < n < 16``); for an overlapping ``stride`` the counts of :class:`~vadkit.types.SnippetSpec` with
    ``rounding="ceil"`` and ``"floor"``. Sorted, unique, positive.
    """
    stride = snippet_length if stride is None else stride
    counts = {
        SnippetSpec(length=snippet_length, stride=stride, rounding=rounding).num_snippets(num_frames)
        for rounding in ("floor", "ceil")
    }
    return sorted(c for c in counts if c > 0)


def expand_to_frames(
    snippet_scores: ArrayLike,
    num_frames: int,
    snippet_length: int = 16,
    *,
    stride: int | None = None,
    video: str = "scores",
) -> NDArray[np.float64]:
    """THE snippet-to-frame expansion: one score per frame from one score per snippet.

    Snippet ``i`` covers frames ``[i * stride, i * stride + snippet_length)`` (``stride`` defaults to
    ``snippet_length``: non-overlapping snippets). Each frame gets the mean of the scores of the snippets
    covering it; frames covered by none (after the last snippet of a ``floor`` count, or in gaps when
    ``stride > snippet_length``) get the score of the latest snippet starting at or before them.

    For the default non-overlapping geometry this is exactly ``np.repeat(scores, 16)``, cut to
    ``num_frames`` when ``T * 16 > num_frames`` (``T = ceil(n/16)``) or padded with the last score when
    ``T * 16 < num_frames`` (``T = floor(n/16)``), which is the field's evaluation recipe. Scores are copied,
    never recomputed, so ties between the frames of one snippet stay exact.

    Args:
        snippet_scores: ``(T,)`` or ``(T, K)`` (e.g. per-class scores), finite.
        num_frames: n, the number of frames to produce (the ground-truth length, which may already be a padded
            ``T * 16``).
        snippet_length: frames per snippet.
        stride: frames between snippet starts; ``None`` means ``snippet_length``.
        video: name used in error messages.

    Returns:
        ``(num_frames,)`` or ``(num_frames, K)`` float64.

    Raises:
        LengthMismatchError: ``T`` is not a snippet count of ``num_frames``
            (see :func:`allowed_snippet_counts`).
        ValidationError: bad geometry, empty or non-finite scores.
    """
    scores = np.asarray(snippet_scores, dtype=np.float64)
    if scores.ndim not in (1, 2) or scores.shape[0] == 0:
        raise ValidationError(
            f"{video}: snippet scores must have shape (T,) or (T, K), T >= 1, got {scores.shape}"
        )
    if not np.isfinite(scores).all():
        raise ValidationError(f"{video}: snippet scores contain NaN or inf")
    _positive(snippet_length, "snippet_length", video)
    stride = snippet_length if stride is None else _positive(stride, "stride", video)
    if int(num_frames) != num_frames or num_frames < 1:
        raise ValidationError(f"{video}: num_frames must be a positive integer, got {num_frames!r}")
    count = scores.shape[0]
    allowed = allowed_snippet_counts(num_frames, snippet_length, stride)
    if count not in allowed:
        raise LengthMismatchError(
            video,
            f"{count} snippet scores cannot cover {num_frames} frames with {snippet_length}-frame snippets "
            f"every {stride} frames (expected {' or '.join(str(c) for c in allowed)} snippets)",
        )
    frames = np.arange(num_frames)
    latest = np.minimum(frames // stride, count - 1)
    sums = np.zeros((num_frames, *scores.shape[1:]), dtype=np.float64)
    covers = np.zeros(num_frames, dtype=np.int64)
    for back in range(math.ceil(snippet_length / stride)):
        index = frames // stride - back
        valid = (index >= 0) & (index < count) & (frames < index * stride + snippet_length)
        picked = scores[np.clip(index, 0, count - 1)]
        mask = valid if scores.ndim == 1 else valid[:, None]
        sums += np.where(mask, picked, 0.0)
        covers += valid
    shape = (-1,) if scores.ndim == 1 else (-1, 1)
    return np.where((covers > 0).reshape(shape), sums / np.maximum(covers, 1).reshape(shape), scores[latest])


def segments_to_snippets(
    segment_scores: ArrayLike,
    num_snippets: int,
    *,
    rule: SegmentRule = "linspace",
    compat: SultaniCompat | None = None,
) -> NDArray[np.float64]:
    """Paint per-segment scores back onto the snippets they were pooled from.

    Uses the same ranges as :func:`resample_segments` (``rule="linspace"``) or :func:`sultani_segments`
    (``rule="sultani"``); each snippet takes the score of the last segment covering it. Under
    ``compat="sultani"`` the snippet no segment covers (the last one, for ``n >= 18``) scores 0, as in
    ``Evaluate_Anomaly_Detector.m``.

    Returns:
        ``(num_snippets,)`` float64.
    """
    scores = np.asarray(segment_scores, dtype=np.float64)
    if scores.ndim != 1 or scores.shape[0] == 0:
        raise ValidationError(
            f"segments_to_snippets: segment scores must have shape (K,), got {scores.shape}"
        )
    _positive(num_snippets, "num_snippets", "segments_to_snippets")
    starts, stops = _segment_ranges(num_snippets, scores.shape[0], rule, compat)
    painted = np.zeros(num_snippets, dtype=np.float64)
    for score, start, stop in zip(scores, starts, stops, strict=True):
        painted[start:stop] = score
    return painted


def segments_to_frames(
    segment_scores: ArrayLike,
    num_snippets: int,
    num_frames: int,
    *,
    rule: SegmentRule = "linspace",
    compat: SultaniCompat | None = None,
    snippet_length: int = 16,
    video: str = "scores",
) -> NDArray[np.float64]:
    """Frame scores from per-segment scores: :func:`segments_to_snippets` then :func:`expand_to_frames`.

    With ``rule="sultani", compat="sultani"`` this is the MATLAB evaluation: segment scores painted onto the
    C3D snippets with the ``round(linspace(1, n, 33))`` boundaries, x16 frames, padded with the last value up
    to the frame count.
    """
    snippets = segments_to_snippets(segment_scores, num_snippets, rule=rule, compat=compat)
    return expand_to_frames(snippets, num_frames, snippet_length, video=video)
