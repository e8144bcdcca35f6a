"""Reference text descriptions of events, read from the synthetic benchmark and from UCA, into one structure.

Every reader returns ``{video: VideoDescriptions}``: per video its frame rate and its reference events, each
a half-open frame interval ``[start, end)`` (0-based, as everywhere in vadkit), an optional class and one
text description. Times given in seconds are converted to frames with the video's fps.

Layouts read:

* **synthetic** (``descriptions.json`` written by ``vadkit synth``, see :mod:`vadkit.data.synthetic`)::

      {"<video>": {"label": "Falling", "split": "test", "scene": "01", "num_frames": 300,
                   "events": [{"class": "Falling", "start": 120, "end": 210, "start_s": 8.0, "end_s": 14.0,
                               "track_ids": [3], "description": "A person in a red shirt falls ..."}]}}

  ``start``/``end`` are frames (0-based start, exclusive end) and are used as they are; the fps is the
  dataset's (``metadata.json`` next to the file, key ``fps``) unless given. Normal videos have no events.
  The file covers the val, test and fewshot splits; ``split`` keeps one of them.

* **UCA** (UCF-Crime Annotation; Yuan et al., "Towards Surveillance Video-and-Language Understanding",
  CVPR 2024; ``UCF Annotation/json/UCFCrime_{Train,Val,Test}.json`` of github.com/Xuange923/
  Surveillance-Video-Understanding)::

      {"Abuse037_x264": {"duration": 59.88,
                         "timestamps": [[1.2, 8.2], [8.4, 25.3], ...],
                         "sentences": ["A white car with double flashes slowly appeared ...", ...]}}

  ``timestamps[i]`` (seconds, 0.1 s precision) is the span of ``sentences[i]``; spans may overlap and are
  not sorted. The sentences caption every event of the video (normal activity included, normal videos
  included), not only the anomaly, and carry no class: ``label`` is ``None``. Sentences are stripped of
  surrounding whitespace (the release has leading spaces). ``duration`` is not used. A span of seconds
  ``[s, e)`` becomes the frames whose start time ``k / fps`` lies in it: ``[ceil(s·fps), ceil(e·fps))``
  (up to 1e-6 frame of float error), and at least the one frame where it starts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vadkit.data.synthetic import ANNOTATED_SPLITS, DESCRIPTIONS, METADATA
from vadkit.errors import AnnotationError, ValidationError

UCF_CRIME_FPS = 30.0
"""Frame rate of the UCF-Crime videos, the default for UCA's seconds."""

DescriptionLayout = Literal["auto", "synthetic", "uca"]
DESCRIPTION_LAYOUTS: tuple[str, ...] = ("auto", "synthetic", "uca")
"""Layouts :func:`read_descriptions` accepts (``auto`` tells them apart by their keys)."""

_FRAME_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ReferenceEvent:
    """A described event: frames ``[start, end)`` (0-based, half-open), its class if known, its text."""

    start: int
    end: int
    text: str
    label: str | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValidationError(f"ReferenceEvent: need 0 <= start < end, got [{self.start}, {self.end})")


@dataclass(frozen=True)
class VideoDescriptions:
    """The reference events of one video at ``fps`` frames per second; ``num_frames`` when the source gives
    it; ``source`` names the file read."""

    video: str
    fps: float
    events: tuple[ReferenceEvent, ...]
    num_frames: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValidationError(f"{self.video}: fps must be a positive finite number, got {self.fps}")
        object.__setattr__(self, "events", tuple(self.events))
        if self.num_frames is not None:
            for event in self.events:
                if event.end > self.num_frames:
                    raise ValidationError(
                        f"{self.video}: event [{event.start}, {event.end}) passes the last frame "
                        f"({self.num_frames} frames)"
                    )


def seconds_to_frames(start_s: float, end_s: float, fps: float) -> tuple[int, int]:
    """Half-open frames ``[ceil(start_s·fps), ceil(end_s·fps))``, those whose start time lies in
    ``[start_s, end_s)``, at least one frame long (see the module docstring)."""
    start = math.ceil(start_s * fps - _FRAME_TOLERANCE)
    end = math.ceil(end_s * fps - _FRAME_TOLERANCE)
    return start, max(end, start + 1)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnnotationError(path, "not found") from None
    except json.JSONDecodeError as error:
        raise AnnotationError(path, f"invalid JSON ({error.msg} at line {error.lineno})") from None


def _videos(path: Path, data: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(data, dict):
        raise AnnotationError(path, f"expected an object of videos, got {type(data).__name__}")
    for video, entry in data.items():
        if not isinstance(entry, dict):
            raise AnnotationError(path, f"{video}: expected an object, got {type(entry).__name__}")
    return data


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _text(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AnnotationError(path, f"{where}: expected a non-empty text, got {value!r}")
    return value.strip()


def _fps_of(path: Path, video: str, fps: float | Mapping[str, float]) -> float:
    if isinstance(fps, Mapping):
        if video not in fps:
            raise AnnotationError(path, f"{video}: no fps given for this video")
        return float(fps[video])
    return float(fps)


def read_uca_descriptions(
    path: str | Path, *, fps: float | Mapping[str, float] = UCF_CRIME_FPS
) -> dict[str, VideoDescriptions]:
    """A UCA JSON file (``UCFCrime_Test.json``…) as ``{video: VideoDescriptions}`` in file order.

    Args:
        path: the JSON file.
        fps: frames per second of every video (UCF-Crime's 30 by default), or per video.

    Raises:
        AnnotationError: a missing file, invalid JSON, a video without ``timestamps``/``sentences`` lists
            of equal length, a timestamp that is not ``[start, end]`` seconds with ``0 <= start < end``, an
            empty sentence, or a video missing from an ``fps`` mapping; the message names the file and video.
    """
    path = Path(path)
    return _parse_uca(path, _videos(path, _load_json(path)), fps)


def _parse_uca(
    path: Path, data: dict[str, dict[str, Any]], fps: float | Mapping[str, float]
) -> dict[str, VideoDescriptions]:
    result = {}
    for video, entry in data.items():
        stamps, sentences = entry.get("timestamps"), entry.get("sentences")
        if not isinstance(stamps, list) or not isinstance(sentences, list):
            raise AnnotationError(path, f"{video}: expected 'timestamps' and 'sentences' lists")
        if len(stamps) != len(sentences):
            raise AnnotationError(path, f"{video}: {len(stamps)} timestamps but {len(sentences)} sentences")
        rate = _fps_of(path, video, fps)
        events = []
        for index, (stamp, sentence) in enumerate(zip(stamps, sentences, strict=True)):
            where = f"{video}: timestamps[{index}]"
            if not (isinstance(stamp, list) and len(stamp) == 2 and all(_number(v) for v in stamp)):
                raise AnnotationError(path, f"{where}: expected [start, end] in seconds, got {stamp!r}")
            if not 0 <= stamp[0] < stamp[1]:
                raise AnnotationError(path, f"{where}: need 0 <= start < end, got {stamp!r}")
            start, end = seconds_to_frames(float(stamp[0]), float(stamp[1]), rate)
            events.append(ReferenceEvent(start, end, _text(path, f"{video}: sentences[{index}]", sentence)))
        result[video] = VideoDescriptions(video, rate, tuple(events), source=str(path))
    return result


def _synthetic_file(source: Path) -> Path:
    return source / DESCRIPTIONS if source.is_dir() else source


def _synthetic_fps(path: Path) -> float:
    metadata = path.parent / METADATA
    info = _load_json(metadata)
    if not isinstance(info, dict) or not _number(info.get("fps")) or info["fps"] <= 0:
        raise AnnotationError(metadata, "expected a positive number under 'fps' (or pass fps)")
    return float(info["fps"])


def _synthetic_event(path: Path, video: str, index: int, event: Any) -> ReferenceEvent:
    where = f"{video}: events[{index}]"
    if not isinstance(event, dict):
        raise AnnotationError(path, f"{where}: expected an object, got {type(event).__name__}")
    start, end = event.get("start"), event.get("end")
    if type(start) is not int or type(end) is not int:
        raise AnnotationError(path, f"{where}: expected integer frames 'start' and 'end'")
    if not 0 <= start < end:
        raise AnnotationError(path, f"{where}: need 0 <= start < end, got [{start}, {end})")
    return ReferenceEvent(
        start,
        end,
        _text(path, f"{where}.description", event.get("description")),
        _text(path, f"{where}.class", event.get("class")),
    )


def read_synthetic_descriptions(
    source: str | Path, *, fps: float | None = None, split: str | None = None
) -> dict[str, VideoDescriptions]:
    """A synthetic dataset's ``descriptions.json`` as ``{video: VideoDescriptions}`` in file order.

    Args:
        source: the dataset folder or its ``descriptions.json``.
        fps: frames per second (default: ``fps`` of ``metadata.json`` next to the file).
        split: keep the videos of this split only (``"val"``, ``"test"``, ``"fewshot"``); ``None`` keeps all.

    Raises:
        ValidationError: a split other than val, test, fewshot.
        AnnotationError: a missing or malformed file (a video without an ``events`` list, an event without
            integer frames, class and description, an event past ``num_frames``), naming the file and video.
    """
    path = _synthetic_file(Path(source))
    return _parse_synthetic(path, _videos(path, _load_json(path)), fps, split)


def _parse_synthetic(
    path: Path, data: dict[str, dict[str, Any]], fps: float | None, split: str | None
) -> dict[str, VideoDescriptions]:
    if split is not None and split not in ANNOTATED_SPLITS:
        raise ValidationError(f"{path}: descriptions cover the splits {ANNOTATED_SPLITS}, not {split!r}")
    rate = float(fps) if fps is not None else _synthetic_fps(path)
    result = {}
    for video, entry in data.items():
        if split is not None and entry.get("split") != split:
            continue
        events = entry.get("events")
        if not isinstance(events, list):
            raise AnnotationError(path, f"{video}: expected an 'events' list")
        num_frames = entry.get("num_frames")
        if num_frames is not None and (type(num_frames) is not int or num_frames < 0):
            raise AnnotationError(path, f"{video}: num_frames must be an integer >= 0, got {num_frames!r}")
        parsed = tuple(_synthetic_event(path, video, i, event) for i, event in enumerate(events))
        try:
            result[video] = VideoDescriptions(video, rate, parsed, num_frames, source=str(path))
        except ValidationError as error:
            raise AnnotationError(path, str(error)) from None
    return result


def _detect_layout(path: Path, data: dict[str, dict[str, Any]]) -> str:
    first = next(iter(data.values()), None)
    if first is None or "events" in first:
        return "synthetic"
    if "timestamps" in first or "sentences" in first:
        return "uca"
    raise AnnotationError(
        path,
        "cannot tell the layout: expected per video 'events' (synthetic) or 'timestamps' and "
        "'sentences' (UCA)",
    )


def read_descriptions(
    source: str | Path,
    *,
    layout: DescriptionLayout = "auto",
    fps: float | None = None,
    split: str | None = None,
) -> dict[str, VideoDescriptions]:
    """Reference descriptions from a synthetic dataset (folder or ``descriptions.json``) or a UCA JSON file.

    Args:
        source: the folder or file.
        layout: ``"synthetic"``, ``"uca"``, or ``"auto"`` (a folder is synthetic; a file is synthetic when
            its first video has ``events``, UCA when it has ``timestamps``/``sentences``).
        fps: frames per second (default: the synthetic dataset's, UCF-Crime's 30 for UCA).
        split: for the synthetic layout, keep this split only.

    Raises:
        ValidationError: an unknown layout, or ``split`` with the UCA layout (its files are per split).
        AnnotationError: from the readers, or a file whose layout cannot be told.
    """
    if layout not in DESCRIPTION_LAYOUTS:
        raise ValidationError(f"unknown descriptions layout {layout!r}; use one of {DESCRIPTION_LAYOUTS}")
    path = _synthetic_file(Path(source))
    data = _videos(path, _load_json(path))
    if layout == "auto":
        layout = "synthetic" if Path(source).is_dir() else _detect_layout(path, data)
    if layout == "synthetic":
        return _parse_synthetic(path, data, fps, split)
    if split is not None:
        raise ValidationError(
            f"{path}: UCA files are one per split; split={split!r} applies to synthetic only"
        )
    return _parse_uca(path, data, UCF_CRIME_FPS if fps is None else fps)
