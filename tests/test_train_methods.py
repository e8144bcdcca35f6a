"""Every registered method trains through the trainer (tiny configurations), with the batch layout of its
reference recipe (and the balanced layout with ``recipe="balanced"``); its checkpoints load back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from tiny_methods import TINY_CLIP_DIM, TINY_SIZES, trained_methods
from vadkit.methods import METHODS, WeakBatch, create_method
from vadkit.train import (
    ArrayFeatureSet,
    ArrayVideo,
    BatchSampler,
    TrainConfig,
    load_checkpoint,
    score_feature_set,
    train,
)

DIM, AUDIO_DIM, CROPS, BATCH = TINY_CLIP_DIM, 3, 2, 2
CLASSES = ["normal", "run", "fall"]
CLASS_INDICES = {"v0": 0, "v1": 1, "v2": 0, "v3": 2, "v4": 0, "v5": 1}
"""Each video's class for the class-aware methods (the odd videos are abnormal)."""


@pytest.fixture
def tiny(method_config: Callable[..., dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """The tiny configuration of a method on :func:`feature_set` (feature size, audio size, classes)."""
    return lambda name: method_config(name, feature_dim=DIM, audio_dim=AUDIO_DIM, classes=CLASSES)


def class_indices(method: str) -> dict[str, int] | None:
    """What the trainer needs for a class-aware method, else ``None``."""
    return CLASS_INDICES if METHODS.get(method).class_aware else None


Layout = tuple[tuple[int, ...], bool, tuple[int, ...] | None]
# batch the loss receives: (features shape, whether lengths are given, audio shape); L = the train length
EXPECTED_LAYOUT: dict[str, dict[str, Layout]] = {
    "reference": {
        "mil": ((2 * BATCH * CROPS, 32, DIM), False, None),  # balanced videos, crops are bags; 32 segments
        "rtfm": ((2 * BATCH, CROPS, 32, DIM), False, None),  # balanced videos, crops of a video together
        "urdmu": ((2 * BATCH, 200, DIM), False, None),  # B + B independent crop rows; 200 segments
        "hlnet": ((2 * BATCH, 200, DIM), True, (2 * BATCH, 200, AUDIO_DIM)),  # 2B shuffled rows, padded
        "tpwng": ((2 * BATCH, CROPS, 256, DIM), True, None),  # balanced videos; padded to 256
        "vadclip": ((2 * BATCH, 256, DIM), True, None),  # B + B independent crop rows, padded to 256
        "vadclip_xd": ((2 * BATCH, 256, DIM), True, None),  # 2B shuffled crop rows
    },
    "balanced": {
        "mil": ((2 * BATCH * CROPS, 32, DIM), False, None),
        "rtfm": ((2 * BATCH, CROPS, 32, DIM), False, None),
        "urdmu": ((2 * BATCH * CROPS, 200, DIM), False, None),  # B + B videos, each crop a bag
        "hlnet": ((2 * BATCH, CROPS, 200, DIM), True, (2 * BATCH, 200, AUDIO_DIM)),  # B + B videos
        "tpwng": ((2 * BATCH, CROPS, 256, DIM), True, None),
        "vadclip": ((2 * BATCH * CROPS, 256, DIM), True, None),  # B + B videos, each crop a bag
        "vadclip_xd": ((2 * BATCH * CROPS, 256, DIM), True, None),
    },
}
BALANCED_LABELS = {"mil", "rtfm", "urdmu", "tpwng", "vadclip"}
"""Methods whose reference batches hold their normal bags first, then as many abnormal ones."""


def feature_set(audio: bool) -> ArrayFeatureSet:
    """3 normal + 3 abnormal videos of 20-59 snippets, with audio rows aligned to them when asked."""
    rng = np.random.default_rng(0)
    videos = [ArrayVideo(f"v{i}", i % 2) for i in range(6)]
    steps = {v.name: int(rng.integers(20, 60)) for v in videos}
    features = {v.name: rng.normal(size=(steps[v.name], CROPS, DIM)) for v in videos}
    sound = {v.name: rng.normal(size=(steps[v.name], AUDIO_DIM)) for v in videos} if audio else None
    return ArrayFeatureSet(videos, features, sound)


def test_every_registered_method_has_a_tiny_configuration() -> None:
    assert sorted(TINY_SIZES) == trained_methods() == sorted(EXPECTED_LAYOUT["reference"])


@pytest.mark.parametrize("recipe", ["reference", "balanced"])
@pytest.mark.parametrize("method", trained_methods())
def test_every_method_trains_two_steps(
    method: str,
    recipe: str,
    tiny: Callable[[str], dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = feature_set(audio=method == "hlnet")
    fit, val = data.subset(["v0", "v1", "v2", "v3"]), data.subset(["v4", "v5"])
    head = METHODS.get(method)
    original = head.loss
    seen: list[tuple[tuple[int, ...], bool, tuple[int, ...] | None]] = []

    def recording(self, batch: WeakBatch):
        seen.append(
            (
                tuple(batch.features.shape),
                batch.lengths is not None,
                None if batch.audio is None else tuple(batch.audio.shape),
            )
        )
        half = len(batch.labels) // 2
        if recipe == "balanced" or method in BALANCED_LABELS:
            assert batch.labels.tolist() == [0.0] * half + [1.0] * half
        if METHODS.get(method).class_aware:  # each bag carries its video's class
            assert batch.classes is not None and torch.equal(batch.classes > 0, batch.labels > 0)
        else:
            assert batch.classes is None
        return original(self, batch)

    monkeypatch.setattr(head, "loss", recording)
    config = TrainConfig(
        method,
        tiny(method),
        steps=2,
        batch_size=BATCH,
        eval_every=1,
        checkpoint_every=1,
        recipe=recipe,  # type: ignore[arg-type]
    )
    result = train(config, fit, val, run_dir=tmp_path, progress=False, class_indices=class_indices(method))
    assert seen == [EXPECTED_LAYOUT[recipe][method]] * 2
    assert [r.step for r in result.history] == [1, 2]
    assert all(np.isfinite(r.train_loss) and r.validation is not None for r in result.history)

    torch.manual_seed(0)
    initial = create_method(method, **tiny(method)).state_dict()
    trained = load_file(str(result.last_checkpoint / "model.safetensors"))
    assert any(not torch.equal(initial[k], trained[k]) for k in initial)  # the optimiser moved the weights
    model = load_checkpoint(result.last_checkpoint)
    scores = score_feature_set(model, val)
    for video in val:
        assert scores[video.name].shape == (data.load(video).shape[0],)
        assert np.all((scores[video.name] >= 0) & (scores[video.name] <= 1))


@pytest.mark.parametrize("method", trained_methods())
def test_every_method_resumes_bit_identically(
    method: str, tiny: Callable[[str], dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropout masks (all), BatchNorm statistics (RTFM), the latent noise (UR-DMU) and Adam's parameter
    groups (HL-Net) all continue exactly after an interruption."""
    data = feature_set(audio=method == "hlnet")
    fit, val = data.subset(["v0", "v1", "v2", "v3"]), data.subset(["v4", "v5"])
    config = TrainConfig(method, tiny(method), steps=4, batch_size=BATCH, eval_every=1, checkpoint_every=2)
    classes = class_indices(method)
    whole = train(config, fit, val, run_dir=tmp_path / "whole", progress=False, class_indices=classes)
    original = BatchSampler.batch

    def interrupted(self: BatchSampler, step: int) -> WeakBatch:
        if step == 3:
            raise KeyboardInterrupt
        return original(self, step)

    monkeypatch.setattr(BatchSampler, "batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(config, fit, val, run_dir=tmp_path / "cut", progress=False, class_indices=classes)
    monkeypatch.setattr(BatchSampler, "batch", original)
    resumed = train(config, fit, val, run_dir=tmp_path / "cut", progress=False, class_indices=classes)
    assert resumed.resumed_from_step == 2 and resumed.history == whole.history
    expected = load_file(str(whole.last_checkpoint / "model.safetensors"))
    got = load_file(str(resumed.last_checkpoint / "model.safetensors"))
    assert expected.keys() == got.keys() and all(torch.equal(expected[k], got[k]) for k in expected)
