"""Core types shared by every stage of vadkit.

All are frozen dataclasses validated on construction: shapes, dtypes and finiteness are checked and a
:class:`~vadkit.errors.ValidationError` names the offending video and field. Each type serialises to JSON
(``to_dict``/``from_dict``); the ones that carry arrays also save to and load from a ``.npy`` + ``.json``
pair.

Frame indices are 0-based and intervals are half-open ``[start, end)`` everywhere inside vadkit; the
conventions of each benchmark's files are translated at the edge (:mod:`vadkit.data.conventions`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from vadkit.errors import ValidationError
from vadkit.files import atomic_write

Rounding = Literal["ceil", "floor"]


def _finite_array(owner: str, name: str, value: Any, dtype: Any, ndims: Sequence[int]) -> np.ndarray:
    """``value`` as a read-only array of ``dtype`` with one of ``ndims`` dimensions and no NaN/inf."""
    array = np.asarray(value)
    if array.ndim not in ndims:
        expected = " or ".join(str(n) for n in ndims)
        raise ValidationError(f"{owner}: {name} must have {expected} dimensions, got shape {array.shape}")
    if array.dtype.kind not in "biuf":
        raise ValidationError(f"{owner}: {name} must be numeric, got dtype {array.dtype}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = (
            np.flatnonzero(~np.isfinite(array.reshape(array.shape[0], -1)).all(axis=1)) if array.size else []
        )
        first = ", ".join(str(i) for i in list(bad)[:5])
        raise ValidationError(f"{owner}: {name} contains NaN or inf (first bad rows: {first})")
    array = np.array(array, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _json_ready(value: Any) -> Any:
    """Plain JSON types from mappings, sequences and numpy scalars."""
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: str | Path, payload: Mapping[str, Any]) -> None:
    """Write ``payload`` as indented UTF-8 JSON, atomically (:func:`vadkit.files.atomic_write`)."""
    text = json.dumps(_json_ready(payload), indent=2, sort_keys=False) + "\n"
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def save_npy(path: str | Path, array: np.ndarray) -> None:
    """``np.save`` (no pickle) under a temporary name (not ending in ``.npy``, so globs never see it), then
    renamed: no half-written file ever has the final name (:func:`vadkit.files.atomic_write`)."""
    atomic_write(path, lambda handle: np.save(handle, array, allow_pickle=False))


def _pair_paths(stem: str | Path) -> tuple[Path, Path]:
    stem = Path(stem)
    if stem.suffix in (".npy", ".json"):
        stem = stem.with_suffix("")
    return stem.with_name(stem.name + ".npy"), stem.with_name(stem.name + ".json")


@dataclass(frozen=True)
class VideoInfo:
    """What is known of one video (file or frame folder).

    ``num_frames`` is the number of frames that can actually be read. ``container_frames`` is what the
    container declares (``None`` when it declares nothing, as for frame folders or some streams);
    ``decoded_frames`` is what a full decode produced, when one was done.
    """

    path: str
    fps: float
    num_frames: int
    width: int
    height: int
    container_frames: int | None = None
    decoded_frames: int | None = None
    codec: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", str(self.path))
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValidationError(f"{self.path}: fps must be a positive finite number, got {self.fps}")
        if self.num_frames < 0:
            raise ValidationError(f"{self.path}: num_frames must be >= 0, got {self.num_frames}")
        if self.width <= 0 or self.height <= 0:
            raise ValidationError(f"{self.path}: frame size must be positive, got {self.width}x{self.height}")

    @property
    def duration_s(self) -> float:
        """Duration in seconds implied by ``num_frames`` and ``fps``."""
        return self.num_frames / self.fps

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "path": self.path,
            "fps": self.fps,
            "num_frames": self.num_frames,
            "width": self.width,
            "height": self.height,
            "container_frames": self.container_frames,
            "decoded_frames": self.decoded_frames,
            "codec": self.codec,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoInfo:
        """Inverse of :meth:`to_dict`."""
        return cls(**dict(data))


@dataclass(frozen=True)
class SnippetSpec:
    """How frames are grouped into snippets.

    ``length`` frames per snippet, a new snippet every ``stride`` frames (``stride == length``: the
    non-overlapping I3D/CLIP convention). ``rounding`` decides what happens to a last, incomplete snippet:
    ``"ceil"`` keeps it (T = ceil(n/16) for the default geometry; the last window is padded by repeating the
    last frame), ``"floor"`` drops it (T = floor(n/16)). ``crops`` is the number of spatial crops per snippet
    (1, 5 or 10 in the public releases).
    """

    length: int = 16
    stride: int = 16
    rounding: Rounding = "ceil"
    crops: int = 1

    def __post_init__(self) -> None:
        if self.length < 1 or self.stride < 1:
            raise ValidationError(
                f"SnippetSpec: length and stride must be >= 1, got {self.length}, {self.stride}"
            )
        if self.rounding not in ("ceil", "floor"):
            raise ValidationError(f"SnippetSpec: rounding must be 'ceil' or 'floor', got {self.rounding!r}")
        if self.crops < 1:
            raise ValidationError(f"SnippetSpec: crops must be >= 1, got {self.crops}")

    def num_snippets(self, num_frames: int) -> int:
        """Number of snippets T for a video of ``num_frames`` frames."""
        if num_frames < 0:
            raise ValidationError(f"SnippetSpec: num_frames must be >= 0, got {num_frames}")
        if num_frames < self.length:
            return 1 if (self.rounding == "ceil" and num_frames > 0) else 0
        full = (num_frames - self.length) // self.stride + 1
        covered = (full - 1) * self.stride + self.length
        # Under "ceil", frames after the last full window get one more (padded) window if it starts on one.
        extra = self.rounding == "ceil" and covered < num_frames and full * self.stride < num_frames
        return full + int(extra)

    def windows(self, num_frames: int) -> list[tuple[int, int]]:
        """Half-open frame windows ``[start, end)`` of each snippet; ``end`` may pass ``num_frames`` under
        ``"ceil"`` (the reader pads those windows with the last frame)."""
        return [
            (i * self.stride, i * self.stride + self.length) for i in range(self.num_snippets(num_frames))
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"length": self.length, "stride": self.stride, "rounding": self.rounding, "crops": self.crops}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SnippetSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(**dict(data))


@dataclass(frozen=True)
class Features:
    """Snippet features of one video: ``data`` is ``(T, D)`` or ``(T, crops, D)`` float32.

    ``manifest`` records how they were made (extractor, its config, versions, decode outcome).
    """

    video: str
    data: np.ndarray
    snippet: SnippetSpec = field(default_factory=SnippetSpec)
    manifest: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        data = _finite_array(self.video, "features", self.data, np.float32, (2, 3))
        if data.shape[0] == 0:
            raise ValidationError(f"{self.video}: features have no snippets (shape {data.shape})")
        if data.ndim == 3 and data.shape[1] != self.snippet.crops:
            raise ValidationError(
                f"{self.video}: features have {data.shape[1]} crops, the snippet spec {self.snippet.crops}"
            )
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "manifest", _frozen_mapping(self.manifest))

    @property
    def num_snippets(self) -> int:
        """T, the number of snippets."""
        return int(self.data.shape[0])

    @property
    def dim(self) -> int:
        """D, the feature dimension."""
        return int(self.data.shape[-1])

    def save(self, stem: str | Path) -> Path:
        """Write ``<stem>.npy`` (the array, public layout) and ``<stem>.json`` (the rest); returns the .npy"""
        npy, meta = _pair_paths(stem)
        save_npy(npy, self.data)
        write_json(
            meta, {"video": self.video, "snippet": self.snippet.to_dict(), "manifest": dict(self.manifest)}
        )
        return npy

    @classmethod
    def load(cls, stem: str | Path) -> Features:
        """Read a pair written by :meth:`save`."""
        npy, meta = _pair_paths(stem)
        info = json.loads(meta.read_text(encoding="utf-8"))
        return cls(
            video=info["video"],
            data=np.load(npy, allow_pickle=False),
            snippet=SnippetSpec.from_dict(info["snippet"]),
            manifest=info.get("manifest", {}),
        )


@dataclass(frozen=True)
class FrameScores:
    """One anomaly score per frame of one video (higher = more abnormal), at ``fps`` frames per second."""

    video: str
    scores: np.ndarray
    fps: float = 30.0

    def __post_init__(self) -> None:
        scores = _finite_array(self.video, "scores", self.scores, np.float64, (1,))
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValidationError(f"{self.video}: fps must be a positive finite number, got {self.fps}")
        object.__setattr__(self, "scores", scores)

    @property
    def num_frames(self) -> int:
        """Number of frames scored."""
        return int(self.scores.shape[0])

    def timestamps(self) -> np.ndarray:
        """Time in seconds of each frame's start."""
        return np.arange(self.num_frames, dtype=np.float64) / self.fps

    def save(self, stem: str | Path) -> Path:
        """Write ``<stem>.npy`` and ``<stem>.json``; returns the .npy."""
        npy, meta = _pair_paths(stem)
        save_npy(npy, self.scores)
        write_json(meta, {"video": self.video, "fps": self.fps})
        return npy

    @classmethod
    def load(cls, stem: str | Path) -> FrameScores:
        """Read a pair written by :meth:`save`."""
        npy, meta = _pair_paths(stem)
        info = json.loads(meta.read_text(encoding="utf-8"))
        return cls(video=info["video"], scores=np.load(npy, allow_pickle=False), fps=info["fps"])


@dataclass(frozen=True)
class EventInterval:
    """An annotated abnormal event: frames ``[start, end)`` (0-based, half-open), with its class if known."""

    start: int
    end: int
    label: str | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValidationError(f"EventInterval: need 0 <= start < end, got [{self.start}, {self.end})")

    @property
    def length(self) -> int:
        """Number of frames covered."""
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"start": self.start, "end": self.end, "label": self.label}


@dataclass(frozen=True)
class GroundTruth:
    """Frame-level ground truth of one video.

    ``labels`` holds one 0/1 value per frame. ``events`` are the annotated intervals (clamped to the video),
    with classes where the source has them; ``label`` is the video's class (``"Normal"`` for normal videos
    where the benchmark names classes). ``boxes``, when known, is an ``(K, 6)`` int array of rows
    ``track_id, frame, x_min, y_min, x_max, y_max`` (the AED region-track layout, 0-based frames).
    ``source`` records which file and frame convention produced it, so a result can say what it used.
    """

    video: str
    labels: np.ndarray
    events: tuple[EventInterval, ...] = ()
    label: str | None = None
    boxes: np.ndarray | None = None
    source: str = ""

    def __post_init__(self) -> None:
        labels = _finite_array(self.video, "labels", self.labels, np.uint8, (1,))
        if labels.size and labels.max() > 1:
            raise ValidationError(f"{self.video}: labels must be 0/1, found {int(labels.max())}")
        object.__setattr__(self, "labels", labels)
        events = tuple(self.events)
        for event in events:
            if event.end > labels.shape[0]:
                raise ValidationError(
                    f"{self.video}: event [{event.start}, {event.end}) passes the last frame "
                    f"({labels.shape[0]} frames)"
                )
        object.__setattr__(self, "events", events)
        if self.boxes is not None:
            boxes = np.array(self.boxes, dtype=np.int64, copy=True)
            if boxes.ndim != 2 or boxes.shape[1] != 6:
                raise ValidationError(f"{self.video}: boxes must have shape (K, 6), got {boxes.shape}")
            boxes.setflags(write=False)
            object.__setattr__(self, "boxes", boxes)

    @property
    def num_frames(self) -> int:
        """Number of frames labelled."""
        return int(self.labels.shape[0])

    @property
    def is_abnormal(self) -> bool:
        """Whether any frame is abnormal."""
        return bool(self.labels.any())

    def save(self, stem: str | Path) -> Path:
        """Write ``<stem>.npy`` (frame labels) and ``<stem>.json`` (events, class, boxes, source)."""
        npy, meta = _pair_paths(stem)
        save_npy(npy, self.labels)
        write_json(
            meta,
            {
                "video": self.video,
                "label": self.label,
                "events": [e.to_dict() for e in self.events],
                "boxes": None if self.boxes is None else self.boxes.tolist(),
                "source": self.source,
            },
        )
        return npy

    @classmethod
    def load(cls, stem: str | Path) -> GroundTruth:
        """Read a pair written by :meth:`save`."""
        npy, meta = _pair_paths(stem)
        info = json.loads(meta.read_text(encoding="utf-8"))
        boxes = info.get("boxes")
        return cls(
            video=info["video"],
            labels=np.load(npy, allow_pickle=False),
            events=tuple(EventInterval(**e) for e in info.get("events", [])),
            label=info.get("label"),
            boxes=None if boxes is None else np.asarray(boxes, dtype=np.int64).reshape(-1, 6),
            source=info.get("source", ""),
        )


@dataclass(frozen=True)
class Event:
    """A detected abnormal event: frames ``[start, end)`` of one video, its scores, and its explanation.

    ``class_name``/``class_score`` come from a class-aware method, ``description`` from a VLM or composed
    from the evidence, and ``evidence`` holds what supports it (key frames, regions, measured deviations).
    ``peak_frame``, when known, is the frame of ``peak_score`` (``start <= peak_frame < end``).
    """

    video: str
    start: int
    end: int
    fps: float
    peak_score: float
    mean_score: float
    class_name: str | None = None
    class_score: float | None = None
    description: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    peak_frame: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValidationError(
                f"{self.video}: event needs 0 <= start < end, got [{self.start}, {self.end})"
            )
        if self.peak_frame is not None and not self.start <= self.peak_frame < self.end:
            raise ValidationError(
                f"{self.video}: event peak_frame {self.peak_frame} is outside [{self.start}, {self.end})"
            )
        for name in ("fps", "peak_score", "mean_score"):
            if not math.isfinite(getattr(self, name)):
                raise ValidationError(f"{self.video}: event {name} must be finite")
        if self.fps <= 0:
            raise ValidationError(f"{self.video}: event fps must be positive, got {self.fps}")
        object.__setattr__(self, "evidence", _frozen_mapping(self.evidence))

    @property
    def start_s(self) -> float:
        """Start time in seconds."""
        return self.start / self.fps

    @property
    def end_s(self) -> float:
        """End time in seconds (exclusive)."""
        return self.end / self.fps

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (times in frames and seconds)."""
        return {
            "video": self.video,
            "start_frame": self.start,
            "end_frame": self.end,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "fps": self.fps,
            "peak_score": self.peak_score,
            "mean_score": self.mean_score,
            "peak_frame": self.peak_frame,
            "class_name": self.class_name,
            "class_score": self.class_score,
            "description": self.description,
            "evidence": _json_ready(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Inverse of :meth:`to_dict`."""
        return cls(
            video=data["video"],
            start=int(data["start_frame"]),
            end=int(data["end_frame"]),
            fps=float(data["fps"]),
            peak_score=float(data["peak_score"]),
            mean_score=float(data["mean_score"]),
            class_name=data.get("class_name"),
            class_score=data.get("class_score"),
            description=data.get("description"),
            evidence=data.get("evidence") or {},
            peak_frame=data.get("peak_frame"),
        )


@dataclass(frozen=True)
class EvalReport:
    """Metrics of one evaluation, under names that say exactly what they are (``auc_micro``, ``ap_sklearn``…).

    ``settings`` records every convention that shaped the numbers (ground-truth source, frame convention,
    expansion, padding rule, dropped frames, whether model selection used the test set). ``per_video``
    holds per-video metrics where the protocol computes them.
    """

    protocol: str
    metrics: Mapping[str, float]
    num_videos: int
    num_frames: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    per_video: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        metrics = {}
        for name, value in dict(self.metrics).items():
            value = float(value)
            if math.isinf(value):
                raise ValidationError(f"EvalReport({self.protocol}): metric {name} is infinite")
            metrics[name] = value
        object.__setattr__(self, "metrics", _frozen_mapping(metrics))
        object.__setattr__(self, "settings", _frozen_mapping(self.settings))
        object.__setattr__(
            self, "per_video", _frozen_mapping({k: dict(v) for k, v in dict(self.per_video).items()})
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; NaN metrics (undefined, e.g. AUC without positives) become ``null``."""

        def clean(value: float) -> float | None:
            return None if math.isnan(value) else value

        return {
            "protocol": self.protocol,
            "metrics": {k: clean(v) for k, v in self.metrics.items()},
            "num_videos": self.num_videos,
            "num_frames": self.num_frames,
            "settings": _json_ready(self.settings),
            "per_video": {v: {k: clean(x) for k, x in m.items()} for v, m in self.per_video.items()},
        }

    def save(self, path: str | Path) -> Path:
        """Write the report as JSON (``metrics.json`` by convention)."""
        path = Path(path)
        write_json(path, self.to_dict())
        return path

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalReport:
        """Inverse of :meth:`to_dict` (``null`` metrics come back as NaN)."""

        def restore(value: float | None) -> float:
            return math.nan if value is None else float(value)

        return cls(
            protocol=data["protocol"],
            metrics={k: restore(v) for k, v in data["metrics"].items()},
            num_videos=int(data["num_videos"]),
            num_frames=int(data["num_frames"]),
            settings=data.get("settings", {}),
            per_video={
                v: {k: restore(x) for k, x in m.items()} for v, m in data.get("per_video", {}).items()
            },
        )

    @classmethod
    def load(cls, path: str | Path) -> EvalReport:
        """Read a report written by :meth:`save`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
