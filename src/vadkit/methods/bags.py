"""Bags of snippet scores in multiple-instance training: batch checks, class split, and per-bag statistics.

Shared by the MIL-family heads (:mod:`vadkit.methods.mil`, :mod:`vadkit.methods.rtfm`). A *bag* is one
video's fixed-length sequence of segment scores, ``(T,)``; a batch of bags is ``(N, T)``.

The reference implementations lay a batch out by position (Sultani's Keras script: abnormal bags first;
RTFM and the PyTorch MIL ports: normal bags first). vadkit reads the class of each bag from
:attr:`~vadkit.methods.base.WeakBatch.labels` instead and keeps the batch order *within* each class, which
gives the reference values for a batch in the reference layout and correct values for any other layout.
"""

from __future__ import annotations

import torch

from vadkit.errors import ValidationError


def as_crops(features: torch.Tensor, feature_dim: int, owner: str) -> torch.Tensor:
    """``features`` as ``(B, C, T, D)``: a ``(B, T, D)`` tensor becomes one crop.

    Raises:
        ValidationError: not 3-D or 4-D, an empty axis, or ``D != feature_dim``.
    """
    if features.ndim == 3:
        features = features.unsqueeze(1)
    if features.ndim != 4:
        raise ValidationError(
            f"{owner}: features must have shape (B, T, D) or (B, C, T, D), got {tuple(features.shape)}"
        )
    if 0 in features.shape:
        raise ValidationError(f"{owner}: features have an empty axis, shape {tuple(features.shape)}")
    if features.shape[-1] != feature_dim:
        raise ValidationError(
            f"{owner}: features have D={features.shape[-1]}, the model was built for "
            f"feature_dim={feature_dim}"
        )
    return features


def valid_lengths(lengths: torch.Tensor | None, batch: int, steps: int, owner: str) -> torch.Tensor | None:
    """``lengths`` checked against a ``(batch, steps, ...)`` tensor: ``(batch,)`` integers in ``[1, steps]``.

    Returns ``None`` when ``lengths`` is ``None`` or every row is full, else the lengths as int64.
    """
    if lengths is None:
        return None
    if lengths.shape != (batch,):
        raise ValidationError(f"{owner}: lengths must have shape ({batch},), got {tuple(lengths.shape)}")
    if lengths.is_floating_point() and not bool((lengths == lengths.round()).all()):
        raise ValidationError(f"{owner}: lengths must be whole numbers, got {lengths.tolist()}")
    counts = lengths.to(torch.int64)
    if bool(((counts < 1) | (counts > steps)).any()):
        raise ValidationError(f"{owner}: lengths must lie in [1, {steps}], got {counts.tolist()}")
    return None if bool((counts == steps).all()) else counts


def require_full_bags(lengths: torch.Tensor | None, batch: int, steps: int, owner: str) -> None:
    """Training bags are fixed-length segment sequences: every length must equal ``steps``.

    Raises:
        ValidationError: a bag is shorter than ``steps`` (padded training sequences are not MIL bags).
    """
    counts = valid_lengths(lengths, batch, steps, owner)
    if counts is not None:
        raise ValidationError(
            f"{owner}: training bags must be full {steps}-segment sequences (resample videos with "
            f"vadkit.snippets.resample_segments), got lengths {counts.tolist()}"
        )


def split_bags(labels: torch.Tensor, batch: int, owner: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the normal (label 0) and abnormal (label 1) bags, each in batch order.

    Raises:
        ValidationError: labels not of shape ``(batch,)``, a label other than 0/1, or a class without bags.
    """
    if labels.shape != (batch,):
        raise ValidationError(f"{owner}: labels must have shape ({batch},), got {tuple(labels.shape)}")
    values = labels.detach()
    if not bool(((values == 0) | (values == 1)).all()):
        raise ValidationError(f"{owner}: labels must be 0 (normal) or 1 (abnormal), got {values.tolist()}")
    normal = torch.nonzero(values == 0).flatten()
    abnormal = torch.nonzero(values == 1).flatten()
    if normal.numel() == 0 or abnormal.numel() == 0:
        raise ValidationError(
            f"{owner}: a batch needs normal and abnormal videos, got {normal.numel()} normal and "
            f"{abnormal.numel()} abnormal"
        )
    return normal, abnormal


def require_pairs(normal: torch.Tensor, abnormal: torch.Tensor, owner: str, reason: str) -> None:
    """Paired objectives need as many normal as abnormal bags (the i-th of each class form a pair).

    Args:
        normal: a tensor whose first axis runs over the normal bags (their indices, or their scores).
        abnormal: the same for the abnormal bags.
        owner: who asks, for the message.
        reason: why pairs are needed, for the message.

    Raises:
        ValidationError: the counts differ.
    """
    if normal.shape[0] != abnormal.shape[0]:
        raise ValidationError(
            f"{owner}: needs as many normal as abnormal videos ({reason}), got {normal.shape[0]} normal and "
            f"{abnormal.shape[0]} abnormal"
        )


def bag_smoothness(scores: torch.Tensor) -> torch.Tensor:
    """Per-bag temporal smoothness ``sum_t (s[t+1] - s[t])**2`` of ``(N, T)`` scores, shape ``(N,)``."""
    return (scores[:, 1:] - scores[:, :-1]).pow(2).sum(dim=1)


def zero_padding(scores: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """``(B, T)`` scores with the rows past each video's length (as from :func:`valid_lengths`) set to 0."""
    if lengths is None:
        return scores
    steps = torch.arange(scores.shape[1], device=scores.device)
    return torch.where(steps[None, :] < lengths.to(scores.device)[:, None], scores, torch.zeros_like(scores))
