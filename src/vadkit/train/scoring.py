"""Snippet scores of whole videos: what validation, model selection and evaluation read.

Each video is scored on its own and in full (no resampling, no padding), as the reference test scripts do:
``model.snippet_scores(features (1, C, T, D), audio=(1, T, Da))`` in eval mode without gradients, which
combines the crops the way the method's reference evaluation does (mean of the crop scores). Class-aware
methods (:attr:`~vadkit.methods.base.WeakHead.class_aware`) are also scored per class:
``model.class_scores(features (1, C, T, D), None)``, ``(T, classes)`` per video.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from vadkit.errors import ValidationError
from vadkit.methods import WeakHead
from vadkit.train.cache import LRUCache
from vadkit.train.sequences import VideoInputs, load_inputs
from vadkit.train.source import FeatureSetLike


@contextlib.contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[None]:
    """``model`` in eval mode without gradients for the block; its previous mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


@runtime_checkable
class ClassScorer(Protocol):
    """What a class-aware head adds to :class:`~vadkit.methods.base.WeakHead`."""

    def class_scores(self, features: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """``(B, T, classes)`` class scores, class 0 = normal."""
        ...


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of ``model``'s first parameter, else of its first buffer, else the CPU (a training-free
    head may have neither)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _video_features(model: torch.nn.Module, inputs: VideoInputs) -> torch.Tensor:
    """``(1, C, T, D)`` features of one video on the model's device."""
    return torch.from_numpy(inputs.features).permute(1, 0, 2).unsqueeze(0).to(model_device(model))


def score_video(model: WeakHead, inputs: VideoInputs) -> np.ndarray:
    """``(T,)`` float32 snippet scores of one video, without gradients; ``model`` is used in its current mode
    (see :func:`evaluating`)."""
    device = model_device(model)
    features = _video_features(model, inputs)
    audio = None if inputs.audio is None else torch.from_numpy(inputs.audio).unsqueeze(0).to(device)
    with torch.no_grad():
        scores = model.snippet_scores(features, audio=audio)
    return scores[0].detach().cpu().numpy().astype(np.float32, copy=False)


def score_feature_set(
    model: WeakHead, feature_set: FeatureSetLike, *, cache: LRUCache | None = None
) -> dict[str, np.ndarray]:
    """``{video: (T,) snippet scores}`` for every video of ``feature_set``, in its order.

    The model scores in eval mode (:func:`evaluating`) and returns to its previous mode after; audio features
    are loaded when the model takes them (:attr:`~vadkit.methods.base.WeakHead.uses_audio`).

    Args:
        model: the head to score with.
        feature_set: the videos.
        cache: keeps the loaded inputs for the next call (validation every few steps).
    """
    audio = model.uses_audio
    scores: dict[str, np.ndarray] = {}
    with evaluating(model):
        for video in feature_set:
            load = functools.partial(load_inputs, feature_set, video, audio=audio)
            inputs = load() if cache is None else cache.get(("inputs", video.name), load)
            scores[video.name] = score_video(model, inputs)
    return scores


def class_score_feature_set(model: WeakHead, feature_set: FeatureSetLike) -> dict[str, np.ndarray]:
    """``{video: (T, classes) float32 class scores}`` of a class-aware head for every video of
    ``feature_set``, in its order, in eval mode without gradients (module docstring).

    Raises:
        ValidationError: ``model`` has no ``class_scores``.
    """
    scores: dict[str, np.ndarray] = {}
    with evaluating(model):
        for video in feature_set:
            scores[video.name] = class_score_video(model, load_inputs(feature_set, video, audio=False))
    return scores


def class_score_video(model: WeakHead, inputs: VideoInputs) -> np.ndarray:
    """``(T, classes)`` float32 class scores of one video from a class-aware head, without gradients
    (``model`` is used in its current mode, see :func:`evaluating`).

    Raises:
        ValidationError: ``model`` has no ``class_scores``.
    """
    if not isinstance(model, ClassScorer):
        raise ValidationError(f"{model.name}: a class-aware method needs class_scores(features, lengths)")
    with torch.no_grad():
        values = model.class_scores(_video_features(model, inputs), None)[0]
    return values.detach().cpu().numpy().astype(np.float32, copy=False)
