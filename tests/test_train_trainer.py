"""The training loop: learning a toy problem, checkpoints and their records, bit-identical resume,
determinism, validation-selected vs last, select-on-test, TensorBoard, configuration and argument errors."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from vadkit.errors import ValidationError
from vadkit.methods import create_method
from vadkit.methods.mil import SultaniMIL
from vadkit.train import (
    ArrayFeatureSet,
    ArrayVideo,
    BalancedSampler,
    TrainConfig,
    build_optimizer,
    load_checkpoint,
    read_info,
    score_feature_set,
    selection_value,
    train,
)
from vadkit.types import GroundTruth


def toy(seed: int, pairs: int, prefix: str = "", shift: float = 1.5) -> ArrayFeatureSet:
    """``pairs`` normal and ``pairs`` abnormal videos of 24-63 snippets, 2 crops, D = 8; each abnormal video
    has 6 consecutive snippets whose first two dimensions are shifted by ``shift``."""
    rng = np.random.default_rng(seed)
    videos, features = [], {}
    for i in range(2 * pairs):
        label = i % 2
        name = f"{prefix}{'a' if label else 'n'}{i:02d}"
        steps = int(rng.integers(24, 64))
        x = rng.normal(size=(steps, 2, 8)).astype(np.float32)
        if label:
            start = int(rng.integers(0, steps - 6))
            x[start : start + 6, :, :2] += shift
        videos.append(ArrayVideo(name, label))
        features[name] = x
    return ArrayFeatureSet(videos, features)


FIT = toy(0, 12)
VAL = toy(100, 16, prefix="val")
LABELS = {v.name: v.label for v in VAL}
CONFIG = TrainConfig(
    "mil", {"feature_dim": 8}, steps=40, batch_size=4, eval_every=5, checkpoint_every=20, seed=0
)


def weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return load_file(str(checkpoint / "model.safetensors"))


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory):
    return train(CONFIG, FIT, VAL, run_dir=tmp_path_factory.mktemp("run"), progress=False)


def test_training_raises_the_validation_criterion(toy_run) -> None:
    torch.manual_seed(0)
    untrained = selection_value(
        "video-auc-max", score_feature_set(create_method("mil", feature_dim=8), VAL), LABELS
    )
    values = [record.validation for record in toy_run.history]
    assert [record.step for record in toy_run.history] == [5, 10, 15, 20, 25, 30, 35, 40]
    assert untrained < 0.6 and max(values) > 0.95
    assert toy_run.selected_value == max(values)
    assert toy_run.selected_step == toy_run.history[values.index(max(values))].step
    assert toy_run.selected_on == "validation" and toy_run.resumed_from_step is None
    assert all(
        record.train_loss > 0 and set(record.train_parts) == {"ranking", "smoothness", "sparsity"}
        for record in toy_run.history
    )


def test_selected_and_last_checkpoints_are_both_kept(toy_run) -> None:
    root = toy_run.run_dir / "checkpoints"
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [f"step-{40:08d}", f"selected-step-{toy_run.selected_step:08d}"]
    )
    assert toy_run.last_checkpoint == root / "step-00000040"
    assert toy_run.selected_step != 40
    assert not same_weights(weights(toy_run.last_checkpoint), weights(toy_run.selected_checkpoint))
    # each checkpoint really is the model of its step: its validation criterion is the one recorded then
    by_step = {record.step: record.validation for record in toy_run.history}
    for checkpoint, step in (
        (toy_run.selected_checkpoint, toy_run.selected_step),
        (toy_run.last_checkpoint, 40),
    ):
        model = load_checkpoint(checkpoint)
        assert not model.training
        assert selection_value("video-auc-max", score_feature_set(model, VAL), LABELS) == by_step[step]


def test_checkpoint_files_and_records(toy_run) -> None:
    last, selected = toy_run.last_checkpoint, toy_run.selected_checkpoint
    assert sorted(p.name for p in last.iterdir()) == [
        "checkpoint.json",
        "model.safetensors",
        "trainer.safetensors",
    ]
    assert sorted(p.name for p in selected.iterdir()) == ["checkpoint.json", "model.safetensors"]
    model = create_method("mil", feature_dim=8)
    assert set(weights(last)) == set(model.state_dict())
    info = json.loads((last / "checkpoint.json").read_text())
    assert info["format"] == "vadkit-checkpoint/1" and info["kind"] == "resumable"
    assert info["method"] == "mil" and info["method_config"] == {"feature_dim": 8}
    assert info["step"] == 40 and TrainConfig.from_dict(info["train_config"]) == CONFIG
    assert info["selection"] == {
        "on": "validation",
        "criterion": "video-auc-max",
        "step": toy_run.selected_step,
        "value": toy_run.selected_value,
    }
    assert [r["step"] for r in info["history"]] == [5, 10, 15, 20, 25, 30, 35, 40]
    assert info["data"]["train"]["videos"] == sorted(v.name for v in FIT)
    assert info["data"]["validation"] == {
        "name": "arrays/train (memory)",
        "videos": sorted(LABELS),
        "normal": 16,
        "abnormal": 16,
    }
    selected_info = read_info(selected / "model.safetensors")
    assert selected_info["kind"] == "selected" and selected_info["step"] == toy_run.selected_step
    assert len(selected_info["history"]) == toy_run.selected_step // 5
    trainer = load_file(str(last / "trainer.safetensors"))
    assert "rng.torch" in trainer and any(k.startswith("optimizer.") for k in trainer)
    same = load_checkpoint(last / "checkpoint.json").state_dict()
    assert same_weights({k: v for k, v in same.items()}, weights(last))


def test_resume_after_interruption_is_bit_identical(
    toy_run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = TrainConfig(
        "mil", {"feature_dim": 8}, steps=40, batch_size=4, eval_every=5, checkpoint_every=20, seed=0
    )
    original = BalancedSampler.batch

    def interrupted(self: BalancedSampler, step: int):
        if step == 27:  # the 28th step: the newest checkpoint holds step 20
            raise KeyboardInterrupt
        return original(self, step)

    monkeypatch.setattr(BalancedSampler, "batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(config, FIT, VAL, run_dir=tmp_path, progress=False)
    # left behind: the checkpoint of step 20, the model selected by then, and the one selected at step 25
    early = [r.validation for r in toy_run.history if r.step <= 20]
    selected_by_20 = 5 * (early.index(max(early)) + 1)
    assert toy_run.selected_step == 25
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == sorted(
        {f"selected-step-{selected_by_20:08d}", "selected-step-00000025", "step-00000020"}
    )
    monkeypatch.setattr(BalancedSampler, "batch", original)
    resumed = train(config, FIT, VAL, run_dir=tmp_path, progress=False)
    assert resumed.resumed_from_step == 20
    assert same_weights(weights(resumed.last_checkpoint), weights(toy_run.last_checkpoint))
    assert same_weights(weights(resumed.selected_checkpoint), weights(toy_run.selected_checkpoint))
    assert resumed.history == toy_run.history and resumed.selected_step == toy_run.selected_step
    assert not [p for p in (tmp_path / "checkpoints").iterdir() if p.name.startswith(".tmp")]

    def untouched(self: BalancedSampler, step: int):
        raise AssertionError("a finished run must not train again")

    monkeypatch.setattr(BalancedSampler, "batch", untouched)
    again = train(config, FIT, VAL, run_dir=tmp_path, progress=False)
    assert again.resumed_from_step == 40 and again.history == toy_run.history


def test_resume_refuses_a_different_run(toy_run) -> None:
    other = TrainConfig(
        "mil", {"feature_dim": 8}, steps=40, batch_size=4, eval_every=5, checkpoint_every=20, seed=1
    )
    with pytest.raises(ValidationError, match=r"different configuration .*seed differ"):
        train(other, FIT, VAL, run_dir=toy_run.run_dir, progress=False)
    with pytest.raises(ValidationError, match=r"different data .*train differ"):
        train(CONFIG, FIT.subset([v.name for v in FIT][1:]), VAL, run_dir=toy_run.run_dir, progress=False)


def test_runs_are_deterministic_and_leave_the_caller_rng_alone(tmp_path: Path) -> None:
    config = TrainConfig(
        "mil", {"feature_dim": 8}, steps=6, batch_size=3, eval_every=3, checkpoint_every=3, seed=5
    )
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = train(config, FIT, VAL, run_dir=tmp_path / "a", progress=False)
    assert torch.equal(torch.get_rng_state(), before)
    assert not torch.are_deterministic_algorithms_enabled()
    second = train(config, FIT, VAL, run_dir=tmp_path / "b", progress=False)
    assert same_weights(weights(first.last_checkpoint), weights(second.last_checkpoint))
    reseeded = TrainConfig.from_dict({**config.to_dict(), "seed": 6})
    third = train(reseeded, FIT, VAL, run_dir=tmp_path / "c", progress=False)
    assert not same_weights(weights(first.last_checkpoint), weights(third.last_checkpoint))


def test_checkpoints_before_the_first_evaluation(tmp_path: Path) -> None:
    # checkpoint_every 2 < eval_every 5: the checkpoints of steps 2 and 4 come before any selection
    config = TrainConfig(
        "mil", {"feature_dim": 8}, steps=6, batch_size=3, eval_every=5, checkpoint_every=2, seed=0
    )
    result = train(config, FIT, VAL, run_dir=tmp_path, progress=False)
    assert result.selected_step in (5, 6)  # validated at step 5 and after the last step
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == [f"selected-step-{result.selected_step:08d}", "step-00000006"]


def test_the_loss_penalty_joins_the_training_loss(tmp_path: Path) -> None:
    # MIL "paired": ekosman's norm penalty is not a weight decay, so the trainer adds it to each step's loss
    config = TrainConfig(
        "mil", {"feature_dim": 8, "variant": "paired"}, steps=1, batch_size=4, eval_every=1, seed=0
    )
    record = train(config, FIT, VAL, run_dir=tmp_path, progress=False).history[0]
    parts = record.train_parts
    assert set(parts) == {"ranking", "smoothness", "sparsity", "penalty"} and parts["penalty"] > 0
    assert record.train_loss == pytest.approx(sum(parts.values()), rel=1e-6)


def test_select_on_test_is_explicit_and_recorded(tmp_path: Path) -> None:
    config = TrainConfig(
        "mil",
        {"feature_dim": 8},
        steps=6,
        batch_size=3,
        eval_every=2,
        checkpoint_every=3,
        select_on_test=True,
    )
    values = iter([0.3, 0.8, 0.5])
    modes: list[bool] = []

    def test_metric(model: torch.nn.Module) -> float:
        modes.append(model.training or torch.is_grad_enabled())
        return next(values)

    result = train(config, FIT, VAL, run_dir=tmp_path / "with-val", test_fn=test_metric, progress=False)
    assert modes == [False, False, False]
    assert result.selected_on == "test" and result.selected_step == 4 and result.selected_value == 0.8
    assert [r.test for r in result.history] == [0.3, 0.8, 0.5]
    assert all(r.validation is not None for r in result.history)
    info = read_info(result.selected_checkpoint)
    assert info["selection"] == {"on": "test", "criterion": "test_fn", "step": 4, "value": 0.8}
    alone = train(config, FIT, None, run_dir=tmp_path / "no-val", test_fn=lambda m: 0.5, progress=False)
    assert alone.selected_step == 2 and all(r.validation is None for r in alone.history)
    assert read_info(alone.last_checkpoint)["data"]["validation"] is None


def test_undefined_values_never_win_the_selection(tmp_path: Path) -> None:
    config = TrainConfig(
        "mil",
        {"feature_dim": 8},
        steps=3,
        batch_size=3,
        eval_every=1,
        checkpoint_every=3,
        select_on_test=True,
    )
    values = iter([float("nan"), 0.1, float("inf")])
    result = train(config, FIT, None, run_dir=tmp_path, test_fn=lambda m: next(values), progress=False)
    assert [r.test for r in result.history] == [None, 0.1, None]
    assert result.selected_step == 2


def test_frame_selection_uses_the_validation_ground_truth(tmp_path: Path) -> None:
    truth = {}
    for video in VAL:
        frames = np.zeros(16 * VAL.load(video).shape[0], np.uint8)
        if video.label:
            frames[: frames.size // 2] = 1
        truth[video.name] = GroundTruth(video.name, frames)
    config = TrainConfig(
        "mil", {"feature_dim": 8}, steps=4, batch_size=3, eval_every=2, checkpoint_every=4,
        selection="frame", selection_protocol="synthetic",
    )  # fmt: skip
    result = train(config, FIT, VAL, run_dir=tmp_path, val_ground_truth=truth, progress=False)
    expected = selection_value(
        "frame", score_feature_set(load_checkpoint(result.last_checkpoint), VAL), LABELS,
        ground_truth=truth, protocol="synthetic",
    )  # fmt: skip
    assert result.history[-1].validation == expected
    with pytest.raises(ValidationError, match="selection='frame' needs val_ground_truth"):
        train(config, FIT, VAL, run_dir=tmp_path / "x", progress=False)


def test_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="select_on_test=True needs a test_fn"):
        train(TrainConfig("mil", {"feature_dim": 8}, select_on_test=True), FIT, VAL, run_dir=tmp_path)
    with pytest.raises(ValidationError, match="only used to select on the test set"):
        train(CONFIG, FIT, VAL, run_dir=tmp_path, test_fn=lambda m: 1.0)
    with pytest.raises(ValidationError, match="model selection needs a validation split"):
        train(CONFIG, FIT, None, run_dir=tmp_path)
    with pytest.raises(ValidationError, match="in both the training and the validation split"):
        train(CONFIG, FIT, FIT, run_dir=tmp_path)
    with pytest.raises(
        ValidationError, match="validation split needs normal and abnormal videos, got 16 normal and 0"
    ):
        train(CONFIG, FIT, VAL.subset([v.name for v in VAL.normal]), run_dir=tmp_path)
    assert not (tmp_path / "checkpoints").exists()


def test_a_non_finite_loss_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: SultaniMIL, batch):
        return self.fc3.bias.sum() * float("nan"), {}

    monkeypatch.setattr(SultaniMIL, "loss", broken)
    with pytest.raises(ValidationError, match="mil: the training loss is nan at step 1"):
        train(CONFIG, FIT, VAL, run_dir=tmp_path, progress=False)


class FakeWriter:
    """Stands in for torch.utils.tensorboard.SummaryWriter (TensorBoard is an optional dependency)."""

    instances: ClassVar[list[FakeWriter]] = []

    def __init__(self, log_dir: str, purge_step: int | None = None) -> None:
        self.log_dir, self.purge_step, self.scalars, self.closed = log_dir, purge_step, [], False
        FakeWriter.instances.append(self)

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        self.scalars.append((tag, value, step))

    def close(self) -> None:
        self.closed = True


def test_tensorboard_scalars_when_installed_and_silence_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = TrainConfig("mil", {"feature_dim": 8}, steps=4, batch_size=3, eval_every=2, checkpoint_every=2)
    monkeypatch.setitem(
        sys.modules, "torch.utils.tensorboard", types.SimpleNamespace(SummaryWriter=FakeWriter)
    )
    train(config, FIT, VAL, run_dir=tmp_path / "tb", progress=False, tensorboard=True)
    writer = FakeWriter.instances[-1]
    assert (
        writer.log_dir == str(tmp_path / "tb" / "tensorboard") and writer.purge_step is None and writer.closed
    )
    tags = {(tag, step) for tag, _, step in writer.scalars}
    assert {("train/loss", s) for s in (1, 2, 3, 4)} <= tags and ("train/ranking", 3) in tags
    assert {("select/validation", 2), ("select/validation", 4)} <= tags
    assert not any(tag == "select/test" for tag, _ in tags)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if TensorBoard were not installed
    result = train(config, FIT, VAL, run_dir=tmp_path / "none", progress=False, tensorboard=True)
    assert result.last_checkpoint.is_dir() and not (tmp_path / "none" / "tensorboard").exists()


def test_progress_bar_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = TrainConfig("mil", {"feature_dim": 8}, steps=2, batch_size=2, eval_every=1, checkpoint_every=2)
    result = train(config, FIT, VAL, run_dir=tmp_path, progress=True)
    assert result.selected_step in (1, 2)
    assert capsys.readouterr().out == ""


def test_train_config_round_trip_and_errors() -> None:
    config = TrainConfig(
        "hlnet", {"feature_dim": 4, "audio_dim": 2}, lr=1e-3, weight_decay=0.01, crops_as_bags=True
    )
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ValidationError, match="unknown method 'nope'"):
        TrainConfig("nope")
    with pytest.raises(ValidationError, match="unknown field"):
        TrainConfig.from_dict({"method": "mil", "epochs": 3})
    for field, value in (("steps", 0), ("batch_size", True), ("eval_every", 1.5), ("checkpoint_every", -1)):
        with pytest.raises(ValidationError, match=f"{field} must be a positive integer"):
            TrainConfig("mil", **{field: value})
    with pytest.raises(ValidationError, match="seed must be a non-negative integer"):
        TrainConfig("mil", seed=-1)
    with pytest.raises(ValidationError, match="lr must be a finite positive number"):
        TrainConfig("mil", lr=0.0)
    with pytest.raises(ValidationError, match="weight_decay must be a finite number"):
        TrainConfig("mil", weight_decay=float("nan"))
    with pytest.raises(ValidationError, match="unknown selection 'best'"):
        TrainConfig("mil", selection="best")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="selection_protocol is required by selection='frame'"):
        TrainConfig("mil", selection="frame")
    with pytest.raises(ValidationError, match="selection_protocol is required by selection='frame'"):
        TrainConfig("mil", selection_protocol="synthetic")
    with pytest.raises(ValidationError, match="method_config must hold JSON values"):
        TrainConfig("mil", {"feature_dim": object()})


def test_optimizer_overrides_keep_the_group_ratios() -> None:
    model = create_method("hlnet", feature_dim=4, audio_dim=2)
    reference = build_optimizer(model, TrainConfig("hlnet"))
    assert [g["lr"] for g in reference.param_groups] == [1e-4, 5e-5, 5e-5]
    tuned = build_optimizer(model, TrainConfig("hlnet", lr=1e-3, weight_decay=0.01))
    assert [g["lr"] for g in tuned.param_groups] == pytest.approx([1e-3, 5e-4, 5e-4], rel=1e-12)
    assert [g["weight_decay"] for g in tuned.param_groups] == [0.01, 0.01, 0.01]
    mil = build_optimizer(create_method("mil", feature_dim=4), TrainConfig("mil"))
    assert type(mil).__name__ == "Adagrad" and [g["weight_decay"] for g in mil.param_groups] == [0.002, 0.0]
