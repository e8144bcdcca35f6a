"""Every registered method honours the WeakHead contract (generated from the registry, timm style)."""

from __future__ import annotations

import pytest
import torch

from vadkit.methods import WeakBatch, WeakHead, create_method, list_methods, load_reference_checkpoint

# Small configurations; each method's own tests check the reference sizes.
TINY = {
    "mil": {"feature_dim": 16},
    "rtfm": {"feature_dim": 16, "branch_channels": 8},
    "urdmu": {"feature_dim": 16, "hidden_dim": 16, "dim_head": 8, "mlp_dim": 16, "classifier_hidden": 8},
    "hlnet": {"feature_dim": 16, "audio_dim": 4},
}


TESTED_ELSEWHERE = {"clip-zeroshot": "test_method_clip_zeroshot.py: training-free, needs a CLIP model folder"}
"""Registered methods whose contract is tested in their own file."""


def test_every_registered_method_has_a_tiny_config() -> None:
    assert list_methods() == sorted({*TINY, *TESTED_ELSEWHERE})


def _batch(name: str, length: int) -> WeakBatch:
    generator = torch.Generator().manual_seed(0)
    features = torch.rand(4, length, 16, generator=generator)
    audio = torch.rand(4, length, 4, generator=generator) if name == "hlnet" else None
    return WeakBatch(features=features, labels=torch.tensor([0.0, 0.0, 1.0, 1.0]), audio=audio)


@pytest.mark.parametrize("name", sorted(TINY))
def test_contract(name: str) -> None:
    torch.manual_seed(0)
    model = create_method(name, **TINY[name])
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


@pytest.mark.parametrize("name", sorted(TINY))
def test_own_state_dict_loads_back_strictly(name: str, tmp_path) -> None:
    torch.manual_seed(1)
    model = create_method(name, **TINY[name])
    path = tmp_path / f"{name}.pth"
    torch.save({"module." + k: v for k, v in model.state_dict().items()}, path)
    loaded = load_reference_checkpoint(name, path, **TINY[name])
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
