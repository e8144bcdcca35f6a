"""Snippet scores of whole videos: what validation, model selection and evaluation read.

Each video is scored on its own and in full (no resampling, no padding), as the reference test scripts do:
``model.snippet_scores(features (1, C, T, D), audio=(1, T, Da))`` in eval mode without gradients, which
combines the crops the way the method's reference evaluation does (mean of the crop scores).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import numpy as np
import torch

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


def score_video(model: WeakHead, inputs: VideoInputs) -> np.ndarray:
    """``(T,)`` float32 snippet scores of one video, without gradients; ``model`` is used in its current mode
    (see :func:`evaluating`)."""
    device = next(model.parameters()).device
    features = torch.from_numpy(inputs.features).permute(1, 0, 2).unsqueeze(0).to(device)
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
