"""Reference training recipes: what each method declares, the epoch schedule, the learning rate the trainer
applies at every step (by hand: HL-Net's tenfold drop at the first step of epoch 9), resume across the drop,
and ``recipe="balanced"`` (balanced videos, constant rate) as before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch.optim.optimizer import register_optimizer_step_pre_hook

from tiny_methods import TINY_SIZES, trained_methods
from vadkit.errors import ValidationError
from vadkit.methods import METHODS, EpochSchedule, TrainRecipe, WeakBatch
from vadkit.methods.hlnet import HLNet
from vadkit.train import ArrayFeatureSet, ArrayVideo, BatchSampler, TrainConfig, read_info, train
from vadkit.train.config import RECIPES

DIM, AUDIO_DIM, CROPS = 6, 3, 2
HLNET = {"feature_dim": DIM, "audio_dim": AUDIO_DIM, **TINY_SIZES["hlnet"]}
BASE_LRS = [1e-4, 5e-5, 5e-5]  # HL-Net's reference groups: everything else, approximator, conv1d_approximator
# 2 normal + 2 abnormal training videos of 2 crops: 8 crop rows; batch_size 2: 4 rows a step, 2 steps an epoch
STEPS_PER_EPOCH = 2
FIRST_LOW_STEP = 9 * STEPS_PER_EPOCH  # 0-based step 18 opens epoch 9, the first at the lowered rate


def audio_visual_set() -> ArrayFeatureSet:
    """6 videos (labels alternate) of 20-59 snippets, 2 crops, with aligned audio."""
    rng = np.random.default_rng(0)
    videos = [ArrayVideo(f"v{i}", i % 2) for i in range(6)]
    steps = {v.name: int(rng.integers(20, 60)) for v in videos}
    features = {v.name: rng.normal(size=(steps[v.name], CROPS, DIM)) for v in videos}
    sound = {v.name: rng.normal(size=(steps[v.name], AUDIO_DIM)) for v in videos}
    return ArrayFeatureSet(videos, features, sound)


DATA = audio_visual_set()
FIT, VAL = DATA.subset(["v0", "v1", "v2", "v3"]), DATA.subset(["v4", "v5"])


def hlnet_config(**changes: object) -> TrainConfig:
    values: dict[str, object] = {"steps": 20, "batch_size": 2, "eval_every": 5, "checkpoint_every": 8}
    values.update(changes)
    return TrainConfig("hlnet", HLNET, **values)  # type: ignore[arg-type]


@contextmanager
def recorded_lrs() -> Iterator[list[list[float]]]:
    """The learning rate of every parameter group at every optimiser step taken inside the block."""
    rates: list[list[float]] = []

    def record(optimizer: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        rates.append([group["lr"] for group in optimizer.param_groups])

    handle = register_optimizer_step_pre_hook(record)
    try:
        yield rates
    finally:
        handle.remove()


def test_each_method_declares_its_reference_recipe() -> None:
    expected = {
        "hlnet": TrainRecipe("shuffled_crop_rows", EpochSchedule((9,), 0.1)),  # XDVioDet main.py
        "mil": TrainRecipe("balanced_videos"),  # Sultani's Keras loop, 30 + 30 videos, Adagrad constant
        "rtfm": TrainRecipe("balanced_videos"),  # two DataLoaders of 32 videos, [0.001] * 15000
        "urdmu": TrainRecipe("balanced_crop_rows"),  # two DataLoaders of 64 crop rows, [0.0001] * 3000
        "tpwng": TrainRecipe("balanced_videos"),  # M normal + M abnormal videos (paper Sec. 3.1), constant
        "vadclip": TrainRecipe("balanced_crop_rows", EpochSchedule((4, 8), 0.1)),  # ucf_train.py
        "vadclip_xd": TrainRecipe("shuffled_crop_rows", EpochSchedule((3, 6, 10), 0.1)),  # xd_train.py
    }
    assert {name: METHODS.get(name).train_recipe for name in trained_methods()} == expected


def test_epoch_schedule_factors_by_hand() -> None:
    assert [EpochSchedule().factor(e) for e in (0, 7, 10_000)] == [1.0, 1.0, 1.0]
    assert [EpochSchedule((2, 5), 0.5).factor(e) for e in range(7)] == [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]
    hlnet = HLNet.train_recipe.lr_schedule
    assert [hlnet.factor(e) for e in range(50)] == [1.0] * 9 + [0.1] * 41  # 9 epochs at 1e-4, 41 at 1e-5


def test_hlnet_schedule_matches_the_reference_torch_scheduler_stepped_before_each_epoch() -> None:
    optimizer = HLNet(feature_dim=4, audio_dim=2).reference_optimizer()
    scheduler = HLNet.reference_scheduler(optimizer)
    for epoch in range(50):  # XDVioDet main.py: scheduler.step(), then the epoch's training
        optimizer.step()
        scheduler.step()
        factor = HLNet.train_recipe.lr_schedule.factor(epoch)
        rates = [group["lr"] for group in optimizer.param_groups]
        assert rates == pytest.approx([base * factor for base in BASE_LRS], rel=1e-12)


@pytest.mark.parametrize(
    ("milestones", "gamma", "message"),
    [
        ((0,), 0.1, "milestones must be strictly increasing positive integers"),
        ((3, 3), 0.1, "milestones must be strictly increasing positive integers"),
        ((5, 2), 0.1, "milestones must be strictly increasing positive integers"),
        ((True,), 0.1, "milestones must be strictly increasing positive integers"),
        ((4,), 0.0, r"gamma must lie in \(0, 1\]"),
        ((4,), 1.5, r"gamma must lie in \(0, 1\]"),
    ],
)
def test_epoch_schedule_errors(milestones: tuple[int, ...], gamma: float, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EpochSchedule(milestones, gamma)


def test_recipe_errors() -> None:
    with pytest.raises(ValidationError, match="unknown batching 'random'"):
        TrainRecipe("random")  # type: ignore[arg-type]


def test_hlnet_learning_rate_drops_tenfold_at_the_first_step_of_epoch_9(tmp_path: Path) -> None:
    with recorded_lrs() as rates:
        train(hlnet_config(), FIT, VAL, run_dir=tmp_path, progress=False)
    assert len(rates) == 20
    assert rates[:FIRST_LOW_STEP] == [BASE_LRS] * FIRST_LOW_STEP
    for step in (18, 19):
        assert rates[step] == pytest.approx([1e-5, 5e-6, 5e-6], rel=1e-12)


def test_the_lr_override_keeps_the_schedule(tmp_path: Path) -> None:
    with recorded_lrs() as rates:
        train(hlnet_config(lr=1e-3), FIT, VAL, run_dir=tmp_path, progress=False)
    assert rates[17] == pytest.approx([1e-3, 5e-4, 5e-4], rel=1e-12)
    assert rates[18] == pytest.approx([1e-4, 5e-5, 5e-5], rel=1e-12)


def test_resume_across_the_drop_is_bit_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = hlnet_config()
    whole = train(config, FIT, VAL, run_dir=tmp_path / "whole", progress=False)
    original = BatchSampler.batch

    def interrupted(self: BatchSampler, step: int) -> WeakBatch:
        if step == 17:  # the newest checkpoint holds step 16, two steps before the drop
            raise KeyboardInterrupt
        return original(self, step)

    monkeypatch.setattr(BatchSampler, "batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(config, FIT, VAL, run_dir=tmp_path / "cut", progress=False)
    monkeypatch.setattr(BatchSampler, "batch", original)
    with recorded_lrs() as rates:
        resumed = train(config, FIT, VAL, run_dir=tmp_path / "cut", progress=False)
    assert resumed.resumed_from_step == 16 and resumed.history == whole.history
    assert rates[:2] == [BASE_LRS] * 2 and rates[2] == pytest.approx([1e-5, 5e-6, 5e-6], rel=1e-12)
    expected = load_file(str(whole.last_checkpoint / "model.safetensors"))
    got = load_file(str(resumed.last_checkpoint / "model.safetensors"))
    assert expected.keys() == got.keys() and all(torch.equal(expected[k], got[k]) for k in expected)
    info = read_info(whole.last_checkpoint)
    assert info["train_config"]["recipe"] == "reference"
    assert info["recipe"] == {
        "batching": "shuffled_crop_rows",
        "lr_milestones": [9],
        "lr_gamma": 0.1,
        "steps_per_epoch": STEPS_PER_EPOCH,
    }


def test_balanced_recipe_keeps_a_constant_rate_and_balanced_videos(tmp_path: Path) -> None:
    with recorded_lrs() as rates:
        result = train(hlnet_config(recipe="balanced"), FIT, VAL, run_dir=tmp_path, progress=False)
    assert rates == [BASE_LRS] * 20
    info = read_info(result.last_checkpoint)
    assert info["train_config"]["recipe"] == "balanced"
    # 2 videos per class, B = 2: one balanced batch per epoch
    assert info["recipe"] == {
        "batching": "balanced_videos",
        "lr_milestones": [],
        "lr_gamma": 1.0,
        "steps_per_epoch": 1,
    }


def test_mil_reference_recipe_is_the_balanced_one_bit_for_bit(tmp_path: Path) -> None:
    weights = {}
    for recipe in RECIPES:
        config = TrainConfig("mil", {"feature_dim": DIM}, steps=3, batch_size=2, eval_every=3, recipe=recipe)
        run = train(config, FIT, VAL, run_dir=tmp_path / recipe, progress=False)
        weights[recipe] = load_file(str(run.last_checkpoint / "model.safetensors"))
    assert all(torch.equal(weights["reference"][k], weights["balanced"][k]) for k in weights["reference"])


def test_train_config_recipe_field() -> None:
    assert TrainConfig("urdmu").recipe == "reference"
    assert TrainConfig("urdmu").train_recipe() == TrainRecipe("balanced_crop_rows")
    assert TrainConfig("urdmu", recipe="balanced").train_recipe() == TrainRecipe("balanced_videos")
    config = TrainConfig("hlnet", recipe="balanced")
    assert TrainConfig.from_dict(config.to_dict()) == config and config.to_dict()["recipe"] == "balanced"
    with pytest.raises(ValidationError, match="unknown recipe 'paper'"):
        TrainConfig("mil", recipe="paper")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"crops_as_bags=False needs video batches.*balanced_crop_rows"):
        TrainConfig("urdmu", crops_as_bags=False)
    assert TrainConfig("urdmu", crops_as_bags=False, recipe="balanced").crops_as_bags is False
    assert TrainConfig("hlnet", crops_as_bags=True).crops_as_bags is True
