"""The training configuration: everything that determines a run's result, as one frozen, JSON-ready record."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from vadkit.errors import ValidationError
from vadkit.methods import BALANCED_RECIPE, METHODS, TrainRecipe, list_methods
from vadkit.train.selection import SELECTION_CRITERIA, SelectionCriterion

RecipeChoice = Literal["reference", "balanced"]
RECIPES: tuple[RecipeChoice, ...] = ("reference", "balanced")
"""``"reference"``: each method's :attr:`~vadkit.methods.base.WeakHead.train_recipe`; ``"balanced"``:
:data:`~vadkit.methods.base.BALANCED_RECIPE` for every method (balanced videos, constant learning rate)."""


def reject_unknown_fields(cls: type, data: Mapping[str, Any]) -> None:
    """Raise a ValidationError naming the keys of ``data`` that are not fields of dataclass ``cls``."""
    unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise ValidationError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}")


@dataclass(frozen=True)
class TrainConfig:
    """How to train one weakly-supervised head.

    Attributes:
        method: registered method name (:func:`vadkit.methods.list_methods`).
        method_config: keyword arguments of :func:`vadkit.methods.create_method` (JSON values).
        steps: optimiser steps (iterations) in all.
        batch_size: ``B``: every step holds ``2B`` items, ``B`` videos (or crop rows) of each class in
            balanced batchings, ``2B`` crop rows of both classes together in shuffled ones (see
            :mod:`vadkit.train.batches`).
        lr: learning-rate override. Every parameter group of the reference optimiser is rescaled by
            ``lr / reference default lr``, which keeps ratios between groups (HL-Net's halved online rate).
            ``None``: the reference rates.
        weight_decay: weight-decay override, set on every parameter group; ``None``: the reference values.
        eval_every: validate every this many steps (and after the last step).
        checkpoint_every: write a resumable checkpoint every this many steps (and after the last step).
        seed: seeds the model initialisation, dropout and every draw of the run.
        device: torch device; runs are deterministic (bit for bit) on ``"cpu"``.
        selection: validation criterion (:mod:`vadkit.train.selection`).
        selection_protocol: protocol of the ``"frame"`` criterion (required for it, unused otherwise).
        select_on_test: select on the test metric of a ``test_fn`` instead of the validation split, to
            reproduce papers that do so; recorded in every checkpoint.
        crops_as_bags: in balanced-video batches, train every crop as its own bag (``True``), or the crops of
            a video together (``False``); ``None``: the method's reference
            (:attr:`vadkit.methods.base.WeakHead.crops_as_bags`). Crop-row batchings always make every crop
            a bag, so ``False`` is refused with them.
        recipe: ``"reference"`` (default): batch composition and learning-rate schedule of the method's
            reference script (:attr:`vadkit.methods.base.WeakHead.train_recipe`); ``"balanced"``: balanced
            videos at a constant learning rate for every method (vadkit's earlier trainer, for comparisons).
    """

    method: str
    method_config: Mapping[str, Any] = field(default_factory=dict)
    steps: int = 1000
    batch_size: int = 32
    lr: float | None = None
    weight_decay: float | None = None
    eval_every: int = 100
    checkpoint_every: int = 100
    seed: int = 0
    device: str = "cpu"
    selection: SelectionCriterion = "video-auc-max"
    selection_protocol: str | None = None
    select_on_test: bool = False
    crops_as_bags: bool | None = None
    recipe: RecipeChoice = "reference"

    def __post_init__(self) -> None:
        if self.method not in list_methods():
            raise ValidationError(
                f"TrainConfig: unknown method {self.method!r} (known: {', '.join(list_methods())})"
            )
        try:
            config = json.loads(json.dumps(dict(self.method_config)))
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"TrainConfig: method_config must hold JSON values ({exc})") from exc
        object.__setattr__(self, "method_config", MappingProxyType(config))
        for name in ("steps", "batch_size", "eval_every", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"TrainConfig: {name} must be a positive integer, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValidationError(f"TrainConfig: seed must be a non-negative integer, got {self.seed!r}")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise ValidationError(f"TrainConfig: lr must be a finite positive number, got {self.lr!r}")
        if self.weight_decay is not None and not (
            math.isfinite(self.weight_decay) and self.weight_decay >= 0
        ):
            raise ValidationError(
                f"TrainConfig: weight_decay must be a finite number >= 0, got {self.weight_decay!r}"
            )
        if self.selection not in SELECTION_CRITERIA:
            raise ValidationError(
                f"TrainConfig: unknown selection {self.selection!r} (known: {', '.join(SELECTION_CRITERIA)})"
            )
        if (self.selection == "frame") != (self.selection_protocol is not None):
            raise ValidationError(
                "TrainConfig: selection_protocol is required by selection='frame' and used by nothing else"
            )
        if self.recipe not in RECIPES:
            raise ValidationError(
                f"TrainConfig: unknown recipe {self.recipe!r} (known: {', '.join(RECIPES)})"
            )
        batching = self.train_recipe().batching
        if self.crops_as_bags is False and batching != "balanced_videos":
            raise ValidationError(
                f"TrainConfig: crops_as_bags=False needs video batches, but the {self.recipe} recipe of "
                f"{self.method} draws {batching} (every crop its own bag); use recipe='balanced'"
            )

    def train_recipe(self) -> TrainRecipe:
        """The recipe the trainer follows: the method's reference recipe, or the balanced one."""
        return METHODS.get(self.method).train_recipe if self.recipe == "reference" else BALANCED_RECIPE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of every field."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["method_config"] = dict(self.method_config)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """The configuration written by :meth:`to_dict`.

        Raises:
            ValidationError: unknown keys or invalid values.
        """
        reject_unknown_fields(cls, data)
        return cls(**dict(data))
