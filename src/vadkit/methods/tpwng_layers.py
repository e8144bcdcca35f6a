"""TPWNG building blocks (Yang, Liu, Wu, CVPR 2024): the learnable text prompt, the normality visual prompt
and the temporal context self-adaptive learning (TCSAL) encoder with its frame classifier.

Section and equation numbers are the paper's; ``docs/methods/tpwng.md`` lists what the paper leaves open and
what vadkit chose.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from vadkit.errors import ValidationError


class PromptLearner(nn.Module):
    """The learnable text prompt of Sec. 3.2, Eq. (1): ``[SOS][c_1]..[c_l][class name tokens][EOT]``.

    ``l`` context vectors (``ctx``, shared by every class, drawn from ``N(0, 0.02^2)`` as CoOp does) are
    placed in front of the tokenised class name, after CLIP's start-of-text token. Everything but ``ctx`` is a
    frozen token embedding, computed once here (``prompt_embeddings``, not saved with the state dict).

    Args:
        tokenizer: the CLIP tokenizer of the model (a ``transformers`` tokenizer).
        token_embedding: the CLIP text tower's ``token_embedding`` (``nn.Embedding``, frozen).
        classes: class names, in the order of the model's classes.
        context_length: ``l``, the number of learnable vectors.
        max_positions: the text tower's ``max_position_embeddings``.

    Raises:
        ValidationError: a prompt longer than ``max_positions``.
    """

    def __init__(
        self,
        tokenizer: Any,
        token_embedding: nn.Embedding,
        classes: Sequence[str],
        context_length: int,
        max_positions: int,
    ) -> None:
        super().__init__()
        names = [list(tokenizer(name, add_special_tokens=False)["input_ids"]) for name in classes]
        start, end = tokenizer.bos_token_id, tokenizer.eos_token_id
        length = max(len(tokens) for tokens in names) + context_length + 2
        if length > max_positions:
            raise ValidationError(
                f"tpwng: a prompt of {length} tokens (1 + {context_length} context + the longest class "
                f"name + 1) exceeds the text encoder's {max_positions} positions"
            )
        rows = [
            [start] + [end] * context_length + tokens + [end] * (length - 1 - context_length - len(tokens))
            for tokens in names
        ]
        ids = torch.tensor(rows, dtype=torch.long, device=token_embedding.weight.device)
        with torch.no_grad():
            embedded = token_embedding(ids).detach()
        self.context_length = context_length
        self.register_buffer("prompt_embeddings", embedded, persistent=False)
        self.register_buffer(
            "eot_positions", torch.tensor([1 + context_length + len(t) for t in names]), persistent=False
        )
        self.ctx = nn.Parameter(torch.randn(context_length, embedded.shape[-1]) * 0.02)

    def forward(self) -> torch.Tensor:
        """``(C, L, W)`` prompt embeddings: the class-name token embeddings with ``ctx`` at ``1 .. l``."""
        embedded = self.prompt_embeddings
        ctx = self.ctx.to(embedded.dtype)[None].expand(embedded.shape[0], -1, -1)
        return torch.cat([embedded[:, :1], ctx, embedded[:, 1 + self.context_length :]], dim=1)


class NormalityVisualPrompt(nn.Module):
    """The normality visual prompt (NVP) of Sec. 3.2, Eqs. (3)-(4).

    For a normal video with unit frame features ``X`` ``(F, D)`` and frame-to-normal-text similarities
    ``S_nn`` ``(F,)``: ``Q = softmax(S_nn)^T X`` (softmax over the video's valid frames), and the enhanced
    normal text embedding is ``T' = FFN([Q ; T_n]) + T_n`` with ``FFN`` a Transformer feed-forward block
    ``Linear(2D, 4D), ReLU, Linear(4D, D)``.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.ffn = nn.Sequential(nn.Linear(2 * dim, 4 * dim), nn.ReLU(), nn.Linear(4 * dim, dim))

    def forward(
        self, frames: torch.Tensor, similarities: torch.Tensor, normal_text: torch.Tensor, valid: torch.Tensor
    ) -> torch.Tensor:
        """``(N, D)`` enhanced normal text embeddings, one per normal video.

        Args:
            frames: ``(N, F, D)`` frame features of ``N`` normal videos.
            similarities: ``(N, F)`` their similarities to the normal text (``S_nn``).
            normal_text: ``(D,)`` the normal class' text embedding ``T_n``.
            valid: ``(N, F)`` boolean, the frames within each video's length.
        """
        weights = torch.softmax(similarities.masked_fill(~valid, float("-inf")), dim=1)
        prompt = torch.einsum("nf,nfd->nd", weights, frames)
        text = normal_text[None].expand_as(prompt)
        return self.ffn(torch.cat([prompt, text], dim=-1)) + text


def span_mask(distance: torch.Tensor, span: torch.Tensor, ramp: float) -> torch.Tensor:
    """The soft mask ``chi_z(h) = min(max((R + z - h) / R, 0), 1)`` of Eq. (7) (Sukhbaatar et al., 2019).

    ``distance`` ``h`` and ``span`` ``z`` broadcast against each other; ``ramp`` is ``R``.
    """
    return ((ramp + span - distance) / ramp).clamp(0.0, 1.0)


class AdaptiveSpanAttention(nn.Module):
    """Multi-head causal self-attention whose span adapts to the input (Sec. 3.4, Eqs. (7)-(9)).

    Every head of every layer predicts, for the frame ``t`` it attends from, a span
    ``z_t = S * sigmoid(C^T x_t + b)`` (Eq. (8); ``S`` = ``max_span``, ``C``/``b`` one row of :attr:`span`),
    and attends to the past frames ``r <= t`` with

    ``w_{t,r} = chi_z(t - r) exp(beta_{t,r}) / sum_{q <= t} chi_z(t - q) exp(beta_{t,q})``  (Eq. (9)),

    ``beta`` the scaled query-key dot products. The current frame (``h = 0``, ``chi = 1``) is included, so
    every row has a positive normaliser. Computed as a softmax of ``beta + log chi``.
    """

    def __init__(self, dim: int, heads: int, ramp: float, max_span: float, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValidationError(f"tpwng: feature_dim {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.ramp = ramp
        self.max_span = max_span
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.span = nn.Linear(dim, heads)
        self.dropout = nn.Dropout(dropout)

    def spans(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, H, T)`` spans ``z`` of Eq. (8) for the frames of ``x`` ``(B, T, D)``."""
        return self.max_span * torch.sigmoid(self.span(x)).transpose(1, 2)

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, H, T, T)`` attention weights ``w_{t,r}`` of Eq. (9) (0 for ``r > t``)."""
        batch, steps, dim = x.shape
        size = dim // self.heads

        def split(values: torch.Tensor) -> torch.Tensor:
            return values.reshape(batch, steps, self.heads, size).transpose(1, 2)

        beta = split(self.query(x)) @ split(self.key(x)).transpose(-1, -2) / math.sqrt(size)
        position = torch.arange(steps, device=x.device)
        distance = (position[:, None] - position[None, :]).to(x.dtype)
        chi = span_mask(distance, self.spans(x)[..., None], self.ramp)
        allowed = (distance >= 0) & (chi > 0)
        logits = torch.where(allowed, beta + torch.log(chi.clamp_min(torch.finfo(x.dtype).tiny)), -torch.inf)
        return torch.softmax(logits, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, D)`` attention output for ``x`` ``(B, T, D)``."""
        batch, steps, dim = x.shape
        values = self.value(x).reshape(batch, steps, self.heads, dim // self.heads).transpose(1, 2)
        mixed = self.dropout(self.weights(x)) @ values
        return self.out(mixed.transpose(1, 2).reshape(batch, steps, dim))


class TCSALLayer(nn.Module):
    """One Transformer-encoder layer (Vaswani et al., post-norm) with :class:`AdaptiveSpanAttention`:
    ``x = LN(x + Drop(Attn(x)))``, ``x = LN(x + Drop(FFN(x)))``,
    ``FFN = Linear(D, 4D), ReLU, Linear(4D, D)``."""

    def __init__(self, dim: int, heads: int, ramp: float, max_span: float, dropout: float) -> None:
        super().__init__()
        self.attention = AdaptiveSpanAttention(dim, heads, ramp, max_span, dropout)
        self.norm1 = nn.LayerNorm(dim)
        self.feed_forward = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(4 * dim, dim)
        )
        self.norm2 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, D) -> (B, T, D)``."""
        x = self.norm1(x + self.dropout(self.attention(x)))
        return self.norm2(x + self.dropout(self.feed_forward(x)))


class TCSAL(nn.Module):
    """The TCSAL encoder (Sec. 3.4) and the frame classifier ``LayerNorm, Linear(D, 1), sigmoid``.

    Attention only looks at past and current frames, so a frame's score never depends on the frames after it
    (nor on padding after a video's end).
    """

    def __init__(
        self, dim: int, depth: int, heads: int, ramp: float, max_span: float, dropout: float
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(TCSALLayer(dim, heads, ramp, max_span, dropout) for _ in range(depth))
        self.classifier = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` frame anomaly scores ``eta`` in ``(0, 1)`` for frame features ``(B, T, D)``."""
        for layer in self.layers:
            x = layer(x)
        return torch.sigmoid(self.classifier(x).squeeze(-1))
