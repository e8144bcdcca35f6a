"""``vadkit demo``: the main job, end to end, on vadkit's own embedded data.

1. **Data.** ``vadkit synth --preset small``: a synthetic benchmark rendered by vadkit (scenes with
   pedestrians and traffic, eight anomaly classes) in the public layouts (:mod:`vadkit.synth`).
2. **Features.** ``vadkit extract --extractor motion``: the weight-free motion extractor on every video
   (:mod:`vadkit.features.motion`).
3. **Training.** The default weakly-supervised method (:data:`DEMO_METHOD`) on the training split with
   video-level labels only, features standardised on the fitting videos, the checkpoint selected on a
   validation split carved from the training videos (:mod:`vadkit.train.experiment`).
4. **Evaluation** of the selected checkpoint on the test split under the ``synthetic`` protocol.
5. **Events and explanations.** ``vadkit predict`` with the selected checkpoint on the test videos: the alarm
   threshold calibrated on the normal validation videos for a false-alarm rate of :attr:`DemoSettings.far`,
   events with their weight-free motion evidence, key frames and a composed description
   (:mod:`vadkit.predict`; ``predictions/``, with its own ``report.html``). The explanations are scored
   against the test split's reference descriptions (:func:`vadkit.eval.evaluate_explanations`; the text
   metrics need the ``explain`` extra and are reported as undefined without it).
6. **Report** (``report.html``): the metrics table (last and selected checkpoints), the per-class AUCs, the
   detected events with their explanations and the explanation metrics, and per test video the score curve
   with the ground truth shaded.

A second run in the same folder renders the same dataset again (byte-identical; the folder must hold the
same preset and seed), skips the finished feature files and reads the finished training run back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from vadkit.data import build_ground_truth, read_descriptions
from vadkit.eval import ExplanationReport, auc_per_class, evaluate_explanations, load_score_dir
from vadkit.features import run_extraction
from vadkit.predict import PredictionRun, PredictSettings, load_detector, run_prediction
from vadkit.report import ReportTable, write_eval_report
from vadkit.synth import generate, resolve_preset
from vadkit.synth.progress import rendering_progress
from vadkit.synth.rules import FPS
from vadkit.train.experiment import CHECKPOINT_KINDS, ExperimentConfig, ExperimentResult, run_experiment
from vadkit.types import EvalReport

DEMO_METHOD = "rtfm"
"""The method the demo trains."""

SNIPPET_LENGTH = 16
"""Frames per feature snippet (the motion extractor's default)."""


@dataclass(frozen=True)
class DemoSettings:
    """What the demo generates and trains.

    Attributes:
        preset: synthetic benchmark preset.
        seed: dataset seed and training seed.
        method: the weakly-supervised method trained.
        steps: optimiser steps.
        batch_size: ``B`` of the trainer (:class:`~vadkit.train.config.TrainConfig`).
        eval_every: validation interval in steps.
        workers: processes for rendering and feature extraction.
        far: the false-alarm rate (normal validation frames inside events) the alarm threshold allows.
    """

    preset: str = "small"
    seed: int = 0
    method: str = DEMO_METHOD
    steps: int = 200
    batch_size: int = 8
    eval_every: int = 20
    workers: int = 2
    far: float = 0.05


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote its outputs, and what it measured.

    Attributes:
        out_dir: the demo folder.
        report_path: the HTML report.
        metrics_path: the experiment's ``metrics.json`` (both checkpoints, selection record).
        report: the test-split evaluation of the selected checkpoint.
        per_class: the selected checkpoint's AUC per anomaly class (:func:`vadkit.eval.auc_per_class`).
        experiment: the training run.
        predictions: the events found in the test videos, with their explanations.
        explanations: the explanations scored against the test split's reference descriptions.
    """

    out_dir: Path
    report_path: Path
    metrics_path: Path
    report: EvalReport
    per_class: dict[str, float]
    experiment: ExperimentResult
    predictions: PredictionRun
    explanations: ExplanationReport


def _note(settings: DemoSettings, experiment: ExperimentResult) -> str:
    selected_step = experiment.seeds[0].train.selected_step
    return (
        f"Synthetic benchmark (preset {settings.preset}, seed {settings.seed}) rendered by vadkit; "
        f"weight-free motion features; {settings.method} trained for {settings.steps} steps on video-level "
        f"labels, features standardised on the fitting videos, checkpoint of step {selected_step} selected "
        f"on a validation split carved from the training videos (the test split was not used for selection). "
        f"The metrics, per-class AUCs and curves are the selected checkpoint's on the test split."
    )


def _checkpoint_table(experiment: ExperimentResult) -> ReportTable:
    """Test metrics of the last and the selected checkpoint."""
    reports = experiment.seeds[0].reports
    rows = [
        [kind, *(f"{reports[kind].metrics[name]:.4f}" for name in experiment.metric_names)]
        for kind in CHECKPOINT_KINDS
    ]
    return ReportTable("Checkpoints (test split)", ["checkpoint", *experiment.metric_names], rows)


def _events_table(predictions: PredictionRun) -> ReportTable:
    """Every detected event of the test videos with its explanation."""
    rows = [
        [
            prediction.video,
            f"{event.start_s:.1f}-{event.end_s:.1f} s",
            f"{event.peak_score:.3f}",
            str(event.evidence.get("summary", "")),
            event.description or "",
        ]
        for prediction in predictions.predictions
        for event in prediction.events
    ]
    threshold = predictions.threshold
    title = (
        f"Detected events (test split; threshold {threshold.value:.3f}, {threshold.source}; key frames and "
        "curves in predictions/report.html)"
    )
    return ReportTable(title, ["video", "time", "peak", "evidence", "description"], rows)


def _explanation_table(report: ExplanationReport) -> ReportTable:
    """The explanation metrics, with the notes on those left undefined."""
    rows = [
        [name, "undefined" if math.isnan(value) else f"{value:.4f}"] for name, value in report.metrics.items()
    ]
    rows += [["note", note] for note in report.notes]
    title = (
        "Explanations against the test split's reference descriptions (events matched at temporal IoU >= 0.5)"
    )
    return ReportTable(title, ["metric", "value"], rows)


def _test_videos(data: Path) -> list[Path]:
    """The test split's video files, in list order."""
    lines = (data / "Anomaly_Test.txt").read_text(encoding="utf-8").splitlines()
    return [data / "videos" / line.strip() for line in lines if line.strip()]


def run_demo(
    out_dir: str | Path = "vadkit-demo", settings: DemoSettings | None = None, *, progress: bool = True
) -> DemoResult:
    """Generate, extract, train, evaluate and report (module docstring); returns where everything went.

    Layout of ``out_dir``: ``data/`` (the synthetic benchmark), ``features/`` (motion features and their
    manifest), ``run/`` (the experiment: checkpoints, scores, ``metrics.json``, ``results.csv``),
    ``scores.png`` and ``report.html``.
    """
    settings = settings or DemoSettings()
    out = Path(out_dir)
    data, features = out / "data", out / "features"
    with rendering_progress(resolve_preset(settings.preset), enabled=progress) as advance:
        generate(data, settings.preset, settings.seed, settings.workers, progress=advance)
    run_extraction(data / "videos", features, "motion", workers=settings.workers, progress=progress)
    config = ExperimentConfig.from_dict(
        {
            "method": settings.method,
            "data_root": str(data),
            "feature_dir": str(features),
            "seeds": [settings.seed],
            "steps": settings.steps,
            "batch_size": settings.batch_size,
            "eval_every": settings.eval_every,
            "feature_norm": "standardize",
        }
    )
    experiment = run_experiment(config, out / "run", progress=progress)
    seed = experiment.seeds[0]
    truth = build_ground_truth("synthetic", data, split="test")
    scores = load_score_dir(seed.score_dirs["selected"])
    report = seed.reports["selected"]
    per_class = auc_per_class(truth, scores, SNIPPET_LENGTH)
    predictions = run_prediction(
        _test_videos(data),
        load_detector(out / "run"),
        out / "predictions",
        PredictSettings(target_far=settings.far),
        ground_truth=truth,
        progress=progress,
    )
    explanations = evaluate_explanations(
        [event for prediction in predictions.predictions for event in prediction.events],
        read_descriptions(data, split="test"),
    )
    class_table = ReportTable(
        "AUC per anomaly class (its frames against all normal frames)",
        ["class", "AUC"],
        [[name, f"{value:.4f}"] for name, value in per_class.items()],
    )
    report_path = write_eval_report(
        out,
        report,
        truth,
        scores,
        SNIPPET_LENGTH,
        FPS,
        title=f"vadkit demo: {settings.method} on the synthetic benchmark",
        note=_note(settings, experiment),
        tables=(
            _checkpoint_table(experiment),
            class_table,
            _events_table(predictions),
            _explanation_table(explanations),
        ),
    )
    return DemoResult(
        out, report_path, experiment.metrics_path, report, per_class, experiment, predictions, explanations
    )
