"""The alarm threshold of a trained run, calibrated on its normal validation videos and stored with it.

A detector raises an event where its smoothed frame scores pass a threshold (:mod:`vadkit.explain.events`).
:func:`run_threshold` chooses that threshold for a target false-alarm rate on the normal videos of the
run's *validation split* (carved from the training videos exactly as training carved it,
:func:`vadkit.train.experiment.seed_splits`; never the test split): the lowest threshold at which at most
``target_far`` of those videos' frames fall inside events, counting the whole event pipeline
(:func:`vadkit.explain.calibrate_threshold`). Snippet scores become frame scores with
:func:`vadkit.snippets.expand_to_frames` over the frames the snippets cover (``T x 16`` for the default
geometry). The result is saved in the seed folder as
``event-threshold-<checkpoint>-<key>.json`` (the key hashes the target and the event settings) and reused.

Event settings are in seconds, so calibration needs the frame rate of the training videos: the synthetic
benchmark's ``metadata.json`` says it; for other datasets pass ``fps``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from vadkit.errors import ValidationError
from vadkit.explain import EventConfig, ThresholdCalibration, calibrate_threshold
from vadkit.predict.detector import Detector
from vadkit.predict.pipeline import DEFAULT_EVENTS
from vadkit.snippets import expand_to_frames
from vadkit.train.experiment import ExperimentConfig, seed_splits
from vadkit.train.source import FeatureSetLike
from vadkit.types import FrameScores


def run_config(run_dir: Path) -> ExperimentConfig:
    """The resolved configuration of a run folder."""
    return ExperimentConfig.from_dict(json.loads((run_dir / "config.json").read_text(encoding="utf-8")))


def run_splits(detector: Detector) -> tuple[FeatureSetLike, FeatureSetLike | None]:
    """The fitted videos and the validation split (``None`` when selected on test) of the detector's run
    and seed, exactly as training made them (:func:`vadkit.train.experiment.seed_splits`)."""
    config = run_config(detector.run_dir)
    data = config.dataset_spec().load(config.evaluation_protocol())
    return seed_splits(config, detector.seed, data.train)


def training_fps(config: ExperimentConfig) -> float | None:
    """The frame rate of a synthetic run's videos (from ``metadata.json``), else ``None``."""
    if config.dataset != "synthetic" or config.data_root is None:
        return None
    metadata = Path(config.data_root) / "metadata.json"
    if not metadata.is_file():
        return None
    return float(json.loads(metadata.read_text(encoding="utf-8"))["fps"])


def _file_name(detector: Detector, target_far: float, events: EventConfig) -> str:
    settings = {k: v for k, v in events.to_dict().items() if k not in ("high", "low")}
    margin = None if events.low is None else events.high - events.low
    payload = json.dumps({"far": target_far, "events": settings, "margin": margin}, sort_keys=True)
    key = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
    return f"event-threshold-{detector.checkpoint}-{key}.json"


def run_threshold(
    detector: Detector,
    target_far: float = 0.01,
    events: EventConfig = DEFAULT_EVENTS,
    *,
    fps: float | None = None,
) -> ThresholdCalibration:
    """The run's alarm threshold for ``target_far`` (module docstring), computed once and then read back.

    Args:
        detector: the run's detector (:func:`~vadkit.predict.detector.load_detector`).
        target_far: the largest acceptable fraction of normal validation frames inside events.
        events: the event settings (smoothing, hysteresis margin, merge gap, minimum duration); ``high`` is
            what is calibrated (default: ``vadkit predict``'s).
        fps: frame rate of the training videos (default: the synthetic benchmark's).

    Raises:
        ValidationError: a run selected on the test set (no validation split), no normal validation video,
            or an unknown frame rate.
    """
    seed_dir = detector.run_dir / f"seed-{detector.seed}"
    path = seed_dir / _file_name(detector, target_far, events)
    if path.is_file():
        return ThresholdCalibration.load(path)
    config = run_config(detector.run_dir)
    fps = fps or training_fps(config)
    if fps is None:
        raise ValidationError(
            f"{detector.run_dir}: the frame rate of its training videos is unknown; give fps to calibrate"
        )
    _, validation = run_splits(detector)
    if validation is None:
        raise ValidationError(
            f"{detector.run_dir}: selected on the test set, so it has no validation split to calibrate on; "
            "give the threshold explicitly"
        )
    normal = [video for video in validation if video.label == 0]
    if not normal:
        raise ValidationError(f"{detector.run_dir}: no normal validation video to calibrate on")
    geometry = detector.extractor.snippet
    scores = []
    for video in normal:
        snippet = detector.snippet_scores(validation.load(video), video.name)
        covered = (snippet.shape[0] - 1) * geometry.stride + geometry.length
        frames = expand_to_frames(snippet, covered, geometry.length, stride=geometry.stride, video=video.name)
        scores.append(FrameScores(video.name, np.asarray(frames, dtype=np.float32), fps))
    calibration = calibrate_threshold(scores, target_far, events)
    calibration.save(path)
    return calibration
