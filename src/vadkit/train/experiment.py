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

**Class-aware methods** (:attr:`~vadkit.methods.base.WeakHead.class_aware`) get ``classes``, the dataset's
class names (:meth:`~vadkit.train.datasets.DatasetSpec.class_list`; ``method_config`` may override them
with a list of the same length, which renames the classes in order), their batches carry each training
video's class, and each checkpoint's class scores are also written, as
``run_dir/seed-<s>/class-scores-{last,selected}/<video>.npy`` ``(T, C)``, and evaluated by ``map@iou``
(:data:`~vadkit.train.classes.MAP_METRIC_NAMES`, :mod:`vadkit.train.classes`), which joins the protocol's
metrics everywhere results are written.

**Training-free methods** (:attr:`~vadkit.methods.base.WeakHead.trainable` ``False``, e.g.
``clip-zeroshot``) skip steps 1-3 but the label budget and feature standardisation: no validation split,
no training; the model as built is the one checkpoint (step 0,
:func:`~vadkit.train.trainer.training_free_checkpoint`), scored as both ``last`` and ``selected``, and
``metrics.json`` records "no training, no selection". ``select_on_test`` is refused for them.

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
from vadkit.train.classes import (
    MAP_METRIC_NAMES,
    ClassColumns,
    ClassList,
    class_columns,
    video_class_indices,
    with_class_detection,
    write_class_scores,
)
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
from vadkit.train.scoring import class_score_feature_set, score_feature_set
from vadkit.train.selection import SELECTION_CRITERIA, SelectionCriterion
from vadkit.train.source import FeatureSetLike
from vadkit.train.splits import carve_validation, limit_abnormal
from vadkit.train.trainer import TrainResult, train, training_free_checkpoint
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
            audio feature size (0, visual only, when the data has no audio); for class-aware methods
            ``classes`` defaults to the dataset's class names (:func:`method_defaults`).
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
        if self.select_on_test and not METHODS.get(self.method).trainable:
            raise ValidationError(
                f"ExperimentConfig: {self.method} is training-free: nothing is selected, so select_on_test "
                "does not apply"
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


def method_defaults(method: str, train_set: FeatureSet, classes: ClassList | None = None) -> dict[str, Any]:
    """Method options implied by the data, for the options the method takes: ``feature_dim`` (D of the
    training features; also for a method taking ``**kwargs``); ``audio_dim``, the audio feature size of the
    first training video (0 without audio); ``classes``, the names of the dataset's ``classes`` (class-aware
    methods; none when ``None``)."""
    head = METHODS.get(method)
    parameters = inspect.signature(head).parameters
    keywords = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    defaults: dict[str, Any] = {}
    if "feature_dim" in parameters or keywords:
        defaults["feature_dim"] = train_set.dim
    if "audio_dim" in parameters:
        audio = train_set.load_audio(train_set.videos[0]) if train_set.has_audio else None
        defaults["audio_dim"] = 0 if audio is None else int(audio.shape[-1])
    if head.class_aware and classes is not None:
        defaults["classes"] = list(classes.names)
    return defaults


def metric_names(config: ExperimentConfig) -> tuple[str, ...]:
    """The metrics an experiment reports: the protocol's, then ``map@iou`` for class-aware methods."""
    names = config.evaluation_protocol().metric_names
    return (*names, *MAP_METRIC_NAMES) if METHODS.get(config.method).class_aware else names


def run_class_columns(config: ExperimentConfig) -> ClassColumns | None:
    """What the class-score columns of a resolved configuration's runs are (``None``: the method is not
    class-aware; :func:`~vadkit.train.classes.class_columns`)."""
    if not METHODS.get(config.method).class_aware:
        return None
    return class_columns(
        list(config.method_config.get("classes", [])), config.dataset_spec().class_list(), config.dataset
    )


@dataclass(frozen=True)
class SeedResult:
    """One seed of an experiment.

    Attributes:
        seed: the seed.
        train: the training run (checkpoints, selected step, history; a training-free method's step 0).
        reports: ``{"last": report, "selected": report}`` on the test split.
        score_dirs: ``{"last": folder, "selected": folder}`` of the ``<video>.npy`` snippet scores.
        feature_norm: the saved standardisation statistics (``feature_norm="standardize"``), else ``None``.
        class_score_dirs: ``{"last": folder, "selected": folder}`` of the ``<video>.npy`` class scores
            (class-aware methods), else empty.
    """

    seed: int
    train: TrainResult
    reports: Mapping[str, EvalReport]
    score_dirs: Mapping[str, Path]
    feature_norm: Path | None = None
    class_score_dirs: Mapping[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` produced.

    Attributes:
        config: the resolved configuration (protocol, layout and data-implied method options filled in).
        run_dir: the experiment folder.
        seeds: every seed's result, in configuration order.
        metric_names: the metric names (:func:`metric_names`), in report order.
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
    if not METHODS.get(config.method).trainable:
        return {
            "criterion": "none (training-free)",
            "on": "none",
            "validation": None,
            "test_set_used_for_selection": False,
            "note": (
                f"{config.method} is training-free: no training, no selection; the last and the selected "
                "checkpoints are the same model (step 0)"
            ),
            "selected_steps": steps,
        }
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
    if not METHODS.get(config.method).trainable:
        chosen = "no training, no selection (training-free)"
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
        "metric_names": list(metric_names(config)),
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


def seed_splits(
    config: ExperimentConfig, seed: int, train_set: FeatureSetLike
) -> tuple[FeatureSetLike, FeatureSetLike | None]:
    """Step 1 of the module docstring: the fitted videos and the validation split of ``seed`` (``None`` with
    ``select_on_test`` and for training-free methods), before any standardisation. The same configuration,
    seed and training set always give the same splits, so a finished run's validation videos can be found
    again (e.g. to calibrate an alarm threshold on its normal ones)."""
    budgeted: FeatureSetLike = (
        train_set
        if config.abnormal_videos is None
        else limit_abnormal(train_set, config.abnormal_videos, seed=seed)
    )
    if config.select_on_test or not METHODS.get(config.method).trainable:
        return budgeted, None
    return carve_validation(budgeted, config.val_fraction, seed=seed)


def _run_seed(
    config: ExperimentConfig,
    seed: int,
    data: ExperimentData,
    run_dir: Path,
    progress: bool,
    class_indices: Mapping[str, int] | None,
    columns: ClassColumns | None,
) -> SeedResult:
    """Steps 1-4 of the module docstring for one seed (training-free and class-aware methods as it says)."""
    fit, validation = seed_splits(config, seed, data.train)
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
    if METHODS.get(config.method).trainable:
        result = train(
            config.train_config(seed),
            fit,
            validation,
            run_dir=seed_dir,
            test_fn=test_fn,
            progress=progress,
            class_indices=class_indices,
        )
    else:
        result = training_free_checkpoint(config.train_config(seed), seed_dir)
    checkpoints = {"last": result.last_checkpoint, "selected": result.selected_checkpoint}
    reports, score_dirs, class_dirs = {}, {}, {}
    for kind in CHECKPOINT_KINDS:
        model = load_checkpoint(checkpoints[kind])
        scores = score_feature_set(model, test)
        score_dirs[kind] = _write_scores(seed_dir / f"scores-{kind}", scores)
        report = marked_report(evaluate(data.protocol, data.test_ground_truth, scores), kind, config)
        if columns is not None:
            class_scores = class_score_feature_set(model, test)
            class_dirs[kind] = write_class_scores(seed_dir / f"class-scores-{kind}", class_scores)
            report = with_class_detection(
                report, class_scores, data.test_ground_truth, columns, data.protocol.snippet_length
            )
        reports[kind] = report
    return SeedResult(seed, result, reports, score_dirs, norm_path, class_dirs)


def _resolved_config(
    config: ExperimentConfig, data: ExperimentData, classes: ClassList | None
) -> ExperimentConfig:
    """``config`` with the data-implied method options and the layout read filled in.

    Raises:
        ValidationError: a class-aware method without classes (none given, none in the dataset), or a
            trainable one on a dataset without classes or given a class list of another length.
    """
    head = METHODS.get(config.method)
    defaults = method_defaults(config.method, data.train, classes)
    resolved = dataclasses.replace(
        config,
        method_config=dict(config.train_config(config.seeds[0], defaults).method_config),
        layout=data.layout,
    )
    if head.class_aware:
        given = resolved.method_config.get("classes")
        if classes is None and given is None:
            raise ValidationError(
                f"{config.method} is class-aware and dataset {config.dataset} has no classes: give them as "
                "method_config classes (normal first)"
            )
        if head.trainable and (
            classes is None or not isinstance(given, list) or len(given) != len(classes.names)
        ):
            known = "none" if classes is None else ", ".join(classes.names)
            raise ValidationError(
                f"{config.method} trains on each video's class: classes must name the classes of "
                f"{config.dataset} in order ({known}), got {given!r}"
            )
    return resolved


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
    spec = config.dataset_spec()
    data = spec.load(protocol)
    head = METHODS.get(config.method)
    classes = spec.class_list() if head.class_aware else None
    resolved = _resolved_config(config, data, classes)
    class_indices = (
        video_class_indices(data.train, classes)
        if head.class_aware and head.trainable and classes is not None
        else None
    )
    config_path = run_dir / "config.json"
    write_json(config_path, resolved.to_dict())

    columns = run_class_columns(resolved)
    seeds = [
        _run_seed(resolved, seed, data, run_dir, progress, class_indices, columns) for seed in resolved.seeds
    ]
    names = metric_names(resolved)
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
                "last_step": resolved.steps if head.trainable else 0,
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
