"""Writing frames as a video file (PyAV) or as a frame folder (OpenCV)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.frame import VideoFrame

from vadkit.errors import ValidationError
from vadkit.io.frame_folder import IMAGE_EXTENSIONS
from vadkit.io.heap import deterministic_heap


def _image(path: Path, index: int, frame: np.ndarray, *, allow_gray: bool) -> np.ndarray:
    """``frame`` checked to be uint8 ``(H, W, 3)`` (or ``(H, W)`` when ``allow_gray``)."""
    array = np.asarray(frame)
    gray_ok = allow_gray and array.ndim == 2
    if array.dtype != np.uint8 or not (gray_ok or (array.ndim == 3 and array.shape[2] == 3)):
        expected = "(H, W, 3) or (H, W)" if allow_gray else "(H, W, 3)"
        raise ValidationError(
            f"{path}: frame {index} must be a uint8 {expected} array, got {array.dtype} {array.shape}"
        )
    return array


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    codec: str = "libx264",
    crf: int | None = 18,
    pix_fmt: str = "yuv420p",
    options: Mapping[str, str] | None = None,
    faststart: bool = False,
) -> int:
    """Encode RGB frames into a video file; the same frames give the same bytes.

    The encoder runs single-threaded and the muxer writes no version strings (``fflags=+bitexact``), so the
    output is byte-identical from run to run on one FFmpeg build; encoding runs inside
    :func:`~vadkit.io.heap.deterministic_heap`, because FFmpeg/x264 otherwise let leftover heap bytes change
    the output. The file appears only once complete (it is written under a temporary name and renamed).

    Args:
        path: output file; its suffix picks the container (``.mp4``, ``.avi``, ``.mkv``...).
        frames: ``(H, W, 3)`` uint8 RGB arrays, all of the size of the first.
        fps: frame rate (stored as a fraction with denominator at most 1001, so 29.97 stays exact).
        codec: FFmpeg encoder name.
        crf: constant rate factor for x264/x265 (0 = lossless luma, 18 = visually lossless); ``None`` to
            leave it out (encoders without one).
        pix_fmt: encoded pixel format (4:2:0 formats need even width and height).
        options: further encoder options, e.g. ``{"g": "8"}`` for a keyframe every 8 frames.
        faststart: put the mp4 index (moov atom) before the data, as streaming files have it.

    Returns:
        The number of frames written.

    Raises:
        ValidationError: no frames, a malformed frame, sizes that differ, odd sizes for 4:2:0, fps <= 0.
    """
    path = Path(path)
    if not fps > 0:
        raise ValidationError(f"{path}: fps must be positive, got {fps}")
    stream_of = iter(frames)
    first = next(stream_of, None)
    if first is None:
        raise ValidationError(f"{path}: no frames to write")
    height, width, _ = _image(path, 0, first, allow_gray=False).shape
    if "420" in pix_fmt and (width % 2 or height % 2):
        raise ValidationError(f"{path}: {pix_fmt} needs even width and height, got {width}x{height}")
    encoder_options = {"threads": "1", **({} if crf is None else {"crf": str(crf)}), **dict(options or {})}
    container_options = {"fflags": "+bitexact", **({"movflags": "+faststart"} if faststart else {})}
    partial = path.with_name(f"{path.stem}.partial{path.suffix}")
    written = 0
    try:
        with deterministic_heap(), av.open(str(partial), mode="w", options=container_options) as container:
            rate = Fraction(fps).limit_denominator(1001)
            stream = container.add_stream(codec, rate=rate, options=encoder_options)
            stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
            stream.codec_context.thread_count = 1
            for index, frame in enumerate(itertools.chain([first], stream_of)):
                image = _image(path, index, frame, allow_gray=False)
                if image.shape != first.shape:
                    raise ValidationError(
                        f"{path}: frame {index} is {image.shape}, the first frame {first.shape}"
                    )
                container.mux(stream.encode(VideoFrame.from_ndarray(image, format="rgb24")))
                written += 1
            container.mux(stream.encode())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return written


def write_frame_folder(
    folder: str | Path,
    frames: Iterable[np.ndarray],
    ext: str = ".jpg",
    *,
    start_index: int = 1,
    digits: int = 3,
) -> list[Path]:
    """Write frames as numbered images ``<folder>/001.jpg``, ``002.jpg``... (the benchmark folder layout).

    Args:
        folder: created if missing.
        frames: ``(H, W, 3)`` uint8 RGB or ``(H, W)`` uint8 grayscale arrays.
        ext: image type, one of :data:`~vadkit.io.frame_folder.IMAGE_EXTENSIONS`.
        start_index: number of the first file (Ped2 starts at 1, Avenue and ShanghaiTech at 0).
        digits: zero-padded width of the numbers.

    Returns:
        The files written, in order.
    """
    folder = Path(folder)
    if ext.lower() not in IMAGE_EXTENSIONS:
        raise ValidationError(f"{folder}: image type {ext!r} is not one of {IMAGE_EXTENSIONS}")
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, frame in enumerate(frames):
        image = _image(folder, index, frame, allow_gray=True)
        file = folder / f"{start_index + index:0{digits}d}{ext}"
        if not cv2.imwrite(str(file), image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise OSError(f"{file}: OpenCV could not write the image")
        files.append(file)
    return files
