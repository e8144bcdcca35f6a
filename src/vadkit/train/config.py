"""The training configuration: everything that determines a run's result, as one frozen, JSON-ready record."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from vadkit.errors import ValidationError
from vadkit.methods import list_methods
from vadkit.train.selection import SELECTION_CRITERIA, SelectionCriterion


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
        batch_size: videos of *each* class per step (``B`` normal + ``B`` abnormal; see
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
        crops_as_bags: train every crop as its own bag (``True``), or the crops of a video together
            (``False``); ``None``: the method's reference
            (:attr:`vadkit.methods.base.WeakHead.crops_as_bags`).
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
