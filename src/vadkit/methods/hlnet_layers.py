"""Building blocks of HL-Net (Wu et al., ECCV 2020), named as in Roc-Ng/XDVioDet ``layers.py``/``model.py``.

* :class:`GraphConvolution`: ``A (X W) + residual(X)``.
* the three adjacencies of the offline detector, each ``(N, T, T)``:
  :func:`similarity_adjacency` (holistic branch: thresholded cosine similarity of the input features),
  :class:`DistanceAdj` (localized branch: fixed temporal proximity) and :func:`score_adjacency` (score branch:
  closeness of the online detector's scores);
* :class:`SimilarityAdj`: the reference's learnable-similarity module, which its forward never calls; kept for
  its two parameters, which are in the published state dict.

Validity masks are ``(N, T)`` booleans; an adjacency restricted to the first ``L`` snippets has zero rows and
columns past ``L``, as the reference builds it (``output[i, :L, :L] = softmax(...)``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vadkit.methods.temporal_ops import distance_kernel, masked_softmax

SIMILARITY_THRESHOLD = 0.7
"""Cosine similarities ``<= 0.7`` are set to 0 before the row softmax (``F.threshold(x, 0.7, 0)``)."""
SCORE_TEMPERATURE = 0.1
"""Score closeness ``c = 1 - |s_i - s_j|`` is mapped through ``sigmoid((c - 0.5) / 0.1)``."""


class GraphConvolution(nn.Module):
    """``A (X W) + residual(X)``, no bias (reference ``layers.py`` ``GraphConvolution``, ``residual=True``).

    ``weight`` is ``(in_features, out_features)``. The residual is the identity when the sizes agree, else a
    ``Conv1d(in_features, out_features, kernel 5, padding 2)`` over time (``residual.weight``/``.bias``).
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        nn.init.xavier_uniform_(self.weight)
        self.residual: nn.Conv1d | None = (
            None
            if in_features == out_features
            else nn.Conv1d(in_features, out_features, kernel_size=5, padding=2)
        )

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """``x`` ``(N, T, in)``, ``adjacency`` ``(N or 1, T, T)`` -> ``(N, T, out)``."""
        out = adjacency @ (x @ self.weight)
        if self.residual is None:
            return out + x
        return out + self.residual(x.transpose(1, 2)).transpose(1, 2)


class SimilarityAdj(nn.Module):
    """Parameter holder of the reference ``SimilarityAdj`` (``weight0``, ``weight1``: ``(in, out)``, Xavier).

    The reference builds it (``self.simAdj``) but its forward uses the parameter-free
    :func:`similarity_adjacency` instead, so these weights never receive gradients. They are kept so that the
    published checkpoint loads with ``strict=True``.
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight0 = nn.Parameter(torch.empty(in_features, out_features))
        self.weight1 = nn.Parameter(torch.empty(in_features, out_features))
        nn.init.xavier_uniform_(self.weight0)
        nn.init.xavier_uniform_(self.weight1)


class DistanceAdj(nn.Module):
    """Proximity adjacency ``K[i, j] = exp(-|i - j| / e)``, not normalised (reference ``DistanceAdj``).

    ``sigma`` (``(1,)``, initialised to 0.1) is a parameter of the reference that its forward never uses (the
    bandwidth is fixed to ``e``); it is kept for strict checkpoint loading.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sigma = nn.Parameter(torch.full((1,), 0.1))

    def forward(self, steps: int, valid: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
        """``(1, T, T)`` kernel, or ``(N, T, T)`` with columns past each row's length set to 0 (``valid``)."""
        kernel = distance_kernel(steps, device=like.device, dtype=like.dtype)[None]
        return kernel if valid is None else kernel * valid[:, None, :].to(like.dtype)


def _row_softmax(values: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    """Softmax of each row over the valid columns; rows past the length are 0."""
    if valid is None:
        return torch.softmax(values, dim=-1)
    weights = masked_softmax(values, valid[:, None, :])
    return weights * valid[:, :, None].to(values.dtype)


def similarity_adjacency(inputs: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    """Holistic-branch adjacency from the raw input features (reference ``model.py`` ``Model.adj``).

    ``S[i, j] = x_i . x_j / (||x_i|| ||x_j|| + 1e-20)``; entries ``<= 0.7`` become 0 (they still take part in
    the softmax with weight ``e^0``); then a softmax over each row.

    Args:
        inputs: ``(N, T, D)`` fused input features.
        valid: ``(N, T)`` or ``None``.
    """
    norms = inputs.norm(dim=-1, keepdim=True)
    cosine = (inputs @ inputs.transpose(1, 2)) / (norms @ norms.transpose(1, 2) + 1e-20)
    return _row_softmax(F.threshold(cosine, SIMILARITY_THRESHOLD, 0.0), valid)


def score_adjacency(online_logits: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    """Score-branch adjacency from the online detector's logits (reference ``model.py`` ``Model.sadj``).

    ``s = sigmoid(logits)``; ``c[i, j] = 1 - |s_i - s_j|``; ``sigmoid((c - 0.5) / 0.1)``; row softmax.
    The caller passes detached logits, as the reference does (no gradient into the online branch).

    Args:
        online_logits: ``(N, T)``.
        valid: ``(N, T)`` or ``None``.
    """
    probabilities = torch.sigmoid(online_logits)
    closeness = 1.0 - (probabilities[:, :, None] - probabilities[:, None, :]).abs()
    return _row_softmax(torch.sigmoid((closeness - 0.5) / SCORE_TEMPERATURE), valid)
