"""Reading video files (mp4, avi, mkv, ...) with PyAV (FFmpeg)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream

from vadkit.errors import ValidationError, VideoDecodeError
from vadkit.io.reader import FrameFilter, VideoReader
from vadkit.types import VideoInfo


def _reason(exc: av.FFmpegError) -> str:
    """FFmpeg's words for an error, without the errno and file name PyAV adds."""
    return str(exc.strerror or exc)


@contextmanager
def _reported(path: Path, action: str) -> Iterator[None]:
    """Turn an FFmpeg error raised during ``action`` into a VideoDecodeError naming ``path``."""
    try:
        yield
    except av.FFmpegError as exc:
        raise VideoDecodeError(path, f"{action} failed ({_reason(exc)})") from exc


def _open_container(path: Path) -> InputContainer:
    try:
        container = av.open(str(path), mode="r")
    except av.FFmpegError as exc:
        raise VideoDecodeError(
            path, f"cannot be opened as a video ({_reason(exc)}): not a video, or truncated"
        ) from exc
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(path, "has no video stream")
    return container


@dataclass(frozen=True)
class _FrameIndex:
    """Presentation timestamps of every frame (sorted: rank = frame index) and the ranks one can seek to."""

    pts: np.ndarray
    seek_ranks: np.ndarray

    @classmethod
    def from_packets(cls, pts: list[int | None], keys: list[bool]) -> _FrameIndex | None:
        """The index of packets given in file order; ``None`` if a timestamp is missing or repeated."""
        if not pts or None in pts or len(set(pts)) < len(pts):
            return None
        order = np.argsort(np.asarray(pts, dtype=np.int64), kind="stable")
        key_ranks = np.flatnonzero(np.asarray(keys, dtype=bool)[order])
        return cls(np.asarray(pts, dtype=np.int64)[order], np.union1d([0], key_ranks))

    def seek_rank_before(self, rank: int) -> int:
        """The last keyframe rank at or before ``rank`` (0, the start, when none is)."""
        return int(self.seek_ranks[np.searchsorted(self.seek_ranks, rank, side="right") - 1])

    def rank_of(self, pts: int | None) -> int:
        """Frame index of a decoded frame's ``pts``, -1 if the index does not know it."""
        if pts is None:
            return -1
        rank = int(np.searchsorted(self.pts, pts))
        return rank if rank < self.pts.size and self.pts[rank] == pts else -1


class PyAVReader(VideoReader):
    """A video file decoded with PyAV, with frame threading.

    Opening reads the container's metadata and decodes the first frame, so a file that cannot give a
    single frame fails here. ``fps`` is the stream's average rate (else its guessed rate);
    ``container_frames`` is the stream's declared count (``None`` when it declares 0, e.g. mkv, where
    ``num_frames`` is then the number of packets until a full pass has counted the frames).

    Indexed access seeks to the keyframe before each wanted frame and decodes forward, identifying frames by
    their timestamps; when the decoder's timestamps disagree with the container's (e.g. B-frames in avi) it
    falls back to decoding from the start, so it always returns the frames :meth:`iter_frames` gives.

    Args:
        path: the video file.
        size: optional ``(width, height)``; frames are scaled (bilinear) while converting to RGB.
        on_error: decode policy, see :mod:`vadkit.io.decode_policy`.
        fps: overrides the container's frame rate (for files that declare a wrong one).
        threads: decoder threads (frame and slice threading, ``thread_type="AUTO"``); 0 lets FFmpeg choose.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        size: Sequence[int] | None = None,
        on_error: str = "raise",
        fps: float | None = None,
        threads: int = 0,
    ) -> None:
        path = Path(path)
        if threads < 0:
            raise ValidationError(f"{path}: threads must be >= 0, got {threads}")
        self._threads = threads
        self._containers: set[InputContainer] = set()
        self._index: _FrameIndex | None = None
        self._seekable = True
        info = self._probe(path, fps)
        super().__init__(info, size=size, on_error=on_error, frames_declared=info.container_frames)

    def _probe(self, path: Path, fps: float | None) -> VideoInfo:
        if not path.is_file():
            raise VideoDecodeError(path, "does not exist" if not path.exists() else "is not a file")
        container = _open_container(path)
        try:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            if fps is None and not rate:
                raise VideoDecodeError(path, "declares no frame rate; pass fps")
            declared = stream.frames or None
            with _reported(path, "decoding the first frame"):
                first = next(container.decode(stream), None)
            if first is None:
                raise VideoDecodeError(path, "contains no frames")
            codec = stream.codec_context.name
        finally:
            container.close()
        return VideoInfo(
            path=str(path),
            fps=float(rate if fps is None else fps),
            num_frames=declared if declared is not None else len(self._packets(path)[0]),
            width=first.width,
            height=first.height,
            container_frames=declared,
            codec=codec,
        )

    @contextmanager
    def _opened(self, path: Path | None = None) -> Iterator[tuple[InputContainer, VideoStream]]:
        """A fresh container for one pass, its video stream set up for threaded decoding."""
        container = _open_container(path or self.path)
        self._containers.add(container)
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = self._threads
            yield container, stream
        finally:
            self._containers.discard(container)
            container.close()

    def _decoded(self, container: InputContainer, stream: VideoStream) -> Iterator[VideoFrame]:
        with _reported(self.path, "decoding"):
            yield from container.decode(stream)

    def _converter(self) -> Callable[[VideoFrame], np.ndarray]:
        """Frame -> ``(H, W, 3)`` uint8 RGB at the output size, reusing one scaler for the whole pass."""
        scaler = VideoReformatter()
        height, width, _ = self.frame_shape

        def convert(frame: VideoFrame) -> np.ndarray:
            return scaler.reformat(frame, width=width, height=height, format="rgb24", threads=1).to_ndarray()

        return convert

    def _decode_sequential(self, wanted: FrameFilter | None) -> Iterator[np.ndarray | None]:
        with self._opened() as (container, stream):
            convert = self._converter()
            for index, frame in enumerate(self._decoded(container, stream)):
                yield convert(frame) if wanted is None or wanted(index) else None

    def _packets(self, path: Path) -> tuple[list[int | None], list[bool]]:
        """Timestamps and keyframe flags of the video packets, in file order (no decoding)."""
        pts: list[int | None] = []
        keys: list[bool] = []
        with self._opened(path) as (container, stream), _reported(path, "demuxing"):
            for packet in container.demux(stream):
                if packet.size and not packet.is_discard:
                    pts.append(packet.pts)
                    keys.append(packet.is_keyframe)
        return pts, keys

    def _frame_index(self) -> _FrameIndex | None:
        """The timestamp index, built on first use; ``None`` when timestamps are missing or repeated."""
        if self._index is None and self._seekable:
            self._index = _FrameIndex.from_packets(*self._packets(self.path))
            self._seekable = self._index is not None
        return self._index

    def _read_sorted(self, targets: np.ndarray) -> np.ndarray:
        out = np.empty((targets.size, *self.frame_shape), dtype=np.uint8)
        index = self._frame_index()
        if index is None or not self._read_by_seeking(index, targets, out):
            self._seekable = False
            self._read_by_decoding(targets, out)
        return out

    def _read_by_seeking(self, index: _FrameIndex, targets: np.ndarray, out: np.ndarray) -> bool:
        """Fill ``out`` seeking keyframe by keyframe; False if the decoder disagrees with the index."""
        with self._opened() as (container, stream):
            convert = self._converter()
            frames: Iterator[VideoFrame] = iter(())
            position = -1  # index of the next frame ``frames`` yields; -1 before decoding and after a seek
            for slot, target in enumerate(targets.tolist()):
                key = index.seek_rank_before(target)
                if position < 0 or key > position:
                    try:
                        container.seek(int(index.pts[key]), stream=stream, backward=True)
                    except av.FFmpegError:
                        return False
                    frames, position = self._decoded(container, stream), -1
                for frame in frames:
                    rank = index.rank_of(frame.pts)
                    if rank < 0 or rank > target or (position >= 0 and rank != position):
                        return False
                    position = rank + 1
                    if rank == target:
                        out[slot] = convert(frame)
                        break
                else:
                    raise self._missing(target)
        return True

    def _read_by_decoding(self, targets: np.ndarray, out: np.ndarray) -> None:
        """Fill ``out`` decoding from the first frame."""
        wanted = targets.tolist()
        slot = 0
        with self._opened() as (container, stream):
            convert = self._converter()
            for rank, frame in enumerate(self._decoded(container, stream)):
                if rank == wanted[slot]:
                    out[slot] = convert(frame)
                    slot += 1
                    if slot == len(wanted):
                        return
        raise self._missing(wanted[slot])

    def _missing(self, index: int) -> VideoDecodeError:
        return VideoDecodeError(self.path, f"frame {index} cannot be decoded (the stream ends before it)")

    def close(self) -> None:
        """Close the reader and every container a pass still holds open."""
        super().close()
        for container in list(self._containers):
            container.close()
        self._containers.clear()
