"""The weakly-supervised head contract, the method registry and reference-checkpoint loading.

A weakly-supervised head is a plain ``torch.nn.Module`` from snippet features to snippet anomaly scores in
``[0, 1]``, with the training objective of its paper as :meth:`WeakHead.loss`. It is usable without vadkit's
trainer: build it, call :meth:`WeakHead.snippet_scores` or :meth:`WeakHead.loss`.

Tensors:

* ``features``: ``(B, T, D)``, or ``(B, C, T, D)`` with ``C`` spatial crops (RTFM's 10-crop features); rows
  past a video's length are zero padding.
* ``lengths``: ``(B,)`` valid snippet counts, or ``None`` when every row is valid.
* ``labels``: ``(B,)`` video-level labels, 1 = abnormal.
* ``audio``: ``(B, T, Da)`` for audio-visual methods (HL-Net's VGGish features), else ``None``.

How videos become training sequences differs per method (32 mean-pooled segments for MIL and RTFM, padding or
pooling to a fixed length for others): each head declares it in :attr:`WeakHead.train_sequence`, and the data
pipeline applies the matching function of :mod:`vadkit.snippets`. How training batches are composed and how
the learning rate moves over training (the reference script's recipe): :attr:`WeakHead.train_recipe`.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import torch
from torch import nn

from vadkit.errors import ValidationError
from vadkit.registry import Registry

SequenceMode = Literal["segments", "pool_or_pad", "subsample_or_pad", "full"]
Batching = Literal["balanced_videos", "balanced_crop_rows", "shuffled_crop_rows"]
BATCHINGS: tuple[Batching, ...] = ("balanced_videos", "balanced_crop_rows", "shuffled_crop_rows")
"""How a training step draws its bags (:class:`TrainRecipe`; the draws: :mod:`vadkit.train.batches`)."""


@dataclass(frozen=True)
class TrainSequence:
    """How a training video becomes a fixed-length sequence.

    ``"segments"``: :func:`vadkit.snippets.resample_segments` to ``length`` rows (MIL, RTFM);
    ``"pool_or_pad"``: :func:`vadkit.snippets.pool_or_pad` to ``length`` rows, keeping the valid length;
    ``"subsample_or_pad"``: :func:`vadkit.snippets.subsample_or_pad` to ``length`` rows (XDVioDet, HL-Net);
    ``"full"``: the whole video (batch size 1 or padding by the caller).
    """

    mode: SequenceMode
    length: int | None = None


@dataclass(frozen=True)
class EpochSchedule:
    """A learning-rate factor as a pure function of the 0-based epoch index (``MultiStepLR`` as a function).

    ``factor(e) = gamma ** (number of milestones <= e)``: the rate is multiplied by ``gamma`` from the first
    step of epoch ``m`` on, for each milestone ``m``. The default (no milestones) is a constant rate.

    Raises:
        ValidationError: milestones that are not positive, strictly increasing integers, or ``gamma`` not in
            ``(0, 1]``.
    """

    milestones: tuple[int, ...] = ()
    gamma: float = 1.0

    def __post_init__(self) -> None:
        milestones = tuple(self.milestones)
        if any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in milestones) or any(
            b <= a for a, b in itertools.pairwise(milestones)
        ):
            raise ValidationError(
                f"EpochSchedule: milestones must be strictly increasing positive integers, got {milestones!r}"
            )
        if not (math.isfinite(self.gamma) and 0.0 < self.gamma <= 1.0):
            raise ValidationError(f"EpochSchedule: gamma must lie in (0, 1], got {self.gamma!r}")
        object.__setattr__(self, "milestones", milestones)

    def factor(self, epoch: int) -> float:
        """The factor on the reference learning rates during 0-based ``epoch``."""
        return self.gamma ** sum(epoch >= milestone for milestone in self.milestones)


@dataclass(frozen=True)
class TrainRecipe:
    """How the reference training script feeds and schedules a method: its batch composition and its
    learning-rate schedule over epochs (the optimiser itself is :meth:`WeakHead.reference_optimizer`).

    ``batching`` (``B`` = the trainer's ``batch_size``; the draws are in :mod:`vadkit.train.batches`):

    * ``"balanced_videos"``: ``B`` normal and ``B`` abnormal videos per step, two independent shuffled
      streams with ``drop_last`` (MIL, RTFM); a video's crops are one bag or one bag each
      (:attr:`WeakHead.crops_as_bags`).
    * ``"balanced_crop_rows"``: ``B`` normal and ``B`` abnormal *crop rows* per step, each row a
      ``(video, crop)`` pair drawn independently of its video's other crops, two shuffled streams with
      ``drop_last`` (UR-DMU's one-line-per-crop lists).
    * ``"shuffled_crop_rows"``: ``2B`` crop rows per step from one shuffled pass over the rows of *both*
      classes, without ``drop_last`` and without balancing (HL-Net's single ``DataLoader``).

    An epoch is one pass of the batching's data (``steps_per_epoch`` of the sampler); ``lr_schedule`` gives
    the learning-rate factor of each epoch.
    """

    batching: Batching = "balanced_videos"
    lr_schedule: EpochSchedule = EpochSchedule()

    def __post_init__(self) -> None:
        if self.batching not in BATCHINGS:
            raise ValidationError(
                f"TrainRecipe: unknown batching {self.batching!r} (known: {', '.join(BATCHINGS)})"
            )


BALANCED_RECIPE = TrainRecipe()
"""Balanced videos at a constant learning rate: the reference recipe of MIL and RTFM, and what the trainer
uses for every method with ``TrainConfig(recipe="balanced")``."""


@dataclass(frozen=True)
class WeakBatch:
    """One training batch of video-level-labelled bags (see the module docstring for shapes).

    ``classes``: ``(B,)`` video-level class indices into the class list the method was built with (0 =
    normal), for class-aware methods (VadCLIP, TPWNG); ``None`` when the data has no classes.
    """

    features: torch.Tensor
    labels: torch.Tensor
    lengths: torch.Tensor | None = None
    audio: torch.Tensor | None = None
    classes: torch.Tensor | None = None


class WeakHead(nn.Module, ABC):
    """A weakly-supervised anomaly head: snippet features -> snippet scores, trained by :meth:`loss`.

    Subclasses set :attr:`name` (registry name), :attr:`train_sequence` and :attr:`train_recipe`, keep the
    reference implementation's parameter names and shapes (so its published checkpoints load with
    ``strict=True``), and are registered with ``@register_method(name)``.
    """

    name: ClassVar[str] = ""
    train_sequence: ClassVar[TrainSequence] = TrainSequence("full")
    crops_as_bags: ClassVar[bool] = False
    """Whether the reference training makes every spatial crop an independent bag (``(B*C, T, D)`` batches)
    rather than passing a video's crops together (``(B, C, T, D)``) in ``"balanced_videos"`` batches
    (crop-row batchings always make every crop its own bag)."""
    train_recipe: ClassVar[TrainRecipe] = BALANCED_RECIPE
    """The reference script's batch composition and learning-rate schedule, which the trainer follows by
    default (``TrainConfig(recipe="reference")``)."""
    class_aware: ClassVar[bool] = False
    """Whether the head scores classes: its constructor takes ``classes`` (the class names, index 0 =
    normal), it has ``class_scores(features, lengths) -> (B, T, len(classes))`` (class 0 = normal) and its
    :meth:`loss` reads :attr:`WeakBatch.classes`. The experiment runner passes the dataset's class list,
    fills the batches' classes and evaluates the class scores (``map@iou``)."""
    trainable: ClassVar[bool] = True
    """``False`` for a training-free head (no parameters to fit): the experiment runner scores it without
    training, and :meth:`loss` and :meth:`reference_optimizer` are not used."""

    @property
    def uses_audio(self) -> bool:
        """Whether the model takes audio features (``WeakBatch.audio``) besides the visual ones."""
        return False

    @abstractmethod
    def snippet_scores(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, T)`` anomaly scores in ``[0, 1]``, combining crops the way the reference evaluation does."""

    @abstractmethod
    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """The paper's training objective on ``batch``: the scalar to minimise and its named parts."""

    @abstractmethod
    def reference_optimizer(self) -> torch.optim.Optimizer:
        """The optimiser of the reference training script (type, learning rates, weight decay)."""

    def loss_penalty(self) -> torch.Tensor | None:
        """A parameter penalty the reference training adds to :meth:`loss` and :meth:`reference_optimizer`
        does not already apply as weight decay; the trainer adds it to every step's loss. ``None``: none."""
        return None


METHODS: Registry[WeakHead] = Registry("method")
"""Registered methods: ``METHODS.create("rtfm", feature_dim=2048)``."""


HeadType = TypeVar("HeadType", bound=type[WeakHead])


def register_method(name: str) -> Callable[[HeadType], HeadType]:
    """Class decorator registering a head under ``name`` (and setting its :attr:`~WeakHead.name`)."""

    def decorate(cls: HeadType) -> HeadType:
        cls.name = name
        METHODS.register(name)(cls)
        return cls

    return decorate


def create_method(name: str, **config: Any) -> WeakHead:
    """The method registered as ``name``, built with ``config``."""
    return METHODS.create(name, **config)


def list_methods() -> list[str]:
    """Names of the registered methods."""
    return METHODS.names()


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A checkpoint's tensors, loaded weights-only (never an arbitrary pickle).

    Reads ``.safetensors`` files and PyTorch ``.pt``/``.pth``/``.pkl`` files through
    ``torch.load(weights_only=True)``; a checkpoint that wraps its state dict (``{"state_dict": ...}``,
    ``{"model": ...}``) is unwrapped, and DataParallel's ``module.`` prefix is removed.

    Raises:
        ValidationError: the file is missing, is not a weights-only checkpoint, or holds no tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: checkpoint not found")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            loaded: Any = load_file(str(path))
        else:
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError or OSError depending on the damage
        raise ValidationError(f"{path}: not a weights-only checkpoint ({exc})") from exc
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(loaded, Mapping) and isinstance(loaded.get(key), Mapping):
            loaded = loaded[key]
    if not isinstance(loaded, Mapping) or not any(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise ValidationError(f"{path}: holds no state dict of tensors")
    prefix = "module."
    return {
        (k[len(prefix) :] if k.startswith(prefix) else k): v
        for k, v in loaded.items()
        if isinstance(v, torch.Tensor)
    }


def load_reference_checkpoint(name: str, path: str | Path, **config: Any) -> WeakHead:
    """Build method ``name`` with ``config`` and load the authors' published checkpoint into it, strictly.

    Raises:
        ValidationError: the checkpoint cannot be read, or its keys/shapes differ from the model's (the
            message lists the missing, unexpected and mis-shaped parameters).
    """
    model = create_method(name, **config)
    load_strictly(model, read_state_dict(path), path, name)
    return model


def load_strictly(model: nn.Module, state: Mapping[str, torch.Tensor], path: str | Path, name: str) -> None:
    """Load ``state`` into ``model`` with ``strict=True``, after checking keys and shapes so that a
    mismatch is reported as a ValidationError naming ``path``, ``name`` and the missing, unexpected and
    mis-shaped parameters (at most 8 of each)."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape))
    if missing or unexpected or shapes:
        details = "; ".join(
            f"{label}: {', '.join(keys[:8])}{' ...' if len(keys) > 8 else ''}"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape differs", shapes))
            if keys
        )
        raise ValidationError(f"{path}: does not fit {name} ({details})")
    model.load_state_dict(state, strict=True)
