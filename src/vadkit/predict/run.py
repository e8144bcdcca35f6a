"""``vadkit predict``: a trained run on new videos, with outputs per video, a summary and an HTML report.

:func:`run_prediction` collects the videos of its inputs (folders, files, frame folders, list files, as
``vadkit extract`` does), settles the alarm threshold once (given, or calibrated on the run's normal
validation videos), and for every video runs :func:`~vadkit.predict.pipeline.predict_video` and writes its
files (:mod:`vadkit.predict.outputs`; with ``overlay``, also ``overlay.mp4``). A video that cannot be
decoded is reported and skipped: the others go on, and what was written stays. It then writes
``predictions.json`` (every video's events file, and the failures with their reasons) and ``report.html``
(:mod:`vadkit.report.prediction_report`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vadkit.errors import ValidationError, VideoDecodeError
from vadkit.explain import EventConfig
from vadkit.features.inputs import collect_videos
from vadkit.features.progress import ExtractionProgress
from vadkit.predict.calibration import run_threshold
from vadkit.predict.detector import Detector
from vadkit.predict.explanations import ExplainSettings, event_explainers, event_thumbnails
from vadkit.predict.outputs import SCHEMA, write_prediction
from vadkit.predict.pipeline import DEFAULT_EVENTS, Threshold, VideoPrediction, given_threshold, predict_video
from vadkit.report.overlay import write_overlay
from vadkit.report.prediction_report import ReportHeader, ReportVideo, write_prediction_report
from vadkit.types import GroundTruth, write_json


@dataclass(frozen=True)
class PredictSettings:
    """How ``vadkit predict`` turns scores into events and explanations.

    Attributes:
        threshold: the alarm threshold; ``None`` calibrates it for ``target_far``.
        target_far: the false-alarm rate (fraction of normal validation frames inside events) the
            calibrated threshold allows.
        events: smoothing, hysteresis margin, merge gap and minimum duration (``high`` is the threshold).
        calibration_fps: frame rate of the run's training videos (known for the synthetic benchmark).
        explain: which explanations to add (:class:`~vadkit.predict.explanations.ExplainSettings`).
        overlay: also write ``overlay.mp4`` per video.
    """

    threshold: float | None = None
    target_far: float = 0.01
    events: EventConfig = DEFAULT_EVENTS
    calibration_fps: float | None = None
    explain: ExplainSettings = field(default_factory=ExplainSettings)
    overlay: bool = False


@dataclass(frozen=True)
class PredictionRun:
    """What :func:`run_prediction` did.

    Attributes:
        out_dir: the output folder.
        predictions: the videos predicted, in input order.
        failures: ``{video: reason}`` of the videos skipped.
        threshold: the threshold used.
        report_path: ``report.html``.
        summary_path: ``predictions.json``.
    """

    out_dir: Path
    predictions: tuple[VideoPrediction, ...]
    failures: dict[str, str]
    threshold: Threshold
    report_path: Path
    summary_path: Path


def settle_threshold(detector: Detector, settings: PredictSettings) -> Threshold:
    """The given threshold, or the run's calibrated one (:func:`vadkit.predict.calibration.run_threshold`)."""
    if settings.threshold is not None:
        return given_threshold(settings.threshold)
    calibration = run_threshold(detector, settings.target_far, settings.events, fps=settings.calibration_fps)
    record = calibration.to_dict()
    record.pop("config", None)
    return Threshold(
        calibration.threshold, "calibrated", {"calibrated_on": "normal validation videos", **record}
    )


def _header(detector: Detector, threshold: Threshold, failures: dict[str, str]) -> ReportHeader:
    calibrated = threshold.source == "calibrated"
    how = (
        f"calibrated on the run's normal validation videos for a false-alarm rate of "
        f"{threshold.details.get('target_far')} (achieved {threshold.details.get('achieved_far', 0.0):.4f})"
        if calibrated
        else "given"
    )
    return ReportHeader(
        title=f"vadkit predict: {detector.method}",
        lines=(
            f"Model: {detector.method}, seed {detector.seed}, {detector.checkpoint} checkpoint "
            f"({detector.checkpoint_path}); features: {detector.extractor.name}.",
            f"Alarm threshold {threshold.value:.4f}, {how}.",
        ),
        failures=failures,
    )


def run_prediction(
    inputs: str | Path | Sequence[str | Path],
    detector: Detector,
    out_dir: str | Path,
    settings: PredictSettings | None = None,
    *,
    ground_truth: Mapping[str, GroundTruth] | None = None,
    progress: bool = True,
) -> PredictionRun:
    """Predict every video of ``inputs`` with ``detector`` into ``out_dir`` (module docstring).

    ``ground_truth`` (by video name), when known, is drawn under each score curve of the report.

    Raises:
        ValidationError: no video in the inputs, or a threshold that cannot be settled. Bad videos do not
            raise: they are listed in ``failures``.
    """
    settings = settings or PredictSettings()
    out = Path(out_dir)
    sources = collect_videos(inputs)
    threshold = settle_threshold(detector, settings)
    extractor = detector.extractor.create()
    explainers = event_explainers(detector, settings.explain)
    predictions: list[VideoPrediction] = []
    failures: dict[str, str] = {}
    report_videos: list[ReportVideo] = []
    with ExtractionProgress(len(sources), enabled=progress, label="predicting") as bar:
        for source in sources:
            try:
                prediction = predict_video(
                    source.path,
                    detector,
                    extractor,
                    threshold,
                    events=settings.events,
                    explainers=explainers,
                    name=source.video,
                )
            except (VideoDecodeError, ValidationError) as error:
                failures[source.video] = str(error)
                bar.count(0, failed=True)
                continue
            folder = write_prediction(out, prediction, detector, settings.events.to_dict())
            if settings.overlay:
                write_overlay(
                    folder / "overlay.mp4",
                    source.path,
                    prediction.frame_scores,
                    threshold.value,
                    prediction.events,
                    prediction.info.fps,
                )
            predictions.append(prediction)
            report_videos.append(
                ReportVideo(
                    prediction.video,
                    prediction.info.fps,
                    prediction.frame_scores,
                    prediction.events,
                    event_thumbnails(prediction, settings.explain),
                    None if ground_truth is None else ground_truth.get(prediction.video),
                )
            )
            bar.count(prediction.info.num_frames, failed=False)
    summary_path = out / "predictions.json"
    write_json(
        summary_path,
        {
            "schema": SCHEMA,
            "threshold": threshold.to_dict(),
            "videos": {p.video: f"{p.video}/events.json" for p in predictions},
            "events": sum(len(p.events) for p in predictions),
            "failures": failures,
        },
    )
    report_path = write_prediction_report(
        out / "report.html", _header(detector, threshold, failures), report_videos, threshold.value
    )
    return PredictionRun(out, tuple(predictions), failures, threshold, report_path, summary_path)
