"""A trained run, ready to score new videos: its checkpoint, feature standardisation and feature extractor.

:func:`load_detector` reads a run folder written by ``vadkit train`` / ``vadkit demo``
(:mod:`vadkit.train.experiment`):

* the model: ``seed-<s>/checkpoints/selected-step-<N>`` (the validation-selected checkpoint, default) or the
  last step's checkpoint, loaded strictly from its safetensors weights;
* the standardisation ``seed-<s>/feature_norm.npz`` when the run standardised its features;
* the extractor that made the training features: the single configuration of the feature folder's
  ``manifest.json`` (``vadkit extract`` writes it), so new videos get exactly the features the model was
  trained on. Runs on public feature releases have no manifest: the extractor is then given explicitly
  (``extractor=`` and ``extractor_config=``), and the features it makes must match the training ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vadkit.errors import ValidationError
from vadkit.features import Extractor, create_extractor
from vadkit.features.manifest import MANIFEST_NAME
from vadkit.methods import WeakHead
from vadkit.train.checkpoint import (
    CHECKPOINTS,
    RESUMABLE_PREFIX,
    SELECTED_PREFIX,
    checkpoint_name,
    read_info,
)
from vadkit.train.checkpoint import load_checkpoint as load_model
from vadkit.train.experiment import ExperimentConfig
from vadkit.train.normalization import NORM_FILE, Standardizer
from vadkit.train.scoring import class_score_video, evaluating, score_video
from vadkit.train.sequences import VideoInputs
from vadkit.types import SnippetSpec

CHECKPOINT_CHOICES = ("selected", "last")
"""Which checkpoint of a seed a detector uses."""


@dataclass(frozen=True)
class ExtractorSpec:
    """The feature extractor of a detector: registry name and configuration (``Extractor.config()``)."""

    name: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def create(self) -> Extractor:
        """A fresh extractor with this configuration."""
        return create_extractor(self.name, **dict(self.config))

    @property
    def snippet(self) -> SnippetSpec:
        """The snippet geometry of the features (the configuration's ``snippet``, else the default)."""
        value = self.config.get("snippet")
        return SnippetSpec() if value is None else SnippetSpec.from_dict(value)


@dataclass(frozen=True)
class Detector:
    """A trained model with what it needs to score raw videos.

    Attributes:
        model: the weakly-supervised head, in eval mode.
        extractor: the extractor of its features.
        standardizer: the run's feature standardisation, or ``None``.
        run_dir: the run folder it came from.
        seed: the seed of the run.
        checkpoint: ``"selected"`` or ``"last"``.
        checkpoint_path: the checkpoint directory.
        feature_dim: the feature size the model was built for (``None`` when its config does not say).
    """

    model: WeakHead
    extractor: ExtractorSpec
    standardizer: Standardizer | None
    run_dir: Path
    seed: int
    checkpoint: str
    checkpoint_path: Path
    feature_dim: int | None = None

    @property
    def method(self) -> str:
        """The registry name of the model's method."""
        return self.model.name

    @property
    def classes(self) -> list[str] | None:
        """The class names of a class-aware model (index 0 = normal), else ``None``."""
        names = getattr(self.model, "classes", None)
        return None if names is None else [str(name) for name in names]

    def _inputs(self, features: np.ndarray, video: str) -> np.ndarray:
        """``(1, C, T, D)`` standardised float32 features from ``(T, D)`` or ``(T, C, D)``."""
        array = np.array(features, dtype=np.float32)  # a writable copy: torch shares its memory
        if array.ndim == 2:
            array = array[:, None, :]
        if array.ndim != 3 or not np.isfinite(array).all():
            raise ValidationError(f"{video}: features must be a finite (T, D) or (T, C, D) array")
        if self.feature_dim is not None and array.shape[-1] != self.feature_dim:
            raise ValidationError(
                f"{video}: {self.extractor.name} features of size {array.shape[-1]}, the model was trained "
                f"on size {self.feature_dim} (another extractor or configuration)"
            )
        if self.standardizer is not None:
            array = self.standardizer.apply(array, video)
        return array

    def snippet_scores(self, features: np.ndarray, video: str = "features") -> np.ndarray:
        """``(T,)`` float32 anomaly scores of one video's features (crops combined as the method does)."""
        return score_video(self.model, VideoInputs(video, self._inputs(features, video)))

    def class_scores(self, features: np.ndarray, video: str = "features") -> np.ndarray | None:
        """``(T, C)`` float32 class scores (column 0 = normal) of a class-aware model, as the run's
        evaluation computes them (:func:`vadkit.train.scoring.class_score_video`); ``None`` for a model
        without classes."""
        if not self.model.class_aware:
            return None
        with evaluating(self.model):
            return class_score_video(self.model, VideoInputs(video, self._inputs(features, video)))


def _feature_extractor(config: ExperimentConfig) -> ExtractorSpec:
    """The single extractor configuration of the run's feature folder manifest."""
    folder = config.feature_dir or config.feature_root
    if folder is None:
        raise ValidationError("the run records no feature folder: give the extractor explicitly")
    manifest = Path(folder) / MANIFEST_NAME
    if not manifest.is_file():
        raise ValidationError(
            f"{manifest}: no extraction manifest, so the run's extractor is unknown (features not made by "
            "`vadkit extract`, or the run was made from another working directory): give the extractor "
            "explicitly (--extractor NAME --set KEY=VALUE)"
        )
    configurations = json.loads(manifest.read_text(encoding="utf-8")).get("configurations", [])
    if len(configurations) != 1:
        raise ValidationError(
            f"{manifest}: {len(configurations)} extractor configurations; a detector needs exactly one "
            "(give the extractor explicitly)"
        )
    return ExtractorSpec(configurations[0]["extractor"], dict(configurations[0]["config"]))


def _checkpoint_path(run_dir: Path, seed: int, checkpoint: str) -> Path:
    """The selected or last checkpoint directory of a finished seed, from the steps ``metrics.json`` records
    (a training-free run's single step-0 checkpoint is both)."""
    metrics = run_dir / "metrics.json"
    if not metrics.is_file():
        raise ValidationError(f"{run_dir}: no metrics.json (is the run finished?)")
    record = json.loads(metrics.read_text(encoding="utf-8"))["per_seed"].get(str(seed))
    if record is None:
        raise ValidationError(f"{metrics}: no results for seed {seed} (is the run finished?)")
    step = int(record["selected_step" if checkpoint == "selected" else "last_step"])
    root = run_dir / f"seed-{seed}" / CHECKPOINTS
    prefixes = (SELECTED_PREFIX, RESUMABLE_PREFIX) if checkpoint == "selected" else (RESUMABLE_PREFIX,)
    for prefix in prefixes:
        path = root / checkpoint_name(prefix, step)
        if path.is_dir():
            return path
    raise ValidationError(f"{root}: the {checkpoint} checkpoint of step {step} is missing")


def load_detector(
    run_dir: str | Path,
    *,
    seed: int | None = None,
    checkpoint: str = "selected",
    extractor: str | None = None,
    extractor_config: Mapping[str, Any] | None = None,
    device: str = "cpu",
) -> Detector:
    """The detector of a run folder (module docstring).

    Args:
        run_dir: a ``vadkit train`` / ``vadkit demo`` run folder (``config.json``, ``seed-<s>/``).
        seed: which seed's model (default: the run's first seed).
        checkpoint: ``"selected"`` (validation-selected, default) or ``"last"``.
        extractor: the extractor's registry name, overriding the feature manifest's.
        extractor_config: its settings (with ``extractor``; default: none).
        device: torch device of the model.

    Raises:
        ValidationError: not a run folder, an unknown seed or checkpoint kind, a missing checkpoint, or an
            unknown extractor (naming the file or what to give).
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise ValidationError(f"{run_dir}: not a vadkit run folder (no config.json)")
    config = ExperimentConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    if checkpoint not in CHECKPOINT_CHOICES:
        raise ValidationError(
            f"checkpoint must be one of {', '.join(CHECKPOINT_CHOICES)}, got {checkpoint!r}"
        )
    seed = config.seeds[0] if seed is None else seed
    if seed not in config.seeds:
        raise ValidationError(f"{run_dir}: no seed {seed} (seeds: {', '.join(map(str, config.seeds))})")
    seed_dir = run_dir / f"seed-{seed}"
    path = _checkpoint_path(run_dir, seed, checkpoint)
    norm = seed_dir / NORM_FILE
    spec = (
        ExtractorSpec(extractor, dict(extractor_config or {}))
        if extractor is not None
        else _feature_extractor(config)
    )
    return Detector(
        model=load_model(path, device),
        extractor=spec,
        standardizer=Standardizer.load(norm) if norm.is_file() else None,
        run_dir=run_dir,
        seed=seed,
        checkpoint=checkpoint,
        checkpoint_path=path,
        feature_dim=read_info(path)["method_config"].get("feature_dim"),
    )
