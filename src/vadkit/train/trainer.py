"""The weakly-supervised training loop: plain PyTorch, the references' batches and learning-rate schedules,
validation-based model selection.

**Recipe.** The run follows ``config.train_recipe()``: by default the method's reference recipe
(:attr:`~vadkit.methods.base.WeakHead.train_recipe`), with ``recipe="balanced"`` balanced videos at a constant
rate for every method. Its batching picks the sampler (:func:`~vadkit.train.batches.make_sampler`); its
schedule sets, before every step, each parameter group's rate to the group's initial rate (the reference
optimiser's, after the ``lr`` override) times ``lr_schedule.factor(step // steps_per_epoch)``, with the
sampler's :attr:`~vadkit.train.batches.BatchSampler.steps_per_epoch`. The rate is a pure function of the
step, so nothing about it is saved or restored.

One step: the sampler's batch of the step, ``loss, parts = model.loss(batch)`` in train mode,
``loss.backward()``, one optimiser step. Every ``eval_every`` steps and after the last one the model scores
every validation video in full (:func:`~vadkit.train.scoring.score_feature_set`) and the selection criterion
(:mod:`vadkit.train.selection`) is computed; the first evaluation is selected, and a later one replaces it
when its value is strictly greater. The selected model and the last one are both kept as checkpoints
(:mod:`vadkit.train.checkpoint`).

**Determinism.** The run is seeded by ``config.seed`` inside ``torch.random.fork_rng`` (the caller's RNG
state is left untouched): the model is initialised right after ``torch.manual_seed(seed)``, dropout and
other random draws of the losses use the torch generator, and the batches and learning rates are pure
functions of the seed and the step. On CPU ``torch.use_deterministic_algorithms(True)`` is set for the run
(and restored after), so two runs with the same configuration, data and thread count give bit-identical
weights.

Every checkpoint record holds the configuration and the resolved recipe (``"recipe"``: batching, epoch
milestones and gamma of the learning rate, and the epoch length in steps).

**Resume.** A resumable checkpoint (every ``checkpoint_every`` steps and after the last) holds the weights,
the optimiser state, the torch RNG state, the history, the selection so far and the running loss sums. When
``run_dir`` already holds one, :func:`train` checks that the configuration and the data are the same and
continues from its step; on CPU the continued run ends bit-identical to an uninterrupted one.

**Honest selection.** Selection uses the validation split (video-level labels, unless the ``"frame"``
criterion is chosen explicitly). Selecting on the test set needs ``config.select_on_test=True`` *and* a
``test_fn``; it is written into every checkpoint record (``selection.on = "test"``).

**Classes.** A class-aware method (:attr:`~vadkit.methods.base.WeakHead.class_aware`) needs the class index
of every training video (``class_indices``), which its batches carry (:mod:`vadkit.train.batches`).

**Training-free methods** (:attr:`~vadkit.methods.base.WeakHead.trainable` ``False``) are not trained:
:func:`training_free_checkpoint` writes the model as built, as the one checkpoint of step 0 that is both the
last and the "selected" one (``selection.on = "none"``: nothing was selected).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from vadkit import __version__
from vadkit.errors import ValidationError
from vadkit.methods import METHODS, WeakBatch, WeakHead, create_method, read_state_dict
from vadkit.train.batches import make_sampler
from vadkit.train.cache import LRUCache
from vadkit.train.checkpoint import (
    CHECKPOINTS,
    MODEL_FILE,
    RESUMABLE_PREFIX,
    SELECTED_PREFIX,
    checkpoint_name,
    latest_checkpoint,
    optimizer_arrays,
    prune,
    read_info,
    read_trainer_state,
    remove_temporary,
    restore_optimizer,
    write_checkpoint,
)
from vadkit.train.config import TrainConfig
from vadkit.train.progress import ScalarLog, TrainingProgress
from vadkit.train.scoring import evaluating, score_feature_set
from vadkit.train.selection import selection_value
from vadkit.train.source import FeatureSetLike, describe
from vadkit.types import GroundTruth

SelectedOn = Literal["validation", "test", "none"]
"""What chose the selected checkpoint; ``"none"`` for a training-free method (nothing to choose from)."""
TestFunction = Callable[[WeakHead], float]
"""Scores a model (in eval mode, without gradients) on the test set: the metric to maximise."""


@dataclass(frozen=True)
class EvalRecord:
    """One evaluation of a run.

    Attributes:
        step: steps done when evaluated (1-based).
        train_loss: mean training loss over the steps since the previous evaluation.
        train_parts: mean of each named part of the loss over the same steps.
        validation: the selection criterion on the validation split; ``None`` without a validation split, or
            when undefined (non-finite scores).
        test: the ``test_fn`` value (``select_on_test`` runs only); ``None`` otherwise or when non-finite.
    """

    step: int
    train_loss: float
    train_parts: Mapping[str, float] = field(default_factory=dict)
    validation: float | None = None
    test: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "step": self.step,
            "train_loss": self.train_loss,
            "train_parts": dict(self.train_parts),
            "validation": self.validation,
            "test": self.test,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalRecord:
        """The record written by :meth:`to_dict`."""
        return cls(**data)


@dataclass(frozen=True)
class TrainResult:
    """What a run produced.

    Attributes:
        run_dir: the run directory.
        last_checkpoint: checkpoint directory of the last step.
        selected_checkpoint: checkpoint directory of the selected step.
        selected_step: the step selected.
        selected_on: ``"validation"``, ``"test"`` when ``select_on_test`` was used, ``"none"`` for a
            training-free method.
        selected_value: the selection value at that step (``None`` if undefined).
        history: every evaluation, in step order.
        resumed_from_step: the step this call resumed from (``None``: a fresh run).
    """

    run_dir: Path
    last_checkpoint: Path
    selected_checkpoint: Path
    selected_step: int
    selected_on: SelectedOn
    selected_value: float | None
    history: tuple[EvalRecord, ...]
    resumed_from_step: int | None = None


@dataclass
class _RunState:
    """The mutable state of a run that checkpoints carry (the weights, optimiser and RNG aside)."""

    step: int = 0
    history: list[EvalRecord] = field(default_factory=list)
    selected_step: int | None = None
    selected_value: float | None = None
    loss_sum: float = 0.0
    part_sums: dict[str, float] = field(default_factory=dict)
    loss_count: int = 0

    def accumulate(self, loss: float, parts: Mapping[str, float]) -> None:
        self.loss_sum += loss
        self.loss_count += 1
        for name, value in parts.items():
            self.part_sums[name] = self.part_sums.get(name, 0.0) + value

    def evaluation(self, validation: float | None, test: float | None) -> EvalRecord:
        """Close the loss window into a record of the current step (and append it to the history)."""
        count = max(self.loss_count, 1)
        record = EvalRecord(
            self.step,
            self.loss_sum / count,
            {name: value / count for name, value in self.part_sums.items()},
            validation,
            test,
        )
        self.history.append(record)
        self.loss_sum, self.part_sums, self.loss_count = 0.0, {}, 0
        return record

    def offer(self, value: float | None) -> bool:
        """Select the current step if it is the first evaluation or ``value`` beats the selection."""
        better = value is not None and (self.selected_value is None or value > self.selected_value)
        if self.selected_step is None or better:
            self.selected_step, self.selected_value = self.step, value
            return True
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "history": [record.to_dict() for record in self.history],
            "selected_step": self.selected_step,
            "selected_value": self.selected_value,
            "loss_sum": self.loss_sum,
            "part_sums": dict(self.part_sums),
            "loss_count": self.loss_count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> _RunState:
        values = dict(data)
        values["history"] = [EvalRecord.from_dict(record) for record in values["history"]]
        return cls(**values)


def build_optimizer(model: WeakHead, config: TrainConfig) -> torch.optim.Optimizer:
    """The method's reference optimiser with the configuration's ``lr`` / ``weight_decay`` overrides."""
    optimizer = model.reference_optimizer()
    if config.lr is not None:
        factor = config.lr / optimizer.defaults["lr"]
        for group in optimizer.param_groups:
            group["lr"] = group["lr"] * factor
    if config.weight_decay is not None:
        for group in optimizer.param_groups:
            group["weight_decay"] = config.weight_decay
    return optimizer


def _data_record(
    feature_set: FeatureSetLike | None, class_indices: Mapping[str, int] | None = None
) -> dict[str, Any] | None:
    if feature_set is None:
        return None
    videos = list(feature_set)
    record: dict[str, Any] = {
        "name": describe(feature_set),
        "videos": sorted(v.name for v in videos),
        "normal": sum(v.label == 0 for v in videos),
        "abnormal": sum(v.label == 1 for v in videos),
    }
    if class_indices is not None:
        record["classes"] = {v.name: class_indices[v.name] for v in videos if v.name in class_indices}
    return record


def _check_inputs(
    config: TrainConfig,
    train_set: FeatureSetLike,
    val_set: FeatureSetLike | None,
    test_fn: TestFunction | None,
    val_ground_truth: Mapping[str, GroundTruth] | None,
    class_indices: Mapping[str, int] | None,
) -> None:
    head = METHODS.get(config.method)
    if not head.trainable:
        raise ValidationError(
            f"train: {config.method} is training-free; use training_free_checkpoint (run_experiment does)"
        )
    if head.class_aware and class_indices is None:
        raise ValidationError(
            f"train: {config.method} is class-aware and needs class_indices (each training video's class)"
        )
    if config.select_on_test and test_fn is None:
        raise ValidationError("train: select_on_test=True needs a test_fn (the test metric to select on)")
    if test_fn is not None and not config.select_on_test:
        raise ValidationError(
            "train: a test_fn is only used to select on the test set, which needs select_on_test=True"
        )
    if val_set is None:
        if not config.select_on_test:
            raise ValidationError(
                "train: model selection needs a validation split (vadkit.train.carve_validation), or "
                "select_on_test=True with a test_fn"
            )
        return
    counts = {label: sum(v.label == label for v in val_set) for label in (0, 1)}
    if not counts[0] or not counts[1]:
        raise ValidationError(
            f"{describe(val_set)}: the validation split needs normal and abnormal videos, got {counts[0]} "
            f"normal and {counts[1]} abnormal"
        )
    shared = sorted({v.name for v in train_set} & {v.name for v in val_set})
    if shared:
        raise ValidationError(f"train: video(s) in both the training and the validation split: {shared[:5]}")
    if config.selection == "frame" and val_ground_truth is None:
        raise ValidationError(
            "train: selection='frame' needs val_ground_truth (frame labels of the val videos)"
        )


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _require_same(recorded: Mapping[str, Any], current: Mapping[str, Any], what: str, where: Path) -> None:
    current = _as_json(current)
    if recorded != current:
        keys = sorted(k for k in set(recorded) | set(current) if recorded.get(k) != current.get(k))
        raise ValidationError(
            f"{where}: the run directory holds a run with a different {what} ({', '.join(keys)} differ); "
            "use a new run directory"
        )


def _resolved_device(name: str) -> torch.device:
    """``name`` as a device; a bare ``"cuda"`` becomes the current CUDA device (its RNG is the one forked)."""
    device = torch.device(name)
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


@contextlib.contextmanager
def _reproducible(device: torch.device, seed: int) -> Iterator[None]:
    """Fork the torch RNG, seed it, and use deterministic algorithms on CPU; restore everything after."""
    devices = [device.index] if device.type == "cuda" else []
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    with torch.random.fork_rng(devices=devices):
        torch.use_deterministic_algorithms(deterministic or device.type == "cpu", warn_only=warn_only)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def _rng_tensors(device: torch.device) -> dict[str, torch.Tensor]:
    tensors = {"rng.torch": torch.get_rng_state()}
    if device.type == "cuda":
        tensors["rng.cuda"] = torch.cuda.get_rng_state(device)
    return tensors


def _batch_on(batch: WeakBatch, device: torch.device) -> WeakBatch:
    def moved(tensor: torch.Tensor | None) -> torch.Tensor | None:
        return None if tensor is None else tensor.to(device)

    return WeakBatch(
        batch.features.to(device),
        batch.labels.to(device),
        moved(batch.lengths),
        moved(batch.audio),
        moved(batch.classes),
    )


class _Run:
    """One call of :func:`train`: the model, optimiser, data and state, and how each step is recorded."""

    def __init__(
        self,
        config: TrainConfig,
        train_set: FeatureSetLike,
        val_set: FeatureSetLike | None,
        test_fn: TestFunction | None,
        val_ground_truth: Mapping[str, GroundTruth] | None,
        run_dir: Path,
        device: torch.device,
        cache_bytes: int,
        class_indices: Mapping[str, int] | None,
    ) -> None:
        self.config = config
        self.val_set = val_set
        self.test_fn = test_fn
        self.val_ground_truth = val_ground_truth
        self.root = run_dir / CHECKPOINTS
        self.device = device
        self.data = {
            "train": _data_record(train_set, class_indices),
            "validation": _data_record(val_set, class_indices),
        }
        self.model = create_method(config.method, **config.method_config).to(self.device)
        self.optimizer = build_optimizer(self.model, config)
        self.initial_lrs = [float(group["lr"]) for group in self.optimizer.param_groups]
        self.recipe = config.train_recipe()
        self.cache = LRUCache(cache_bytes)
        self.sampler = make_sampler(
            self.recipe.batching,
            train_set,
            self.model.train_sequence,
            config.batch_size,
            seed=config.seed,
            crops_as_bags=(
                self.model.crops_as_bags if config.crops_as_bags is None else config.crops_as_bags
            ),
            audio=self.model.uses_audio,
            cache=self.cache,
            class_indices=class_indices,
        )
        self.val_labels = {} if val_set is None else {v.name: int(v.label) for v in val_set}
        self.state = _RunState()
        self.selected_on: SelectedOn = "test" if config.select_on_test else "validation"

    def resume(self) -> int | None:
        """Continue from the newest resumable checkpoint of the run directory; its step, or ``None``."""
        remove_temporary(self.root)
        latest = latest_checkpoint(self.root)
        if latest is None:
            return None
        info = read_info(latest)
        _require_same(info["train_config"], self.config.to_dict(), "configuration", latest)
        _require_same(info["data"], self.data, "data", latest)
        self.model.load_state_dict(read_state_dict(latest / MODEL_FILE), strict=True)
        tensors = read_trainer_state(latest)
        restore_optimizer(self.optimizer, tensors, info["resume"]["optimizer_scalars"])
        torch.set_rng_state(tensors["rng.torch"])
        if self.device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng.cuda"], self.device)
        self.state = _RunState.from_dict(info["resume"]["state"])
        return self.state.step

    def lr_factor(self, step: int) -> float:
        """The recipe's learning-rate factor at 0-based ``step`` (its epoch: ``step // steps_per_epoch``)."""
        return self.recipe.lr_schedule.factor(step // self.sampler.steps_per_epoch)

    def step(self) -> tuple[float, dict[str, float]]:
        """One optimiser step on the batch of the current step at the step's rates; the loss and its parts."""
        self.model.train()
        batch = _batch_on(self.sampler.batch(self.state.step), self.device)
        factor = self.lr_factor(self.state.step)
        for group, initial in zip(self.optimizer.param_groups, self.initial_lrs, strict=True):
            group["lr"] = initial * factor
        self.optimizer.zero_grad(set_to_none=True)
        loss, parts = self.model.loss(batch)
        penalty = self.model.loss_penalty()
        if penalty is not None:
            loss = loss + penalty
            parts = {**parts, "penalty": float(penalty.detach())}
        value = float(loss.detach())
        if not math.isfinite(value):
            raise ValidationError(
                f"{self.config.method}: the training loss is {value} at step {self.state.step + 1} "
                f"(parts {parts}); the newest checkpoint under {self.root} is intact"
            )
        loss.backward()
        self.optimizer.step()
        self.state.step += 1
        self.state.accumulate(value, parts)
        return value, parts

    def evaluate(self) -> EvalRecord:
        """Validation criterion (and test value when selecting on test) of the current model."""
        validation = test = None
        if self.val_set is not None:
            scores = score_feature_set(self.model, self.val_set, cache=self.cache)
            value = selection_value(
                self.config.selection,
                scores,
                self.val_labels,
                ground_truth=self.val_ground_truth,
                protocol=self.config.selection_protocol,
            )
            validation = value if math.isfinite(value) else None
        if self.test_fn is not None:
            with evaluating(self.model):
                value = float(self.test_fn(self.model))
            test = value if math.isfinite(value) else None
        return self.state.evaluation(validation, test)

    def record(self, kind: str) -> dict[str, Any]:
        """The JSON record of a checkpoint of the current state."""
        return {
            "kind": kind,
            "method": self.config.method,
            "method_config": dict(self.config.method_config),
            "step": self.state.step,
            "train_config": self.config.to_dict(),
            "recipe": {
                "batching": self.recipe.batching,
                "lr_milestones": list(self.recipe.lr_schedule.milestones),
                "lr_gamma": self.recipe.lr_schedule.gamma,
                "steps_per_epoch": self.sampler.steps_per_epoch,
            },
            "selection": {
                "on": self.selected_on,
                "criterion": "test_fn" if self.config.select_on_test else self.config.selection,
                "step": self.state.selected_step,
                "value": self.state.selected_value,
            },
            "history": [record.to_dict() for record in self.state.history],
            "data": self.data,
            "versions": {"vadkit": __version__, "torch": torch.__version__, "numpy": np.__version__},
        }

    def selected_value_of(self, record: EvalRecord) -> float | None:
        """The value selection uses in ``record``: the test value or the validation criterion."""
        return record.test if self.config.select_on_test else record.validation

    def selected_path(self) -> Path:
        """Directory of the selected checkpoint (one exists from the first evaluation on)."""
        if self.state.selected_step is None:
            raise ValidationError(f"{self.root}: no evaluation yet, so no selected checkpoint")
        return self.root / checkpoint_name(SELECTED_PREFIX, self.state.selected_step)

    def save_selected(self) -> None:
        """Write the current model as the selected checkpoint."""
        write_checkpoint(self.selected_path(), self.model, self.record("selected"))

    def save_resumable(self) -> None:
        """Write a resumable checkpoint of the current step and drop the checkpoints it supersedes."""
        tensors, scalars = optimizer_arrays(self.optimizer)
        info = self.record("resumable")
        info["resume"] = {"state": self.state.to_dict(), "optimizer_scalars": scalars}
        path = self.root / checkpoint_name(RESUMABLE_PREFIX, self.state.step)
        write_checkpoint(path, self.model, info, {**tensors, **_rng_tensors(self.device)})
        # Before the first evaluation (checkpoint_every < eval_every) there is no selected checkpoint yet.
        selected = set() if self.state.selected_step is None else {self.selected_path()}
        prune(self.root, {path, *selected})


def train(
    config: TrainConfig,
    train_set: FeatureSetLike,
    val_set: FeatureSetLike | None = None,
    *,
    run_dir: str | Path,
    test_fn: TestFunction | None = None,
    val_ground_truth: Mapping[str, GroundTruth] | None = None,
    progress: bool = True,
    tensorboard: bool = False,
    cache_bytes: int = 1 << 30,
    class_indices: Mapping[str, int] | None = None,
) -> TrainResult:
    """Train ``config.method`` on ``train_set``, select on ``val_set``, checkpoint into ``run_dir``.

    Args:
        config: the run's configuration.
        train_set: training videos (video-level labels; both classes).
        val_set: validation videos (both classes, none shared with ``train_set``); required unless
            selecting on test.
        run_dir: the run directory; a resumable checkpoint there is continued (same configuration and data).
        test_fn: the test metric, used only with ``config.select_on_test``.
        val_ground_truth: frame labels of the validation videos, for ``config.selection == "frame"``.
        progress: show a rich progress bar on stderr.
        tensorboard: log scalars under ``run_dir/tensorboard`` when TensorBoard is installed (skipped
            silently otherwise).
        cache_bytes: memory for keeping loaded videos between steps (speed only; results are the same).
        class_indices: ``{video: class index}`` (into the method's ``classes``) of the training videos, for
            class-aware methods (:func:`vadkit.train.classes.video_class_indices`); required by them.

    Returns:
        The checkpoints of the last and the selected step and the evaluation history.

    Raises:
        ValidationError: inconsistent arguments (see above), a training-free method, a class-aware method
            without ``class_indices``, a run directory holding another run, a class without training videos,
            bad features, or a non-finite training loss.
    """
    _check_inputs(config, train_set, val_set, test_fn, val_ground_truth, class_indices)
    run_dir = Path(run_dir)
    device = _resolved_device(config.device)
    with _reproducible(device, config.seed):
        run = _Run(
            config, train_set, val_set, test_fn, val_ground_truth, run_dir, device, cache_bytes, class_indices
        )
        resumed = run.resume()
        criterion = "test" if config.select_on_test else config.selection
        with (
            TrainingProgress(config.steps, run.state.step, criterion, enabled=progress) as bar,
            ScalarLog(
                run_dir / "tensorboard",
                enabled=tensorboard,
                purge_step=None if resumed is None else resumed + 1,
            ) as scalars,
        ):
            shown = run.selected_value_of(run.state.history[-1]) if run.state.history else None
            while run.state.step < config.steps:
                loss, parts = run.step()
                scalars.add("train", {"loss": loss, **parts}, run.state.step)
                last_step = run.state.step == config.steps
                if run.state.step % config.eval_every == 0 or last_step:
                    record = run.evaluate()
                    scalars.add(
                        "select", {"validation": record.validation, "test": record.test}, run.state.step
                    )
                    shown = run.selected_value_of(record)
                    if run.state.offer(shown):
                        run.save_selected()
                if run.state.step % config.checkpoint_every == 0 or last_step:
                    run.save_resumable()
                bar.update(run.state.step, loss, shown)
    selected = run.selected_path()
    return TrainResult(
        run_dir=run_dir,
        last_checkpoint=run.root / checkpoint_name(RESUMABLE_PREFIX, run.state.step),
        selected_checkpoint=selected,
        selected_step=int(selected.name.rsplit("-", 1)[1]),
        selected_on=run.selected_on,
        selected_value=run.state.selected_value,
        history=tuple(run.state.history),
        resumed_from_step=resumed,
    )


def training_free_checkpoint(config: TrainConfig, run_dir: str | Path) -> TrainResult:
    """The checkpoint of a training-free method: the model as built (seeded by ``config.seed``), written as
    step 0 under ``run_dir/checkpoints`` and returned as both the last and the selected checkpoint, with no
    history and nothing selected (``selected_on="none"``). An earlier one is replaced.

    Raises:
        ValidationError: a trainable method (use :func:`train`).
    """
    if METHODS.get(config.method).trainable:
        raise ValidationError(f"training_free_checkpoint: {config.method} is trained; use train")
    run_dir = Path(run_dir)
    device = _resolved_device(config.device)
    with _reproducible(device, config.seed):
        model = create_method(config.method, **config.method_config)
    path = run_dir / CHECKPOINTS / checkpoint_name(RESUMABLE_PREFIX, 0)
    record = {
        "kind": "training-free",
        "method": config.method,
        "method_config": dict(config.method_config),
        "step": 0,
        "train_config": config.to_dict(),
        "selection": {"on": "none", "criterion": None, "step": 0, "value": None},
        "history": [],
        "versions": {"vadkit": __version__, "torch": torch.__version__, "numpy": np.__version__},
    }
    write_checkpoint(path, model, record)
    return TrainResult(run_dir, path, path, 0, "none", None, ())
