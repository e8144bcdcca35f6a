"""Checkpoint directories: atomic writing, records, optimiser state round trip, loading and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from vadkit.errors import ValidationError
from vadkit.methods import WeakBatch, create_method
from vadkit.train import load_checkpoint, read_info
from vadkit.train.checkpoint import (
    latest_checkpoint,
    optimizer_arrays,
    prune,
    read_trainer_state,
    remove_temporary,
    restore_optimizer,
    write_checkpoint,
)


def stepped_model() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = create_method("rtfm", feature_dim=4, branch_channels=4)
    optimizer = model.reference_optimizer()
    for _ in range(2):
        batch = WeakBatch(torch.randn(4, 2, 32, 4), torch.tensor([0.0, 0.0, 1.0, 1.0]))
        optimizer.zero_grad()
        model.loss(batch)[0].backward()
        optimizer.step()
    return model, optimizer


def test_write_and_load_a_checkpoint(tmp_path: Path) -> None:
    model, optimizer = stepped_model()
    tensors, scalars = optimizer_arrays(optimizer)
    info = {"kind": "resumable", "method": "rtfm", "method_config": {"feature_dim": 4, "branch_channels": 4}}
    path = write_checkpoint(
        tmp_path / "step-00000002", model, info, {**tensors, "rng.torch": torch.get_rng_state()}
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-00000002"]
    assert read_info(path)["format"] == "vadkit-checkpoint/1"
    loaded = load_checkpoint(path / "model.safetensors")
    assert not loaded.training
    for name, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value)  # BatchNorm running statistics included

    fresh = create_method("rtfm", feature_dim=4, branch_channels=4)
    fresh.load_state_dict(model.state_dict())
    restored = fresh.reference_optimizer()
    restore_optimizer(restored, read_trainer_state(path), scalars)
    original, copy = optimizer.state_dict()["state"], restored.state_dict()["state"]
    assert original.keys() == copy.keys()
    for param in original:
        for name, value in original[param].items():
            assert torch.equal(copy[param][name], value)


def test_rewriting_replaces_and_temporaries_are_cleaned(tmp_path: Path) -> None:
    model, _ = stepped_model()
    info = {"method": "rtfm", "method_config": {"feature_dim": 4, "branch_channels": 4}}
    write_checkpoint(tmp_path / "selected-step-00000003", model, {**info, "step": 3})
    write_checkpoint(tmp_path / "selected-step-00000003", model, {**info, "step": 4})
    assert read_info(tmp_path / "selected-step-00000003")["step"] == 4
    (tmp_path / ".tmp-step-00000009-123").mkdir()
    (tmp_path / "step-00000007").mkdir()  # no record: an incomplete directory is never resumed from
    write_checkpoint(tmp_path / "step-00000005", model, info)
    assert latest_checkpoint(tmp_path) == tmp_path / "step-00000005"
    assert latest_checkpoint(tmp_path, "selected-step") == tmp_path / "selected-step-00000003"
    remove_temporary(tmp_path)
    prune(tmp_path, {tmp_path / "step-00000005"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-00000005"]
    assert latest_checkpoint(tmp_path / "missing") is None


def test_loading_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a vadkit checkpoint"):
        load_checkpoint(tmp_path)
    (tmp_path / "checkpoint.json").write_text("{broken")
    with pytest.raises(ValidationError, match="unreadable checkpoint record"):
        read_info(tmp_path)
    (tmp_path / "checkpoint.json").write_text(json.dumps({"format": "other/2"}))
    with pytest.raises(ValidationError, match="checkpoint format 'other/2'"):
        read_info(tmp_path / "checkpoint.json")
    model, _ = stepped_model()
    path = write_checkpoint(
        tmp_path / "selected", model, {"method": "rtfm", "method_config": {"feature_dim": 4}}
    )
    with pytest.raises(ValidationError, match="not a resumable checkpoint"):
        read_trainer_state(path)
    with pytest.raises(ValidationError, match="does not fit rtfm"):
        load_checkpoint(path)  # recorded config (512 branch channels) differs from the weights
