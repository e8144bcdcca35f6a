"""Tensor operations over the snippet (time) axis shared by weakly-supervised heads.

* :func:`distance_kernel`: the fixed temporal-proximity kernel ``exp(-|i - j| / e)`` of HL-Net's proximity
  graph (Roc-Ng/XDVioDet ``layers.py`` ``DistanceAdj``) and UR-DMU's local attention (henrryzh1/UR-DMU
  ``translayer.py``).
* :func:`masked_softmax`: a softmax over the last axis restricted to valid snippets.
* :func:`masked_topk_mean`: the mean of the ``k`` largest valid values of each row (the MIL top-k pooling).
* :func:`length_mask`: the validity mask of padded sequences.
"""

from __future__ import annotations

import math

import torch


def distance_kernel(
    steps: int, *, device: torch.device | None = None, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """``(steps, steps)`` kernel ``K[i, j] = exp(-|i - j| / e)`` (``e`` Euler's number), symmetric."""
    positions = torch.arange(steps, device=device, dtype=dtype or torch.get_default_dtype())
    return torch.exp(-(positions[:, None] - positions[None, :]).abs() / math.e)


def masked_softmax(scores: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last axis of ``scores`` with invalid entries excluded (given weight 0).

    Args:
        scores: ``(..., T)``.
        valid: boolean, broadcastable to ``scores``; True where an entry takes part. Every row must keep at
            least one valid entry. ``None``: a plain softmax.
    """
    if valid is None:
        return torch.softmax(scores, dim=-1)
    return torch.softmax(scores.masked_fill(~valid, float("-inf")), dim=-1)


def masked_topk_mean(
    values: torch.Tensor, k: int | torch.Tensor, valid: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean of the ``k`` largest valid values of each row: ``(B, T) -> (B,)``.

    Args:
        values: ``(B, T)``.
        k: one count for every row, or ``(B,)`` counts, each in ``[1, number of valid entries of its row]``.
        valid: ``(B, T)`` boolean, or ``None`` (every entry valid).
    """
    counts = torch.as_tensor(k, device=values.device).expand(values.shape[0])
    filled = values if valid is None else values.masked_fill(~valid, float("-inf"))
    top = filled.topk(int(counts.max()), dim=-1).values
    taken = torch.arange(top.shape[1], device=values.device)[None, :] < counts[:, None]
    return torch.where(taken, top, torch.zeros_like(top)).sum(dim=-1) / counts.to(values.dtype)


def length_mask(lengths: torch.Tensor, steps: int, device: torch.device | None = None) -> torch.Tensor:
    """``(B, steps)`` boolean mask, True on the first ``lengths[b]`` positions of row ``b``."""
    return torch.arange(steps, device=device)[None, :] < lengths.to(device)[:, None]
