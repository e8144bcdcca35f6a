"""What vadkit runs on: versions of vadkit and its backends, threads, and which extras are installed."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sys
from dataclasses import dataclass

import vadkit

# Each optional extra of pyproject.toml, with the distributions that make it usable.
EXTRAS: dict[str, tuple[str, ...]] = {
    "dev": ("pytest", "ruff", "hypothesis"),
    "vlm": ("transformers",),
    "ray": ("ray",),
    "serve": ("fastapi", "uvicorn"),
}


@dataclass(frozen=True)
class EnvironmentInfo:
    """Versions and resources relevant to vadkit's results and speed."""

    vadkit: str
    python: str
    platform: str
    numpy: str
    torch: str
    torch_threads: int
    cuda_available: bool
    pyav: str
    ffmpeg: str
    opencv: str
    opencv_threads: int
    cpu_count: int
    extras: dict[str, bool]

    def as_rows(self) -> list[tuple[str, str]]:
        """(name, value) rows for display."""
        rows = [
            ("vadkit", self.vadkit),
            ("python", self.python),
            ("platform", self.platform),
            ("numpy", self.numpy),
            (
                "torch",
                f"{self.torch} (threads {self.torch_threads}, CUDA {'yes' if self.cuda_available else 'no'})",
            ),
            ("PyAV", f"{self.pyav} (FFmpeg {self.ffmpeg})"),
            ("OpenCV", f"{self.opencv} (threads {self.opencv_threads})"),
            ("CPUs", str(self.cpu_count)),
        ]
        rows += [
            (f"extra: {name}", "installed" if ok else "not installed") for name, ok in self.extras.items()
        ]
        return rows


def _installed(distribution: str) -> bool:
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _ffmpeg_version(av_module: object) -> str:
    """FFmpeg release PyAV was built against, with libavcodec's version."""
    release = getattr(av_module, "ffmpeg_version_info", "unknown")
    codec = getattr(av_module, "library_versions", {}).get("libavcodec")
    return f"{release}, libavcodec {'.'.join(str(v) for v in codec)}" if codec else str(release)


def environment_info() -> EnvironmentInfo:
    """Collect :class:`EnvironmentInfo` for this interpreter."""
    import av
    import cv2
    import numpy
    import torch

    return EnvironmentInfo(
        vadkit=vadkit.__version__,
        python=sys.version.split()[0],
        platform=platform.platform(),
        numpy=numpy.__version__,
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
        cuda_available=torch.cuda.is_available(),
        pyav=av.__version__,
        ffmpeg=_ffmpeg_version(av),
        opencv=cv2.__version__,
        opencv_threads=cv2.getNumThreads(),
        cpu_count=os.cpu_count() or 1,
        extras={name: all(_installed(d) for d in dists) for name, dists in EXTRAS.items()},
    )
