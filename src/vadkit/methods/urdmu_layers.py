"""Building blocks of UR-DMU (Zhou et al., AAAI 2023), named as in henrryzh1/UR-DMU.

Attribute names mirror the reference modules (``model.py`` ``Temporal``/``ADCLS_head``, ``translayer.py``
``PreNorm``/``FeedForward``/``Attention``/``Transformer``, ``memory.py`` ``Memory_Unit``) so that the
authors' state dicts load strictly. All modules take ``(N, T, ·)`` tensors (batch, snippets, channels); the
transformer takes an optional ``(N, T)`` validity mask that makes a padded row compute exactly what the video
alone would (see ``docs/methods/urdmu.md``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vadkit.methods.temporal_ops import distance_kernel, masked_softmax


class TemporalEmbedding(nn.Module):
    """Snippet embedding: ``Conv1d(in_dim, out_dim, kernel 3, padding 1)`` over time, then ReLU.

    Reference: ``model.py`` ``Temporal`` (parameters ``conv_1.0.weight``/``conv_1.0.bias``).
    """

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.conv_1 = nn.Sequential(nn.Conv1d(in_dim, out_dim, kernel_size=3, stride=1, padding=1), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, T, in_dim) -> (N, T, out_dim)``."""
        return self.conv_1(x.transpose(1, 2)).transpose(1, 2)


class PreNorm(nn.Module):
    """``fn(LayerNorm(x))`` (reference ``translayer.py`` ``PreNorm``)."""

    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x: torch.Tensor, **kwargs: torch.Tensor | None) -> torch.Tensor:
        return self.fn(self.norm(x), **kwargs)


class FeedForward(nn.Module):
    """``Linear -> GELU -> Dropout -> Linear -> Dropout`` (reference ``translayer.py`` ``FeedForward``)."""

    def __init__(self, dim: int, hidden_dim: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class GlobalLocalAttention(nn.Module):
    """UR-DMU's two-path attention (reference ``translayer.py`` ``Attention``).

    One bias-free projection gives four ``heads x dim_head`` tensors ``q, k, v, t``. Per head:

    * global path: ``softmax(q k^T / sqrt(dim_head)) v``;
    * local path: ``G t`` with the fixed kernel ``K[i, j] = exp(-|i - j| / e)`` normalised as the reference
      does, ``G[i, j] = K[i, j] / sum_k K[j, k]``: the sum of *row j* divides *column j* (``attn2 /
      attn2.sum(-1)`` broadcasts over the last axis), so the columns of ``G`` sum to 1 and its rows do not.

    The two results are concatenated per head (``[global_h, local_h]``, heads in order) and projected by
    ``to_out = Linear(2 * heads * dim_head, dim) -> Dropout``.

    With a validity mask, invalid snippets are left out of both paths (keys of the softmax, columns and row
    sums of ``K``), which is exactly the attention of the valid part alone.
    """

    def __init__(self, dim: int, heads: int, dim_head: int, dropout: float) -> None:
        super().__init__()
        inner_dim = heads * dim_head
        self.heads = heads
        self.dim_head = dim_head
        self.to_qkv = nn.Linear(dim, 4 * inner_dim, bias=False)
        self.to_out = nn.Sequential(nn.Linear(2 * inner_dim, dim), nn.Dropout(dropout))

    def local_weights(self, steps: int, valid: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
        """``(N or 1, T, T)`` local-path weights ``G`` (see the class docstring)."""
        kernel = distance_kernel(steps, device=like.device, dtype=like.dtype)[None]
        if valid is not None:
            kernel = kernel * valid[:, None, :].to(like.dtype)
        return kernel / kernel.sum(dim=-1)[:, None, :]

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """``(N, T, dim) -> (N, T, dim)``; ``valid``: ``(N, T)`` boolean or ``None``."""
        batch, steps, _ = x.shape
        q, k, v, t = (
            part.reshape(batch, steps, self.heads, self.dim_head).transpose(1, 2)
            for part in self.to_qkv(x).chunk(4, dim=-1)
        )
        dots = (q @ k.transpose(-1, -2)) * self.dim_head**-0.5
        global_attention = masked_softmax(dots, None if valid is None else valid[:, None, None, :])
        local_attention = self.local_weights(steps, valid, x)[:, None]
        out = torch.cat([global_attention @ v, local_attention @ t], dim=-1)
        return self.to_out(out.transpose(1, 2).reshape(batch, steps, -1))


class Transformer(nn.Module):
    """``depth`` pre-norm blocks ``x + attn(x)`` then ``x + ff(x)`` (reference ``translayer.py``)."""

    def __init__(self, dim: int, depth: int, heads: int, dim_head: int, mlp_dim: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [
                    PreNorm(dim, GlobalLocalAttention(dim, heads, dim_head, dropout)),
                    PreNorm(dim, FeedForward(dim, mlp_dim, dropout)),
                ]
            )
            for _ in range(depth)
        )

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """``(N, T, dim) -> (N, T, dim)``; ``valid``: ``(N, T)`` boolean or ``None``."""
        for attention, feed_forward in self.layers:
            x = attention(x, valid=valid) + x
            x = feed_forward(x) + x
        return x


class MemoryUnit(nn.Module):
    """A bank of ``size`` learnable ``dim``-vectors read by sigmoid attention (reference ``memory.py``).

    For snippets ``x`` ``(N, T, dim)`` and memory ``M`` ``(size, dim)``: ``A = sigmoid(x M^T / sqrt(dim))``
    ``(N, T, size)``; the snippet's memory score is the mean of its ``size // 16 + 1`` largest attentions, and
    its read-out (augmentation) is ``A M`` ``(N, T, dim)``. Initialised uniform in ``±1/sqrt(dim)``.
    """

    def __init__(self, size: int, dim: int) -> None:
        super().__init__()
        self.memory_block = nn.Parameter(torch.empty(size, dim))
        bound = 1.0 / math.sqrt(dim)
        nn.init.uniform_(self.memory_block, -bound, bound)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, T, dim) -> (scores (N, T), read-out (N, T, dim))``."""
        size, dim = self.memory_block.shape
        attention = torch.sigmoid(x @ self.memory_block.T / math.sqrt(dim))
        scores = attention.topk(size // 16 + 1, dim=-1).values.mean(dim=-1)
        return scores, attention @ self.memory_block


class ClassifierHead(nn.Module):
    """``Linear(in_dim, hidden) -> ReLU -> Linear(hidden, 1) -> Sigmoid`` (reference ``ADCLS_head``)."""

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, T, in_dim) -> (N, T)`` probabilities."""
        return self.mlp(x).squeeze(-1)
