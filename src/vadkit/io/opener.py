"""Opening a video file or a frame folder with the right reader."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vadkit.errors import VideoDecodeError
from vadkit.io.frame_folder import DEFAULT_FOLDER_FPS, FrameFolderReader
from vadkit.io.pyav_reader import PyAVReader
from vadkit.io.reader import VideoReader


def open_video(
    path: str | Path,
    *,
    size: Sequence[int] | None = None,
    on_error: str = "raise",
    fps: float | None = None,
    threads: int = 0,
) -> VideoReader:
    """A reader for ``path``: :class:`FrameFolderReader` for a directory, :class:`PyAVReader` otherwise.

    Args:
        path: a video file or a folder of frame images.
        size: optional output ``(width, height)``, applied while decoding.
        on_error: ``"raise"``, ``"partial"`` or ``"skip"`` (see :mod:`vadkit.io.decode_policy`).
        fps: a folder's frame rate (default :data:`DEFAULT_FOLDER_FPS`); for a file, replaces the
            container's.
        threads: PyAV decoder threads (0: FFmpeg chooses); not used for folders.

    Raises:
        VideoDecodeError: ``path`` is missing, not a video, truncated beyond use, or holds no frame.
    """
    path = Path(path)
    if not path.exists():
        raise VideoDecodeError(path, "does not exist")
    if path.is_dir():
        folder_fps = DEFAULT_FOLDER_FPS if fps is None else fps
        return FrameFolderReader(path, fps=folder_fps, size=size, on_error=on_error)
    return PyAVReader(path, size=size, on_error=on_error, fps=fps, threads=threads)
