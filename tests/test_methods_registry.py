"""Every registered method honours the WeakHead contract (generated from the registry, timm style)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from tiny_methods import TINY_CLIP_DIM, TINY_SIZES
from vadkit.methods import (
    METHODS,
    WeakBatch,
    WeakHead,
    create_method,
    list_methods,
    load_reference_checkpoint,
)

DIM = TINY_CLIP_DIM
"""The feature size of every test batch (the tiny CLIP's, which the CLIP-based methods read)."""
CLASSES = ["normal", "run", "fall"]
BATCH_CLASSES = [0, 0, 1, 2]
"""The classes of the test batch's videos (class-aware methods), labels 0, 0, 1, 1."""

# Small configurations on top of tiny_methods.TINY_SIZES; each method's own tests check the reference sizes.
DATA: dict[str, dict[str, Any]] = {
    "mil": {"feature_dim": DIM},
    "rtfm": {"feature_dim": DIM, "branch_channels": 8},
    "urdmu": {"feature_dim": DIM, "hidden_dim": 16, "dim_head": 8, "mlp_dim": 16, "classifier_hidden": 8},
    "hlnet": {"feature_dim": DIM, "audio_dim": 4},
    "tpwng": {"feature_dim": DIM, "classes": CLASSES},
    "vadclip": {"classes": CLASSES},
    "vadclip_xd": {"classes": CLASSES},
}


TESTED_ELSEWHERE = {"clip-zeroshot": "test_method_clip_zeroshot.py: training-free, needs a CLIP model folder"}
"""Registered methods whose contract is tested in their own file."""


def test_every_registered_method_has_a_tiny_config() -> None:
    assert list_methods() == sorted({*DATA, *TESTED_ELSEWHERE})
    assert set(TINY_SIZES) == set(DATA)


@pytest.fixture
def config(method_config: Callable[..., dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """The tiny configuration of a method: DATA over TINY_SIZES, and the tiny CLIP where needed."""
    return lambda name: {**method_config(name), **DATA[name]}


def _batch(name: str, length: int) -> WeakBatch:
    generator = torch.Generator().manual_seed(0)
    features = torch.rand(4, length, DIM, generator=generator)
    audio = torch.rand(4, length, 4, generator=generator) if name == "hlnet" else None
    classes = torch.tensor(BATCH_CLASSES) if METHODS.get(name).class_aware else None
    return WeakBatch(
        features=features, labels=torch.tensor([0.0, 0.0, 1.0, 1.0]), audio=audio, classes=classes
    )


@pytest.mark.parametrize("name", sorted(DATA))
def test_contract(name: str, config: Callable[[str], dict[str, Any]]) -> None:
    torch.manual_seed(0)
    model = create_method(name, **config(name))
    assert isinstance(model, WeakHead) and model.name == name
    length = model.train_sequence.length or 32
    batch = _batch(name, length)
    model.train()
    total, parts = model.loss(batch)
    assert total.ndim == 0 and torch.isfinite(total) and parts
    total.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    model.eval()
    with torch.no_grad():
        scores = model.snippet_scores(batch.features, audio=batch.audio)
    assert scores.shape == (4, length)
    assert bool(((scores >= 0) & (scores <= 1)).all())
    assert isinstance(model.reference_optimizer(), torch.optim.Optimizer)


@pytest.mark.parametrize("name", sorted(n for n in DATA if METHODS.get(n).class_aware))
def test_class_aware_contract(name: str, config: Callable[[str], dict[str, Any]]) -> None:
    """What the experiment runner calls: ``class_scores`` of one video's ``(1, crops, T, D)`` features with
    ``None`` lengths, ``(1, T, classes)`` probabilities."""
    torch.manual_seed(0)
    model = create_method(name, **config(name)).eval()
    assert list(model.classes) == CLASSES
    features = torch.rand(1, 2, 7, DIM, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        probabilities = model.class_scores(features, None)
    assert probabilities.shape == (1, 7, len(CLASSES))
    torch.testing.assert_close(probabilities.sum(dim=-1), torch.ones(1, 7))


@pytest.mark.parametrize("name", sorted(DATA))
def test_own_state_dict_loads_back_strictly(
    name: str, config: Callable[[str], dict[str, Any]], tmp_path
) -> None:
    torch.manual_seed(1)
    model = create_method(name, **config(name))
    path = tmp_path / f"{name}.pth"
    torch.save({"module." + k: v for k, v in model.state_dict().items()}, path)
    loaded = load_reference_checkpoint(name, path, **config(name))
    state = loaded.state_dict()
    for key, value in model.state_dict().items():
        assert torch.equal(state[key], value)
