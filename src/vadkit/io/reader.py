"""The reader interface shared by video files and frame folders."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import cast

import numpy as np

from vadkit.errors import ValidationError, VideoDecodeError
from vadkit.io.decode_policy import DecodeOutcome, check_on_error, settle_pass
from vadkit.io.snippet_windows import Snippet, iter_snippet_windows
from vadkit.types import SnippetSpec, VideoInfo

Size = tuple[int, int]
"""An output frame size ``(width, height)`` in pixels."""

FrameFilter = Callable[[int], bool]
"""``wanted(index) -> bool``: whether a pass should convert (return) frame ``index``."""


def check_size(path: str | Path, size: Sequence[int] | None) -> Size | None:
    """``size`` as ``(width, height)`` positive ints (or ``None``), else a ValidationError naming ``path``."""
    if size is None:
        return None
    if len(size) != 2 or any(int(v) != v or v < 1 for v in size):
        raise ValidationError(f"{path}: size must be (width, height) in positive whole pixels, got {size!r}")
    return int(size[0]), int(size[1])


class VideoReader(ABC):
    """Decodes one video (a file or a frame folder) into ``(H, W, 3)`` uint8 RGB frames, 0-based.

    Subclasses decode; this class counts, applies the decode policy (:mod:`vadkit.io.decode_policy`) to every
    full sequential pass, validates frame indices and cuts snippet windows. Use it as a context manager, or
    call :meth:`close`.

    Args:
        info: what was learnt when the source was opened (``decoded_frames`` not yet known).
        size: optional ``(width, height)`` every frame is resized to while decoding.
        on_error: ``"raise"``, ``"partial"`` or ``"skip"`` (see :mod:`vadkit.io.decode_policy`).
        frames_declared: frame count a full pass is checked against (``None``: unknown).
    """

    def __init__(
        self,
        info: VideoInfo,
        *,
        size: Sequence[int] | None,
        on_error: str,
        frames_declared: int | None,
    ) -> None:
        self._opened_info = info
        self.size = check_size(info.path, size)
        self.on_error = check_on_error(on_error)
        self._frames_declared = frames_declared
        self._outcome: DecodeOutcome | None = None
        self._closed = False

    @property
    def path(self) -> Path:
        """The video file or frame folder."""
        return Path(self._opened_info.path)

    @property
    def info(self) -> VideoInfo:
        """Metadata; after a full pass ``decoded_frames`` is filled and ``num_frames`` equals it."""
        if self._outcome is None:
            return self._opened_info
        decoded = self._outcome.frames_decoded
        return replace(self._opened_info, num_frames=decoded, decoded_frames=decoded)

    @property
    def outcome(self) -> DecodeOutcome | None:
        """How the last complete sequential pass ended (``None`` before one)."""
        return self._outcome

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """``(H, W, 3)`` of the frames this reader returns (after resizing)."""
        width, height = self.size or (self._opened_info.width, self._opened_info.height)
        return height, width, 3

    def iter_frames(self) -> Iterator[np.ndarray]:
        """Every frame in order, as ``(H, W, 3)`` uint8 RGB.

        When the pass ends (all frames, or a decode error), the decode policy sets :attr:`outcome`; under
        ``on_error="raise"`` a shortfall raises :class:`~vadkit.errors.VideoDecodeError` at that point.
        """
        return cast("Iterator[np.ndarray]", self.iter_frames_where(None))

    def iter_frames_where(self, wanted: FrameFilter | None) -> Iterator[np.ndarray | None]:
        """Every frame in order, converted only where ``wanted(index)`` holds, ``None`` elsewhere.

        Frames are decoded (a compressed video cannot skip them) and counted, and the pass is settled as in
        :meth:`iter_frames`; skipping the conversion (scaling and colour conversion, or reading a folder's
        image file) of the frames a consumer does not look at is what saves time. ``wanted=None`` converts
        every frame.
        """
        self._check_open()
        decoded = 0
        failure: VideoDecodeError | None = None
        try:
            for frame in self._decode_sequential(wanted):
                decoded += 1
                yield frame
        except VideoDecodeError as exc:
            failure = exc
        self._outcome = settle_pass(self.path, self.on_error, decoded, self._frames_declared, failure)

    def count_frames(self) -> int:
        """Decode every frame and return how many there were (filling :attr:`info` and :attr:`outcome`)."""
        return sum(1 for _ in self.iter_frames())

    def read_frames(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Frames at ``indices`` (any order, repeats allowed) as ``(N, H, W, 3)`` uint8.

        Equal to the same frames of :meth:`iter_frames`. Sorted indices are the efficient case: each distinct
        frame is decoded once, going forward.

        Raises:
            ValidationError: indices not 1-D integers, or outside ``[0, info.num_frames)``.
            VideoDecodeError: a requested frame cannot be decoded (whatever ``on_error`` says).
        """
        self._check_open()
        wanted = np.asarray(indices)
        if wanted.ndim != 1:
            raise ValidationError(f"{self.path}: frame indices must be 1-D, got shape {wanted.shape}")
        if wanted.size == 0:
            return np.empty((0, *self.frame_shape), dtype=np.uint8)
        if wanted.dtype.kind not in "iu":
            raise ValidationError(f"{self.path}: frame indices must be integers, got dtype {wanted.dtype}")
        total = self.info.num_frames
        outside = wanted[(wanted < 0) | (wanted >= total)]
        if outside.size:
            raise ValidationError(f"{self.path}: frame index {int(outside[0])} is outside [0, {total})")
        targets, order = np.unique(wanted.astype(np.int64), return_inverse=True)
        frames = self._read_sorted(targets)
        return frames if targets.size == wanted.size and np.array_equal(targets, wanted) else frames[order]

    def iter_snippets(self, spec: SnippetSpec) -> Iterator[Snippet]:
        """Snippet windows ``(window_index, start, end, frames)`` over :meth:`iter_frames`.

        ``frames`` is ``(spec.length, H, W, 3)``. Streams: only one window of frames is held. See
        :func:`~vadkit.io.snippet_windows.iter_snippet_windows` for padding under ``rounding="ceil"``.
        """
        return iter_snippet_windows(self.iter_frames(), spec)

    def close(self) -> None:
        """Release the source; the reader cannot be used afterwards."""
        self._closed = True

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise VideoDecodeError(self.path, "the reader is closed")

    @abstractmethod
    def _decode_sequential(self, wanted: FrameFilter | None) -> Iterator[np.ndarray | None]:
        """Every frame in order, converted where ``wanted`` holds (all when it is ``None``), else ``None``;
        raises VideoDecodeError when decoding fails part way."""

    @abstractmethod
    def _read_sorted(self, targets: np.ndarray) -> np.ndarray:
        """``(len(targets), H, W, 3)`` frames at ``targets`` (sorted, distinct, in range)."""
