"""Checkpoints of a training run: safetensors weights + a JSON record, written atomically; loading them back.

A checkpoint is a directory::

    model.safetensors     the model's state dict, plain parameter names (also readable by
                          vadkit.methods.read_state_dict and load_reference_checkpoint)
    checkpoint.json       format, method, method config, training config, step, selection, history, data
    trainer.safetensors   resumable checkpoints only: optimiser state tensors ("optimizer.<param>.<name>")
                          and RNG states ("rng.torch", "rng.cuda")

Inside a run directory they live under ``checkpoints/``: ``step-<8 digits>`` (resumable; the newest is kept)
and ``selected-step-<8 digits>`` (the model selected so far). A checkpoint is written into a temporary
directory, synced, then renamed into place, so a crash never leaves a partial checkpoint under its final
name. No pickles are written or read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from vadkit.errors import ValidationError
from vadkit.methods import WeakHead, load_reference_checkpoint
from vadkit.types import write_json

FORMAT = "vadkit-checkpoint/1"
MODEL_FILE = "model.safetensors"
TRAINER_FILE = "trainer.safetensors"
INFO_FILE = "checkpoint.json"
CHECKPOINTS = "checkpoints"
RESUMABLE_PREFIX = "step"
SELECTED_PREFIX = "selected-step"
_TEMPORARY = ".tmp-"


def checkpoint_name(prefix: str, step: int) -> str:
    """``<prefix>-<step, 8 digits>``: the directory name of a checkpoint."""
    return f"{prefix}-{step:08d}"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def optimizer_arrays(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An optimiser's per-parameter state as flat tensors ``optimizer.<param>.<name>`` and JSON scalars.

    The parameter groups (learning rates, decays) are not included: the trainer rebuilds them from the
    configuration.
    """
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for param, entries in optimizer.state_dict()["state"].items():
        for name, value in entries.items():
            key = f"{param}.{name}"
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[key] = value
    return tensors, scalars


def restore_optimizer(
    optimizer: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor], scalars: Mapping[str, Any]
) -> None:
    """Load the state written by :func:`optimizer_arrays` into ``optimizer`` (same parameters and groups)."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            param, name = key[len("optimizer.") :].split(".", 1)
            state.setdefault(int(param), {})[name] = value
    for key, value in scalars.items():
        param, name = key.split(".", 1)
        state.setdefault(int(param), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


def write_checkpoint(
    directory: Path,
    model: torch.nn.Module,
    info: Mapping[str, Any],
    trainer: Mapping[str, torch.Tensor] | None = None,
) -> Path:
    """Write a checkpoint directory atomically (replacing one of the same name) and return its path.

    Args:
        directory: the checkpoint's final path.
        model: whose ``state_dict()`` goes to ``model.safetensors``.
        info: the JSON record (``format`` is added).
        trainer: tensors for ``trainer.safetensors`` (resumable checkpoints), or ``None``.
    """
    directory = Path(directory)
    temporary = directory.with_name(f"{_TEMPORARY}{directory.name}-{os.getpid()}")
    if temporary.exists():
        shutil.rmtree(temporary)
    temporary.mkdir(parents=True)
    state = {name: value.detach().cpu().contiguous() for name, value in model.state_dict().items()}
    save_file(state, str(temporary / MODEL_FILE), metadata={"format": FORMAT})
    if trainer is not None:
        save_file(dict(trainer), str(temporary / TRAINER_FILE), metadata={"format": FORMAT})
    write_json(temporary / INFO_FILE, {"format": FORMAT, **info})
    for child in temporary.iterdir():
        _fsync(child)
    if directory.exists():
        shutil.rmtree(directory)
    temporary.rename(directory)
    _fsync(directory.parent)
    return directory


def checkpoint_directory(path: str | Path) -> Path:
    """The checkpoint directory of ``path``: the directory itself, or the directory of one of its files.

    Raises:
        ValidationError: no ``checkpoint.json`` there.
    """
    path = Path(path)
    directory = path.parent if path.name in (MODEL_FILE, INFO_FILE, TRAINER_FILE) else path
    if not (directory / INFO_FILE).is_file():
        raise ValidationError(f"{path}: not a vadkit checkpoint (no {INFO_FILE})")
    return directory


def read_info(path: str | Path) -> dict[str, Any]:
    """The JSON record of the checkpoint at ``path`` (see :func:`checkpoint_directory`).

    Raises:
        ValidationError: not a checkpoint, unreadable JSON, or another format.
    """
    file = checkpoint_directory(path) / INFO_FILE
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{file}: unreadable checkpoint record ({exc})") from exc
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        found = info.get("format") if isinstance(info, dict) else None
        raise ValidationError(f"{file}: checkpoint format {found!r}, expected {FORMAT!r}")
    return info


def read_trainer_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a resumable checkpoint's ``trainer.safetensors``.

    Raises:
        ValidationError: the checkpoint has none (it is not resumable).
    """
    file = checkpoint_directory(path) / TRAINER_FILE
    if not file.is_file():
        raise ValidationError(f"{file.parent}: not a resumable checkpoint (no {TRAINER_FILE})")
    return load_file(str(file))


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> WeakHead:
    """The model of a vadkit checkpoint, built from its JSON record and loaded strictly, in eval mode.

    Args:
        path: the checkpoint directory, or its ``model.safetensors`` / ``checkpoint.json``.
        device: where to put the model.

    Raises:
        ValidationError: not a vadkit checkpoint, or weights that do not fit the recorded method/config.
    """
    info = read_info(path)
    model = load_reference_checkpoint(
        info["method"], checkpoint_directory(path) / MODEL_FILE, **info["method_config"]
    )
    return model.to(device).eval()


def latest_checkpoint(root: Path, prefix: str = RESUMABLE_PREFIX) -> Path | None:
    """The checkpoint ``<prefix>-<step>`` under ``root`` with the highest step, or ``None``."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d{{8}})")
    found = [
        (int(match.group(1)), child)
        for child in (root.iterdir() if root.is_dir() else ())
        if (match := pattern.fullmatch(child.name)) and (child / INFO_FILE).is_file()
    ]
    return max(found)[1] if found else None


def remove_temporary(root: Path) -> None:
    """Delete the temporary directories an interrupted write left under ``root``."""
    for child in root.iterdir() if root.is_dir() else ():
        if child.name.startswith(_TEMPORARY) and child.is_dir():
            shutil.rmtree(child)


def prune(root: Path, keep: set[Path]) -> None:
    """Delete every checkpoint directory under ``root`` (resumable or selected) not in ``keep``."""
    pattern = re.compile(rf"({re.escape(RESUMABLE_PREFIX)}|{re.escape(SELECTED_PREFIX)})-\d{{8}}")
    for child in root.iterdir():
        if pattern.fullmatch(child.name) and child not in keep:
            shutil.rmtree(child)
