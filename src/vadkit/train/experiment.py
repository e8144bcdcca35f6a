"""An experiment: one method trained over several seeds on one dataset, evaluated honestly.

The data is a :class:`~vadkit.train.datasets.DatasetSpec` (vadkit's synthetic benchmark, or a public feature
release of UCF-Crime, XD-Violence or ShanghaiTech) given by flat fields of :class:`ExperimentConfig`. For each
seed ``s`` of the configuration, :func:`run_experiment`

1. applies the label budget to the training videos (:func:`~vadkit.train.splits.limit_abnormal`, seeded by
   ``s``) and carves the validation split from what is left (:func:`~vadkit.train.splits.carve_validation`,
   seeded by ``s``): selection sees video-level labels of training videos only (a synthetic dataset's own
   ``val`` split is not used). With ``select_on_test`` no validation split is carved: every training video
   is fitted and the checkpoint is selected on the test protocol's headline metric, as the reference code of
   several papers does; this is recorded in ``metrics.json`` and in every report;
2. with ``feature_norm="standardize"``, fits per-dimension statistics on the fitted videos
   (:mod:`vadkit.train.normalization`), saves them as ``run_dir/seed-<s>/feature_norm.npz`` and standardises
   every load of fitted, validation and test features;
3. trains into ``run_dir/seed-<s>/`` (:func:`~vadkit.train.trainer.train`; a finished seed is returned as
   it is, an interrupted one resumes);
4. scores the test videos with the last and with the selected checkpoint, writes the snippet scores as
   ``run_dir/seed-<s>/scores-{last,selected}/<video>.npy`` and evaluates them under the protocol against the
   dataset's test ground truth (:meth:`~vadkit.train.datasets.DatasetSpec.ground_truth`).

It then writes ``run_dir/config.json`` (the resolved configuration), ``run_dir/metrics.json`` (every
seed's reports, the aggregate mean and std per checkpoint kind, the selection record) and
``run_dir/results.csv`` (:mod:`vadkit.train.results`, which also defines the std used).
:func:`vadkit.train.run_eval.evaluate_run` re-evaluates the score files of a run folder.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from vadkit.data import FeatureSet
from vadkit.errors import ValidationError
from vadkit.eval import Protocol, evaluate, get_protocol
from vadkit.methods import METHODS, WeakHead
from vadkit.train.checkpoint import load_checkpoint
from vadkit.train.config import RecipeChoice, TrainConfig, reject_unknown_fields
from vadkit.train.datasets import DatasetSpec, ExperimentData
from vadkit.train.normalization import (
    FEATURE_NORMS,
    NORM_FILE,
    FeatureNorm,
    StandardizedFeatureSet,
    fitted_standardizer,
)
from vadkit.train.results import STD_KIND, aggregate_metrics, write_results_csv
from vadkit.train.scoring import score_feature_set
from vadkit.train.selection import SELECTION_CRITERIA, SelectionCriterion
from vadkit.train.source import FeatureSetLike
from vadkit.train.splits import carve_validation, limit_abnormal
from vadkit.train.trainer import TrainResult, train
from vadkit.types import EvalReport, GroundTruth, save_npy, write_json

CHECKPOINT_KINDS: tuple[str, ...] = ("last", "selected")
"""The checkpoints every seed is evaluated with: the last step and the selected step."""

VALIDATION_CRITERIA: tuple[str, ...] = tuple(c for c in SELECTION_CRITERIA if c != "frame")
"""Criteria usable on a validation split carved from training videos (video-level labels only)."""

DATASET_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(DatasetSpec))
"""The fields of :class:`ExperimentConfig` that make its :class:`~vadkit.train.datasets.DatasetSpec`."""


@dataclass(frozen=True)
class ExperimentConfig:
    """What an experiment trains, on which data, and how it selects; every field is a flat JSON value.

    Attributes:
        method: registered method name.
        data_root, feature_dir: ``dataset="synthetic"``: a ``vadkit synth`` folder and its ``vadkit extract``
            output.
        method_config: keyword arguments of the method (JSON values); ``feature_dim`` defaults to the
            feature size of the data and, for methods taking audio (``audio_dim``), ``audio_dim`` to the
            audio feature size (0, visual only, when the data has no audio).
        seeds: one training run per seed; each seeds the label budget, the validation split and the run.
        val_fraction: share of each label's training videos held out for validation, in ``(0, 1)``; unused
            with ``select_on_test``.
        abnormal_videos: label budget ``K`` (abnormal training videos kept, validation included), or ``None``
            for all.
        steps, batch_size, eval_every, lr, recipe, device: as :class:`~vadkit.train.config.TrainConfig`
            (``lr``: ``None`` keeps the method's reference rates; ``recipe``: ``"reference"`` follows the
            method's reference batches and learning-rate schedule, ``"balanced"`` balanced videos at a
            constant rate).
        selection: validation criterion, ``"video-auc-max"`` or ``"video-auc-topk"``.
        protocol: the evaluation protocol; ``None``: the dataset's (its name). Must evaluate the dataset.
        dataset, feature_root, test_feature_root, train_list, test_list, gt, gt_options, layout, keep_parts,
            train_audio_list, test_audio_list, check_counts: the data, see
            :class:`~vadkit.train.datasets.DatasetSpec`.
        select_on_test: select the checkpoint on the test set's headline metric instead of a validation
            split, to reproduce papers that do so; recorded wherever results are written.
        feature_norm: ``"none"`` or ``"standardize"`` (:mod:`vadkit.train.normalization`).
    """

    method: str
    data_root: str | None = None
    feature_dir: str | None = None
    method_config: Mapping[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    val_fraction: float = 0.2
    abnormal_videos: int | None = None
    steps: int = 1000
    batch_size: int = 32
    eval_every: int = 100
    selection: SelectionCriterion = "video-auc-max"
    protocol: str | None = None
    dataset: str = "synthetic"
    feature_root: str | None = None
    test_feature_root: str | None = None
    train_list: str | None = None
    test_list: str | None = None
    gt: str | None = None
    gt_options: Mapping[str, Any] = field(default_factory=dict)
    layout: str | None = None
    keep_parts: int | None = None
    train_audio_list: str | None = None
    test_audio_list: str | None = None
    check_counts: bool = True
    lr: float | None = None
    select_on_test: bool = False
    feature_norm: FeatureNorm = "none"
    device: str = "cpu"
    recipe: RecipeChoice = "reference"

    def __post_init__(self) -> None:
        try:
            config = json.loads(json.dumps(dict(self.method_config)))
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"ExperimentConfig: method_config must hold JSON values ({exc})") from exc
        object.__setattr__(self, "method_config", MappingProxyType(config))
        spec = DatasetSpec(**{name: getattr(self, name) for name in DATASET_FIELDS})
        for name in DATASET_FIELDS:
            object.__setattr__(self, name, getattr(spec, name))
        seeds = tuple(self.seeds)
        if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
            raise ValidationError(f"ExperimentConfig: seeds must be non-negative integers, got {seeds!r}")
        if len(set(seeds)) != len(seeds):
            raise ValidationError(f"ExperimentConfig: seeds repeat, got {seeds!r}")
        object.__setattr__(self, "seeds", seeds)
        if not (isinstance(self.val_fraction, (int, float)) and 0.0 < self.val_fraction < 1.0):
            raise ValidationError(
                f"ExperimentConfig: val_fraction must lie in (0, 1), got {self.val_fraction!r}"
            )
        budget = self.abnormal_videos
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
            raise ValidationError(
                f"ExperimentConfig: abnormal_videos must be a positive integer or None, got {budget!r}"
            )
        if self.selection not in VALIDATION_CRITERIA:
            raise ValidationError(
                f"ExperimentConfig: selection must be one of {', '.join(VALIDATION_CRITERIA)} (the "
                f"validation split is carved from training videos, which have video-level labels only), got "
                f"{self.selection!r}"
            )
        if not isinstance(self.select_on_test, bool):
            raise ValidationError(
                f"ExperimentConfig: select_on_test must be a bool, got {self.select_on_test!r}"
            )
        if self.feature_norm not in FEATURE_NORMS:
            raise ValidationError(
                f"ExperimentConfig: feature_norm must be one of {', '.join(FEATURE_NORMS)}, got "
                f"{self.feature_norm!r}"
            )
        protocol = get_protocol(self.protocol or spec.kind.protocol)
        if protocol.dataset != spec.kind.benchmark:
            raise ValidationError(
                f"ExperimentConfig: protocol {protocol.name} evaluates {protocol.dataset}, not the dataset "
                f"{self.dataset}"
            )
        object.__setattr__(self, "protocol", protocol.name)
        self.train_config(self.seeds[0])

    def dataset_spec(self) -> DatasetSpec:
        """The data of the experiment."""
        return DatasetSpec(**{name: getattr(self, name) for name in DATASET_FIELDS})

    def evaluation_protocol(self) -> Protocol:
        """The protocol the test split is evaluated under."""
        return get_protocol(self.protocol or self.dataset_spec().kind.protocol)

    def train_config(self, seed: int, data_defaults: Mapping[str, Any] | None = None) -> TrainConfig:
        """The :class:`~vadkit.train.config.TrainConfig` of seed ``seed``; ``data_defaults``
        (:func:`method_defaults`) fill the method options the method configuration does not give."""
        return TrainConfig(
            self.method,
            {**dict(data_defaults or {}), **self.method_config},
            steps=self.steps,
            batch_size=self.batch_size,
            lr=self.lr,
            eval_every=self.eval_every,
            seed=seed,
            device=self.device,
            selection=self.selection,
            select_on_test=self.select_on_test,
            recipe=self.recipe,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of every field."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["method_config"] = dict(self.method_config)
        data["gt_options"] = dict(self.gt_options)
        data["seeds"] = list(self.seeds)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExperimentConfig:
        """The configuration written by :meth:`to_dict` (older files without the newer fields load with
        their defaults).

        Raises:
            ValidationError: unknown keys or invalid values.
        """
        reject_unknown_fields(cls, data)
        values = dict(data)
        if "seeds" in values:
            values["seeds"] = tuple(values["seeds"])
        return cls(**values)


def method_defaults(method: str, train_set: FeatureSet) -> dict[str, int]:
    """Method options implied by the data: ``feature_dim`` (D of the training features) and, when the method
    takes an ``audio_dim``, the audio feature size of the first training video (0 without audio)."""
    defaults = {"feature_dim": train_set.dim}
    if "audio_dim" in inspect.signature(METHODS.get(method)).parameters:
        audio = train_set.load_audio(train_set.videos[0]) if train_set.has_audio else None
        defaults["audio_dim"] = 0 if audio is None else int(audio.shape[-1])
    return defaults


@dataclass(frozen=True)
class SeedResult:
    """One seed of an experiment.

    Attributes:
        seed: the seed.
        train: the training run (checkpoints, selected step, history).
        reports: ``{"last": report, "selected": report}`` on the test split.
        score_dirs: ``{"last": folder, "selected": folder}`` of the ``<video>.npy`` snippet scores.
        feature_norm: the saved standardisation statistics (``feature_norm="standardize"``), else ``None``.
    """

    seed: int
    train: TrainResult
    reports: Mapping[str, EvalReport]
    score_dirs: Mapping[str, Path]
    feature_norm: Path | None = None


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` produced.

    Attributes:
        config: the resolved configuration (protocol, layout and data-implied method options filled in).
        run_dir: the experiment folder.
        seeds: every seed's result, in configuration order.
        metric_names: the protocol's metric names, in report order.
        aggregate: ``{kind: {metric: {"mean": m, "std": s}}}`` over seeds (std: :mod:`vadkit.train.results`).
        metrics_path, results_path, config_path: the files written.
    """

    config: ExperimentConfig
    run_dir: Path
    seeds: tuple[SeedResult, ...]
    metric_names: tuple[str, ...]
    aggregate: Mapping[str, Mapping[str, Mapping[str, float]]]
    metrics_path: Path
    results_path: Path
    config_path: Path


def _write_scores(folder: Path, scores: Mapping[str, np.ndarray]) -> Path:
    """Save ``{video: (T,) snippet scores}`` as ``folder/<video>.npy`` (replacing earlier files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in scores.items():
        save_npy(folder / f"{name}.npy", np.asarray(values, dtype=np.float32))
    return folder


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else value


def selection_record(config: ExperimentConfig, selected_steps: Mapping[int, int]) -> dict[str, Any]:
    """The ``selection`` entry of ``metrics.json``: what the selected checkpoints were selected on."""
    steps = {str(seed): step for seed, step in selected_steps.items()}
    if config.select_on_test:
        headline = config.evaluation_protocol().headline_name
        return {
            "criterion": f"test {headline}",
            "on": "test",
            "validation": None,
            "test_set_used_for_selection": True,
            "note": (
                "select_on_test: the selected checkpoints maximise the test metric, as some papers' code "
                "does; their numbers are optimistic, not an estimate on unseen videos (the last checkpoints "
                "are not selected)"
            ),
            "selected_steps": steps,
        }
    return {
        "criterion": config.selection,
        "on": "validation",
        "validation": (
            f"carved from the training videos (fraction {config.val_fraction}, stratified, seeded per seed); "
            "the test split is not used for selection"
        ),
        "test_set_used_for_selection": False,
        "selected_steps": steps,
    }


def marked_report(report: EvalReport, kind: str, config: ExperimentConfig) -> EvalReport:
    """``report`` of checkpoint ``kind`` with its settings saying how that checkpoint was chosen."""
    on_test = kind == "selected" and config.select_on_test
    chosen = "last step" if kind == "last" else ("test" if on_test else "validation")
    settings = {**report.settings, "checkpoint": kind, "checkpoint_chosen_by": chosen}
    settings["test_set_used_for_selection"] = on_test
    return dataclasses.replace(report, settings=settings)


def aggregate_reports(
    reports: Sequence[Mapping[str, EvalReport]], names: Sequence[str]
) -> dict[str, dict[str, dict[str, float]]]:
    """``{kind: {metric: {"mean": m, "std": s}}}`` over the seeds' ``{kind: report}`` mappings
    (:func:`~vadkit.train.results.aggregate_metrics`)."""
    return {
        kind: aggregate_metrics([seed[kind].metrics for seed in reports], names) for kind in CHECKPOINT_KINDS
    }


def results_record(
    config: ExperimentConfig,
    reports: Mapping[int, Mapping[str, EvalReport]],
    aggregate: Mapping[str, Mapping[str, Mapping[str, float]]],
    selection: Mapping[str, Any],
) -> dict[str, Any]:
    """The part of ``metrics.json`` that scores determine: protocol, metric names, the aggregate and every
    seed's reports (``per_seed[seed][kind]``), with the selection record."""
    protocol = config.evaluation_protocol()
    return {
        "method": config.method,
        "dataset": config.dataset,
        "protocol": protocol.name,
        "metric_names": list(protocol.metric_names),
        "headline_metric": protocol.headline_name,
        "seeds": list(reports),
        "selection": dict(selection),
        "label_budget": {"abnormal_videos": config.abnormal_videos},
        "feature_norm": config.feature_norm,
        "std": STD_KIND,
        "aggregate": {
            kind: {
                name: {stat: _json_number(value) for stat, value in values.items()}
                for name, values in metrics.items()
            }
            for kind, metrics in aggregate.items()
        },
        "per_seed": {
            str(seed): {kind: kinds[kind].to_dict() for kind in CHECKPOINT_KINDS}
            for seed, kinds in reports.items()
        },
    }


def _test_metric(
    model: WeakHead, *, test_set: FeatureSetLike, truth: Mapping[str, GroundTruth], protocol: Protocol
) -> float:
    """The protocol's headline metric of ``model`` on the test set (``select_on_test`` only)."""
    return float(
        evaluate(protocol, truth, score_feature_set(model, test_set)).metrics[protocol.headline_name]
    )


def _run_seed(
    config: ExperimentConfig, seed: int, data: ExperimentData, run_dir: Path, progress: bool
) -> SeedResult:
    """Steps 1-4 of the module docstring for one seed."""
    budgeted: FeatureSetLike = (
        data.train
        if config.abnormal_videos is None
        else limit_abnormal(data.train, config.abnormal_videos, seed=seed)
    )
    fit, validation = (
        (budgeted, None)
        if config.select_on_test
        else carve_validation(budgeted, config.val_fraction, seed=seed)
    )
    test: FeatureSetLike = data.test
    seed_dir = run_dir / f"seed-{seed}"
    norm_path = None
    if config.feature_norm == "standardize":
        norm_path = seed_dir / NORM_FILE
        standardizer = fitted_standardizer(fit, norm_path)
        fit, test = StandardizedFeatureSet(fit, standardizer), StandardizedFeatureSet(test, standardizer)
        if validation is not None:
            validation = StandardizedFeatureSet(validation, standardizer)
    test_fn = (
        functools.partial(_test_metric, test_set=test, truth=data.test_ground_truth, protocol=data.protocol)
        if config.select_on_test
        else None
    )
    result = train(
        config.train_config(seed), fit, validation, run_dir=seed_dir, test_fn=test_fn, progress=progress
    )
    checkpoints = {"last": result.last_checkpoint, "selected": result.selected_checkpoint}
    reports, score_dirs = {}, {}
    for kind in CHECKPOINT_KINDS:
        scores = score_feature_set(load_checkpoint(checkpoints[kind]), test)
        score_dirs[kind] = _write_scores(seed_dir / f"scores-{kind}", scores)
        reports[kind] = marked_report(evaluate(data.protocol, data.test_ground_truth, scores), kind, config)
    return SeedResult(seed, result, reports, score_dirs, norm_path)


def run_experiment(
    config: ExperimentConfig, run_dir: str | Path, *, progress: bool = True
) -> ExperimentResult:
    """Train, select, and evaluate ``config.method`` over ``config.seeds`` (module docstring).

    Args:
        config: the experiment.
        run_dir: the experiment folder (created); finished seeds in it are reused, interrupted ones resumed.
        progress: show the trainer's progress bars.

    Returns:
        Per-seed reports and the aggregate, with the paths of the files written.

    Raises:
        ValidationError / AnnotationError / LengthMismatchError: unreadable data, lists, annotations or
            features (naming the file or video), test features whose lengths do not fit the ground truth, a
            label budget larger than the abnormal training videos, too few videos to carve a validation
            split, or a run folder holding a run with another configuration.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    protocol = config.evaluation_protocol()
    data = config.dataset_spec().load(protocol)
    defaults = method_defaults(config.method, data.train)
    resolved = dataclasses.replace(
        config,
        method_config=dict(config.train_config(config.seeds[0], defaults).method_config),
        layout=data.layout,
    )
    config_path = run_dir / "config.json"
    write_json(config_path, resolved.to_dict())

    seeds = [_run_seed(resolved, seed, data, run_dir, progress) for seed in resolved.seeds]
    names = protocol.metric_names
    aggregate = aggregate_reports([s.reports for s in seeds], names)
    record = results_record(
        resolved,
        {s.seed: s.reports for s in seeds},
        aggregate,
        selection_record(resolved, {s.seed: s.train.selected_step for s in seeds}),
    )
    for s in seeds:
        record["per_seed"][str(s.seed)].update(
            {
                "selected_step": s.train.selected_step,
                "selected_value": s.train.selected_value,
                "last_step": resolved.steps,
                "checkpoints": {
                    "last": str(s.train.last_checkpoint),
                    "selected": str(s.train.selected_checkpoint),
                },
                "feature_norm": None if s.feature_norm is None else str(s.feature_norm),
            }
        )
    metrics_path = run_dir / "metrics.json"
    write_json(metrics_path, record)
    results_path = write_results_csv(
        run_dir / "results.csv",
        {s.seed: {kind: s.reports[kind].metrics for kind in CHECKPOINT_KINDS} for s in seeds},
        aggregate,
        names,
    )
    return ExperimentResult(
        resolved, run_dir, tuple(seeds), names, aggregate, metrics_path, results_path, config_path
    )
