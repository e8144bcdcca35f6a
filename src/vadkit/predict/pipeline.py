"""Predicting on new videos: decode -> features -> frame scores -> events -> explanations.

:func:`predict_video` runs one video through a :class:`~vadkit.predict.detector.Detector`:

1. the detector's extractor makes the video's features, exactly as ``vadkit extract`` would (the reader
   decodes at the extractor's size);
2. the model scores every snippet; :func:`vadkit.snippets.expand_to_frames` gives one score per frame (and
   per class, for class-aware models);
3. :func:`vadkit.explain.detect_events` finds the events with the alarm threshold: given, or calibrated on
   the run's normal validation videos for a target false-alarm rate (:mod:`vadkit.predict.calibration`);
4. each event gets what the model and the installed extras allow (:mod:`vadkit.predict.explanations`): the
   class of a class-aware model with its mean probability over the event, the weight-free motion evidence,
   and a description.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from vadkit.explain import EventConfig, detect_events
from vadkit.features import Extractor
from vadkit.features.task import checked_features, open_for
from vadkit.predict.detector import Detector
from vadkit.snippets import expand_to_frames
from vadkit.types import Event, FrameScores, SnippetSpec, VideoInfo

DEFAULT_EVENTS = EventConfig(smoothing="moving_average", window_s=1.0, min_duration_s=1.0, merge_gap_s=2.0)
"""Event settings of ``vadkit predict``: scores averaged over 1 s, events of at least 1 s, events less than
2 s apart merged; the threshold (``high``) is calibrated or given."""


@dataclass(frozen=True)
class Threshold:
    """The alarm threshold used, and where it came from.

    Attributes:
        value: the threshold on smoothed frame scores.
        source: ``"calibrated"`` (on the run's normal validation videos) or ``"given"``.
        details: the calibration record (target and achieved false-alarm rate, videos, frames), if any.
    """

    value: float
    source: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"value": self.value, "source": self.source, **dict(self.details)}


@dataclass(frozen=True)
class VideoPrediction:
    """What :func:`predict_video` found in one video.

    Attributes:
        video: the video's name (its file name without the extension, or the folder name).
        source: the video file or frame folder.
        info: fps, size and frame count (``num_frames`` is the frames decoded).
        snippet: the snippet geometry of the features.
        snippet_scores: ``(T,)`` anomaly scores per snippet.
        frame_scores: ``(n,)`` anomaly scores per frame.
        classes: the class names of a class-aware model (index 0 normal), else ``None``.
        class_scores: ``(n, C)`` class probabilities per frame, else ``None``.
        features: the extractor's ``(T, D)`` or ``(T, crops, D)`` features.
        extractor_hash: :meth:`~vadkit.features.base.Extractor.config_hash` of the extractor that made them.
        events: the events found, with their explanations.
        threshold: the alarm threshold used.
    """

    video: str
    source: Path
    info: VideoInfo
    snippet: SnippetSpec
    snippet_scores: np.ndarray
    frame_scores: np.ndarray
    classes: list[str] | None
    class_scores: np.ndarray | None
    features: np.ndarray
    extractor_hash: str
    events: tuple[Event, ...]
    threshold: Threshold


EventExplainer = Callable[[Event, "VideoPrediction"], Event]
"""Adds explanations to one event of a prediction (returns the event with them)."""


def extract_video(source: Path, extractor: Extractor, threads: int = 0) -> tuple[np.ndarray, VideoInfo]:
    """The features of one video and its info (frames decoded), as ``vadkit extract`` makes them.

    Raises:
        VideoDecodeError: a video that cannot be opened or decodes short (naming it).
        ValidationError: features the extractor got wrong.
    """
    with open_for(extractor, str(source), "raise", threads) as reader:
        data = extractor.extract(reader)
        outcome = reader.outcome
        info = reader.info
    features = checked_features(source.stem, data, extractor, outcome)
    frames = outcome.frames_decoded if outcome is not None else info.num_frames
    return features, replace(info, num_frames=frames)


def _frames(values: np.ndarray, count: int, snippet: SnippetSpec, video: str) -> np.ndarray:
    return expand_to_frames(values, count, snippet.length, stride=snippet.stride, video=video)


def event_class(event: Event, classes: list[str], class_scores: np.ndarray) -> Event:
    """``event`` with the anomaly class of highest mean probability over its frames (column 0, normal, left
    out) and that mean probability as ``class_score``."""
    mean = class_scores[event.start : event.end, 1:].mean(axis=0)
    best = int(np.argmax(mean))
    return replace(event, class_name=classes[best + 1], class_score=float(mean[best]))


def predict_video(
    source: str | Path,
    detector: Detector,
    extractor: Extractor,
    threshold: Threshold,
    *,
    events: EventConfig = DEFAULT_EVENTS,
    explainers: tuple[EventExplainer, ...] = (),
    name: str | None = None,
) -> VideoPrediction:
    """Score one video and find its events (module docstring).

    Args:
        source: a video file or a frame folder.
        detector: the trained model.
        extractor: ``detector.extractor.create()`` (made once for many videos).
        threshold: the alarm threshold (:func:`~vadkit.predict.calibration.run_threshold` or given).
        events: the event settings; ``high`` is replaced by the threshold.
        explainers: applied to every event in order (class first, then evidence, then description).
        name: the video's name (default: the file or folder name without its extension).

    Raises:
        VideoDecodeError / ValidationError: the video cannot be decoded or its features are wrong.
    """
    source = Path(source)
    video = name or (source.name if source.is_dir() else source.stem)
    features, info = extract_video(source, extractor)
    snippet = extractor.snippet
    snippet_scores = detector.snippet_scores(features, video)
    frame_scores = _frames(snippet_scores, info.num_frames, snippet, video).astype(np.float32)
    classes = detector.classes
    per_class = detector.class_scores(features, video)
    class_scores = None if per_class is None else _frames(per_class, info.num_frames, snippet, video)
    found = detect_events(FrameScores(video, frame_scores, info.fps), events.at_threshold(threshold.value))
    prediction = VideoPrediction(
        video=video,
        source=source,
        info=info,
        snippet=snippet,
        snippet_scores=snippet_scores,
        frame_scores=frame_scores,
        classes=classes,
        class_scores=None if class_scores is None else class_scores.astype(np.float32),
        features=features,
        extractor_hash=extractor.config_hash(),
        events=(),
        threshold=threshold,
    )
    explained = []
    for event in found:
        if classes is not None and class_scores is not None:
            event = event_class(event, classes, class_scores)
        for explain in explainers:
            event = explain(event, prediction)
        explained.append(event)
    return replace(prediction, events=tuple(explained))


def given_threshold(value: float) -> Threshold:
    """A threshold the user chose."""
    if not math.isfinite(value):
        raise ValueError(f"threshold must be finite, got {value!r}")
    return Threshold(float(value), "given")
