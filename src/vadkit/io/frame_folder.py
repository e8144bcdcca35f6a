"""Reading frame folders (Ped2 ``001.tif``, Avenue/ShanghaiTech ``000.jpg``, ...) with OpenCV."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from vadkit.errors import VideoDecodeError
from vadkit.io.reader import FrameFilter, VideoReader
from vadkit.types import VideoInfo

IMAGE_EXTENSIONS = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff")
"""Suffixes (any case) of the files taken as frames."""

DEFAULT_FOLDER_FPS = 25.0
"""Frame rate assumed for a frame folder when none is given (folders carry none)."""


def natural_key(name: str) -> list[str | int]:
    """Sort key ordering digit runs by value: ``2.jpg`` before ``10.jpg``; letters compare case-blind."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_frame_files(folder: Path) -> list[Path]:
    """The image files of ``folder`` in natural order (hidden files ignored).

    Raises:
        VideoDecodeError: no image file, or images of more than one type (a stray file among the frames).
    """
    files = [
        p
        for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".") and p.is_file()
    ]
    if not files:
        raise VideoDecodeError(folder, f"contains no frame images ({', '.join(IMAGE_EXTENSIONS)})")
    kinds = Counter(p.suffix.lower() for p in files)
    if len(kinds) > 1:
        found = ", ".join(f"{count} {suffix}" for suffix, count in sorted(kinds.items()))
        raise VideoDecodeError(folder, f"mixes image types ({found}); a frame folder holds one type")
    return sorted(files, key=lambda p: natural_key(p.name))


def _read_image(file: Path, index: int) -> np.ndarray:
    """Frame ``index`` as OpenCV reads it: ``(H, W, 3)`` uint8 BGR."""
    image = cv2.imread(str(file), cv2.IMREAD_COLOR)
    if image is None:
        raise VideoDecodeError(file.parent, f"frame {index} ({file.name}) cannot be read as an image")
    return image


class FrameFolderReader(VideoReader):
    """A folder of one image per frame, decoded with OpenCV (grayscale images become 3 equal channels).

    ``info.container_frames`` is ``None`` (a folder declares nothing); a full pass is checked against the
    number of image files. An unreadable image, or one whose size differs from the first, is a decode error
    naming the file.

    Args:
        folder: the directory of frames.
        fps: frame rate of the footage (folders do not record it).
        size: optional ``(width, height)``; frames are resized with ``cv2.INTER_AREA``.
        on_error: decode policy, see :mod:`vadkit.io.decode_policy`.
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        fps: float = DEFAULT_FOLDER_FPS,
        size: Sequence[int] | None = None,
        on_error: str = "raise",
    ) -> None:
        folder = Path(folder)
        if not folder.is_dir():
            raise VideoDecodeError(folder, "does not exist" if not folder.exists() else "is not a directory")
        self._files = list_frame_files(folder)
        height, width = _read_image(self._files[0], 0).shape[:2]
        info = VideoInfo(
            path=str(folder),
            fps=float(fps),
            num_frames=len(self._files),
            width=width,
            height=height,
            codec=self._files[0].suffix.lower().lstrip("."),
        )
        super().__init__(info, size=size, on_error=on_error, frames_declared=len(self._files))

    def _load(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``(H, W, 3)`` uint8 RGB at the output size."""
        file = self._files[index]
        image = _read_image(file, index)
        expected = (self._opened_info.height, self._opened_info.width)
        if image.shape[:2] != expected:
            raise VideoDecodeError(
                self.path,
                f"frame {index} ({file.name}) is {image.shape[1]}x{image.shape[0]}, "
                f"the first frame {expected[1]}x{expected[0]}",
            )
        if self.size is not None:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def _decode_sequential(self, wanted: FrameFilter | None) -> Iterator[np.ndarray | None]:
        for index in range(len(self._files)):
            yield self._load(index) if wanted is None or wanted(index) else None

    def _read_sorted(self, targets: np.ndarray) -> np.ndarray:
        return np.stack([self._load(index) for index in targets.tolist()])
