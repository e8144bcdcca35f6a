"""Re-evaluating an experiment's run folder from its score files (what ``vadkit eval RUN_DIR`` runs).

A run folder written by :func:`~vadkit.train.experiment.run_experiment` holds ``config.json``,
``metrics.json`` and, per seed, the test snippet scores ``seed-<s>/scores-{last,selected}/<video>.npy``.
:func:`evaluate_run` rebuilds the test ground truth of the run's dataset under its protocol (T of each video
from its score file, where the protocol takes T from the scores) and evaluates every score folder with
:func:`vadkit.eval.evaluate`, as the runner did, so the numbers are the runner's exactly. The features are
not read. The run's selection record (validation or test) is carried over into the new ``metrics.json``.
For a class-aware method the class scores ``seed-<s>/class-scores-{last,selected}/<video>.npy`` are
evaluated too (``map@iou``, :func:`~vadkit.train.classes.with_class_detection`), as the runner did.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vadkit.errors import ValidationError
from vadkit.eval import evaluate, load_named_scores
from vadkit.train.classes import load_class_scores, with_class_detection
from vadkit.train.experiment import (
    CHECKPOINT_KINDS,
    ExperimentConfig,
    aggregate_reports,
    marked_report,
    metric_names,
    results_record,
    run_class_columns,
)
from vadkit.types import EvalReport, write_json


@dataclass(frozen=True)
class RunEvaluation:
    """What :func:`evaluate_run` computed.

    Attributes:
        config: the run's configuration (``config.json``).
        run_dir: the run folder.
        metric_names: the metric names (:func:`~vadkit.train.experiment.metric_names`), in report order.
        reports: ``{seed: {"last": report, "selected": report}}``.
        aggregate: ``{kind: {metric: {"mean": m, "std": s}}}`` over seeds.
        selection: the run's selection record (from its ``metrics.json``).
        metrics_path: the ``metrics.json`` written, ``None`` without ``out_dir``.
    """

    config: ExperimentConfig
    run_dir: Path
    metric_names: tuple[str, ...]
    reports: Mapping[int, Mapping[str, EvalReport]]
    aggregate: Mapping[str, Mapping[str, Mapping[str, float]]]
    selection: Mapping[str, Any]
    metrics_path: Path | None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ValidationError(f"{path.parent}: not an experiment run folder (no {path.name})")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(f"{path}: not readable JSON ({error})") from None


def evaluate_run(run_dir: str | Path, *, out_dir: str | Path | None = None) -> RunEvaluation:
    """Evaluate every seed's last and selected test scores of a run folder (module docstring).

    Args:
        run_dir: a folder written by :func:`~vadkit.train.experiment.run_experiment`.
        out_dir: where ``metrics.json`` is written (the same ``aggregate``/``per_seed`` structure as the
            run's); ``None`` writes nothing.

    Raises:
        ValidationError: no ``config.json`` or ``metrics.json``, an invalid configuration, a missing score
            folder (or class-score folder, for a class-aware method).
        AnnotationError / LengthMismatchError: the annotation files, or scores that do not fit them.
    """
    run_dir = Path(run_dir)
    config = ExperimentConfig.from_dict(_read_json(run_dir / "config.json"))
    selection = _read_json(run_dir / "metrics.json").get("selection", {})
    columns = run_class_columns(config)
    prefixes = ("scores",) if columns is None else ("scores", "class-scores")
    folders = {
        seed: {kind: run_dir / f"seed-{seed}" / f"scores-{kind}" for kind in CHECKPOINT_KINDS}
        for seed in config.seeds
    }
    missing = [
        str(run_dir / f"seed-{seed}" / f"{prefix}-{kind}")
        for seed in config.seeds
        for prefix in prefixes
        for kind in CHECKPOINT_KINDS
        if not (run_dir / f"seed-{seed}" / f"{prefix}-{kind}").is_dir()
    ]
    if missing:
        raise ValidationError(f"{run_dir}: score folder(s) missing: {', '.join(missing)}")
    protocol = config.evaluation_protocol()
    first = load_named_scores(folders[config.seeds[0]][CHECKPOINT_KINDS[0]])
    truth = config.dataset_spec().ground_truth(protocol, {name: int(s.shape[0]) for name, s in first.items()})
    reports: dict[int, dict[str, EvalReport]] = {}
    for seed, kinds in folders.items():
        reports[seed] = {}
        for kind, folder in kinds.items():
            report = marked_report(evaluate(protocol, truth, load_named_scores(folder)), kind, config)
            if columns is not None:
                class_scores = load_class_scores(folder.parent / f"class-scores-{kind}")
                report = with_class_detection(report, class_scores, truth, columns, protocol.snippet_length)
            reports[seed][kind] = report
    names = metric_names(config)
    aggregate = aggregate_reports(list(reports.values()), names)
    metrics_path = None
    if out_dir is not None:
        record = {"run_dir": str(run_dir), **results_record(config, reports, aggregate, selection)}
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        metrics_path = Path(out_dir) / "metrics.json"
        write_json(metrics_path, record)
    return RunEvaluation(config, run_dir, names, reports, aggregate, selection, metrics_path)
