"""RTFM's temporal feature aggregation: the multi-scale temporal network (MTN) of Tian et al., ICCV 2021.

Module and parameter names follow ``tianyu0207/RTFM model.py`` (``Aggregate``, ``_NonLocalBlockND`` as
``NONLocalBlock1D(512, sub_sample=False, bn_layer=True)``), so the authors' checkpoints load strictly.

Shapes for ``x (N, T, D)`` (``N`` = videos x crops), with ``b = branch_channels`` (512 in the reference):

* pyramid of dilated convolutions (PDC): ``conv_1``/``conv_2``/``conv_3`` = Conv1d(D->b, kernel 3, dilation
  1/2/4, padding = dilation) -> ReLU -> BatchNorm1d(b), each ``(N, b, T)``;
* temporal self-attention (TSA): ``conv_4`` = Conv1d(D->b, kernel 1, no bias) -> ReLU, then the non-local
  block ``non_local`` over time, ``(N, b, T)``;
* ``conv_5`` = Conv1d(4b->D, kernel 3, padding 1, no bias) -> ReLU -> BatchNorm1d(D) on the concatenation
  ``[conv_1, conv_2, conv_3, non_local]`` (``4b`` channels), plus the input (residual), ``(N, T, D)``.

The reference hard-codes ``D = 2048`` for ``conv_4``/``conv_5`` (``Aggregate(len_feature=2048)``); vadkit
takes ``D`` from ``feature_dim`` and ``b`` from ``branch_channels``; with 2048 and 512 the shapes are the
reference's.
"""

from __future__ import annotations

import torch
from torch import nn


class NonLocalBlock1D(nn.Module):
    """Dot-product non-local block over time (Wang et al. 2018), as RTFM configures it.

    ``z = W(y) + x`` with ``y = (theta(x)^T phi(x) / T) g(x)``: ``g``, ``theta``, ``phi`` are 1x1 Conv1d
    ``channels -> channels // 2``; ``W`` is a 1x1 Conv1d back to ``channels`` followed by BatchNorm1d whose
    weight and bias start at 0, so the block starts as the identity. No sub-sampling (``sub_sample=False``).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        inner = max(channels // 2, 1)
        self.inner_channels = inner
        self.g = nn.Conv1d(channels, inner, kernel_size=1)
        self.W = nn.Sequential(nn.Conv1d(inner, channels, kernel_size=1), nn.BatchNorm1d(channels))
        nn.init.zeros_(self.W[1].weight)
        nn.init.zeros_(self.W[1].bias)
        self.theta = nn.Conv1d(channels, inner, kernel_size=1)
        self.phi = nn.Conv1d(channels, inner, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, channels, T) -> (N, channels, T)``."""
        values = self.g(x).transpose(1, 2)
        queries = self.theta(x).transpose(1, 2)
        keys = self.phi(x)
        affinity = torch.matmul(queries, keys) / keys.shape[-1]
        attended = torch.matmul(affinity, values).transpose(1, 2)
        return self.W(attended) + x


class Aggregate(nn.Module):
    """The MTN: ``(N, T, D)`` snippet features -> ``(N, T, D)`` aggregated features (see the module doc)."""

    def __init__(self, feature_dim: int = 2048, branch_channels: int = 512) -> None:
        super().__init__()
        self.conv_1 = _dilated_branch(feature_dim, branch_channels, dilation=1)
        self.conv_2 = _dilated_branch(feature_dim, branch_channels, dilation=2)
        self.conv_3 = _dilated_branch(feature_dim, branch_channels, dilation=4)
        self.conv_4 = nn.Sequential(
            nn.Conv1d(feature_dim, branch_channels, kernel_size=1, bias=False), nn.ReLU()
        )
        self.conv_5 = nn.Sequential(
            nn.Conv1d(4 * branch_channels, feature_dim, kernel_size=3, padding=1, bias=False),
            nn.ReLU(),
            nn.BatchNorm1d(feature_dim),
        )
        self.non_local = NonLocalBlock1D(branch_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, T, D) -> (N, T, D)``."""
        channels_first = x.transpose(1, 2)
        pyramid = [branch(channels_first) for branch in (self.conv_1, self.conv_2, self.conv_3)]
        attention = self.non_local(self.conv_4(channels_first))
        fused = self.conv_5(torch.cat([*pyramid, attention], dim=1))
        return (fused + channels_first).transpose(1, 2)


def _dilated_branch(feature_dim: int, channels: int, dilation: int) -> nn.Sequential:
    """Conv1d(kernel 3, ``dilation``, same-length padding) -> ReLU -> BatchNorm1d: one PDC branch."""
    return nn.Sequential(
        nn.Conv1d(feature_dim, channels, kernel_size=3, dilation=dilation, padding=dilation),
        nn.ReLU(),
        nn.BatchNorm1d(channels),
    )
