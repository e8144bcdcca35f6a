"""An experiment on the synthetic benchmark: one method trained over several seeds, evaluated honestly.

For each seed ``s`` of the configuration, :func:`run_experiment`

1. takes the ``train`` split of a ``vadkit synth`` dataset with its ``vadkit extract`` features, applies the
   label budget (:func:`~vadkit.train.splits.limit_abnormal`, seeded by ``s``) and carves the validation split
   from what is left (:func:`~vadkit.train.splits.carve_validation`, seeded by ``s``). The dataset's own
   ``val`` split is not used: selection sees video-level labels of training videos only;
2. trains into ``run_dir/seed-<s>/`` (:func:`~vadkit.train.trainer.train`; a finished seed is returned as
   it is, an interrupted one resumes);
3. scores the ``test`` split with the last and with the validation-selected checkpoint, writes the snippet
   scores as ``run_dir/seed-<s>/scores-{last,selected}/<video>.npy`` (``vadkit eval`` reads them) and
   evaluates them under the protocol against ``build_ground_truth("synthetic", data_root, split="test")``.

It then writes ``run_dir/config.json`` (the resolved configuration), ``run_dir/metrics.json`` (every
seed's reports, the aggregate mean and std per checkpoint kind, the selection record) and
``run_dir/results.csv`` (:mod:`vadkit.train.results`, which also defines the std used).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from vadkit.data import build_ground_truth
from vadkit.data.feature_sets import synthetic_feature_set
from vadkit.errors import ValidationError
from vadkit.eval import evaluate, get_protocol
from vadkit.train.checkpoint import load_checkpoint
from vadkit.train.config import TrainConfig, reject_unknown_fields
from vadkit.train.results import STD_KIND, aggregate_metrics, write_results_csv
from vadkit.train.scoring import score_feature_set
from vadkit.train.selection import SELECTION_CRITERIA, SelectionCriterion
from vadkit.train.splits import carve_validation, limit_abnormal
from vadkit.train.trainer import TrainResult, train
from vadkit.types import EvalReport, save_npy, write_json

CHECKPOINT_KINDS: tuple[str, ...] = ("last", "selected")
"""The checkpoints every seed is evaluated with: the last step and the validation-selected step."""

VALIDATION_CRITERIA: tuple[str, ...] = tuple(c for c in SELECTION_CRITERIA if c != "frame")
"""Criteria usable on a validation split carved from training videos (video-level labels only)."""


@dataclass(frozen=True)
class ExperimentConfig:
    """What an experiment trains and on which data.

    Attributes:
        method: registered method name.
        method_config: keyword arguments of the method (JSON values); ``feature_dim`` defaults to the
            feature size of the data.
        data_root: a ``vadkit synth`` dataset folder.
        feature_dir: the ``vadkit extract`` output for its videos.
        seeds: one training run per seed; each seeds the label budget, the validation split and the run.
        val_fraction: share of each label's training videos held out for validation, in ``(0, 1)``.
        abnormal_videos: label budget ``K`` (abnormal training videos kept, validation included), or ``None``
            for all.
        steps, batch_size, eval_every: as :class:`~vadkit.train.config.TrainConfig`.
        selection: validation criterion, ``"video-auc-max"`` or ``"video-auc-topk"``.
        protocol: the evaluation protocol of the test split.
    """

    method: str
    data_root: str
    feature_dir: str
    method_config: Mapping[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    val_fraction: float = 0.2
    abnormal_videos: int | None = None
    steps: int = 1000
    batch_size: int = 32
    eval_every: int = 100
    selection: SelectionCriterion = "video-auc-max"
    protocol: str = "synthetic"

    def __post_init__(self) -> None:
        try:
            config = json.loads(json.dumps(dict(self.method_config)))
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"ExperimentConfig: method_config must hold JSON values ({exc})") from exc
        object.__setattr__(self, "method_config", MappingProxyType(config))
        object.__setattr__(self, "data_root", str(self.data_root))
        object.__setattr__(self, "feature_dir", str(self.feature_dir))
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
        get_protocol(self.protocol)
        self.train_config(self.seeds[0])

    def train_config(self, seed: int, feature_dim: int | None = None) -> TrainConfig:
        """The :class:`~vadkit.train.config.TrainConfig` of seed ``seed``; ``feature_dim`` fills the method's
        ``feature_dim`` when the method configuration does not give one."""
        method_config = dict(self.method_config)
        if feature_dim is not None:
            method_config.setdefault("feature_dim", feature_dim)
        return TrainConfig(
            self.method,
            method_config,
            steps=self.steps,
            batch_size=self.batch_size,
            eval_every=self.eval_every,
            seed=seed,
            selection=self.selection,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of every field."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["method_config"] = dict(self.method_config)
        data["seeds"] = list(self.seeds)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExperimentConfig:
        """The configuration written by :meth:`to_dict`.

        Raises:
            ValidationError: unknown keys or invalid values.
        """
        reject_unknown_fields(cls, data)
        values = dict(data)
        if "seeds" in values:
            values["seeds"] = tuple(values["seeds"])
        return cls(**values)


@dataclass(frozen=True)
class SeedResult:
    """One seed of an experiment.

    Attributes:
        seed: the seed.
        train: the training run (checkpoints, selected step, history).
        reports: ``{"last": report, "selected": report}`` on the test split.
        score_dirs: ``{"last": folder, "selected": folder}`` of the ``<video>.npy`` snippet scores.
    """

    seed: int
    train: TrainResult
    reports: Mapping[str, EvalReport]
    score_dirs: Mapping[str, Path]


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` produced.

    Attributes:
        config: the resolved configuration (``feature_dim`` filled in).
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


def run_experiment(
    config: ExperimentConfig, run_dir: str | Path, *, progress: bool = True
) -> ExperimentResult:
    """Train, select on validation, and evaluate ``config.method`` over ``config.seeds`` (module docstring).

    Args:
        config: the experiment.
        run_dir: the experiment folder (created); finished seeds in it are reused, interrupted ones resumed.
        progress: show the trainer's progress bars.

    Returns:
        Per-seed reports and the aggregate, with the paths of the files written.

    Raises:
        ValidationError / AnnotationError / LengthMismatchError: unreadable data or features, a label budget
            larger than the abnormal training videos, too few videos to carve a validation split, or a run
            folder holding a run with another configuration.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    train_set = synthetic_feature_set(config.data_root, config.feature_dir, "train")
    test_set = synthetic_feature_set(config.data_root, config.feature_dir, "test")
    test_gt = build_ground_truth("synthetic", config.data_root, split="test")
    protocol = get_protocol(config.protocol)
    resolved = dataclasses.replace(
        config, method_config=dict(config.train_config(config.seeds[0], train_set.dim).method_config)
    )
    config_path = run_dir / "config.json"
    write_json(config_path, resolved.to_dict())

    seeds = []
    for seed in resolved.seeds:
        budgeted = (
            train_set
            if resolved.abnormal_videos is None
            else limit_abnormal(train_set, resolved.abnormal_videos, seed=seed)
        )
        fit, validation = carve_validation(budgeted, resolved.val_fraction, seed=seed)
        seed_dir = run_dir / f"seed-{seed}"
        result = train(resolved.train_config(seed), fit, validation, run_dir=seed_dir, progress=progress)
        checkpoints = {"last": result.last_checkpoint, "selected": result.selected_checkpoint}
        reports, score_dirs = {}, {}
        for kind in CHECKPOINT_KINDS:
            scores = score_feature_set(load_checkpoint(checkpoints[kind]), test_set)
            score_dirs[kind] = _write_scores(seed_dir / f"scores-{kind}", scores)
            reports[kind] = evaluate(protocol, test_gt, scores)
        seeds.append(SeedResult(seed, result, reports, score_dirs))

    names = protocol.metric_names
    aggregate = {
        kind: aggregate_metrics([s.reports[kind].metrics for s in seeds], names) for kind in CHECKPOINT_KINDS
    }
    metrics_path = run_dir / "metrics.json"
    write_json(metrics_path, _metrics_record(resolved, seeds, names, aggregate))
    results_path = write_results_csv(
        run_dir / "results.csv",
        {s.seed: {kind: s.reports[kind].metrics for kind in CHECKPOINT_KINDS} for s in seeds},
        aggregate,
        names,
    )
    return ExperimentResult(
        resolved, run_dir, tuple(seeds), names, aggregate, metrics_path, results_path, config_path
    )


def _metrics_record(
    config: ExperimentConfig,
    seeds: list[SeedResult],
    names: tuple[str, ...],
    aggregate: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> dict[str, Any]:
    """The ``metrics.json`` payload of an experiment."""
    return {
        "method": config.method,
        "protocol": config.protocol,
        "metric_names": list(names),
        "headline_metric": get_protocol(config.protocol).headline_name,
        "seeds": [s.seed for s in seeds],
        "selection": {
            "criterion": config.selection,
            "on": "validation",
            "validation": (
                f"carved from the train split (fraction {config.val_fraction}, stratified, seeded per seed); "
                "the dataset's val split and the test split are not used for selection"
            ),
            "test_set_used_for_selection": False,
            "selected_steps": {str(s.seed): s.train.selected_step for s in seeds},
        },
        "label_budget": {"abnormal_videos": config.abnormal_videos},
        "std": STD_KIND,
        "aggregate": {
            kind: {
                name: {stat: _json_number(value) for stat, value in values.items()}
                for name, values in metrics.items()
            }
            for kind, metrics in aggregate.items()
        },
        "per_seed": {
            str(s.seed): {
                "selected_step": s.train.selected_step,
                "selected_value": s.train.selected_value,
                "last_step": config.steps,
                "checkpoints": {
                    "last": str(s.train.last_checkpoint),
                    "selected": str(s.train.selected_checkpoint),
                },
                **{kind: s.reports[kind].to_dict() for kind in CHECKPOINT_KINDS},
            }
            for s in seeds
        },
    }
