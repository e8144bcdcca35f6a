"""What a generation produced: per-video records and the dataset-level manifest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from vadkit.data.synthetic import CARD
from vadkit.synth.presets import Preset
from vadkit.synth.scenes import Scene
from vadkit.synth.truth import EventTruth


@dataclass(frozen=True)
class VideoRecord:
    """One generated video: name, split, class (``"Normal"`` for normal videos), scene, frame count and
    annotated events."""

    name: str
    split: str
    label: str
    scene_id: str
    num_frames: int
    events: tuple[EventTruth, ...]

    @property
    def entry(self) -> str:
        """The video's list entry and path under ``videos/``: ``<Class>/<name>.mp4``."""
        return f"{self.label}/{self.name}.mp4"


@dataclass(frozen=True)
class SyntheticManifest:
    """A generated dataset: where it is, how it was made, and its videos in plan order."""

    root: Path
    preset: Preset
    seed: int
    scenes: tuple[Scene, ...]
    videos: tuple[VideoRecord, ...]

    @property
    def card(self) -> Path:
        """The dataset card (``README.md``)."""
        return self.root / CARD

    @property
    def num_frames(self) -> int:
        """Frames over all videos."""
        return sum(video.num_frames for video in self.videos)

    def counts(self) -> Counter[tuple[str, str]]:
        """Number of videos per ``(split, class)``."""
        return Counter((video.split, video.label) for video in self.videos)
