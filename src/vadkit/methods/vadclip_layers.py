"""Building blocks of VadCLIP (Wu et al., AAAI 2024), named as in nwpu-zxr/VadCLIP.

Attribute names mirror the reference modules (``model.py`` ``ResidualAttentionBlock``/``Transformer``,
``utils/layers.py`` ``GraphConvolution``/``DistanceAdj``) so that the authors' state dicts load strictly. The
frozen CLIP text tower runs on prompt *embeddings* through the shared
:func:`vadkit.models.clip_text_prompts.encode_prompt_embeddings`, as the reference's ``encode_text`` does with
OpenAI's CLIP. All temporal modules take ``(N, T, ·)`` tensors.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vadkit.errors import ValidationError

SIMILARITY_THRESHOLD = 0.7
"""Cosine similarities at or below this become 0 before the row softmax of :func:`similarity_adjacency`."""


class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)`` (CLIP's activation; reference ``model.py`` ``QuickGELU``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


def window_attention_mask(length: int, window: int) -> torch.Tensor:
    """The reference ``build_attention_mask``: an additive ``(length, length)`` mask, 0 inside the
    diagonal blocks ``[i w, (i + 1) w)`` x ``[i w, (i + 1) w)`` and ``-inf`` elsewhere (snippets attend only
    within their window of ``w`` snippets).

    Raises:
        ValidationError: ``window`` does not divide ``length`` (the reference then leaves the last
            ``length mod window`` rows fully masked, which makes them NaN).
    """
    if window < 1 or length < 1 or length % window:
        raise ValidationError(
            f"vadclip: attn_window ({window}) must be a positive divisor of visual_length ({length})"
        )
    block = torch.arange(length) // window
    mask = torch.full((length, length), float("-inf"))
    return mask.masked_fill(block[:, None] == block[None, :], 0.0)


class ResidualAttentionBlock(nn.Module):
    """Pre-norm transformer block: ``x += MHA(LN(x))`` with an additive mask, ``x += MLP(LN(x))``.

    Reference ``model.py`` ``ResidualAttentionBlock`` (parameters ``attn.in_proj_weight``/``in_proj_bias``/
    ``out_proj``, ``ln_1``, ``mlp.c_fc``, ``mlp.c_proj``, ``ln_2``; MLP ``width -> 4 width -> width`` with
    QuickGELU). The reference calls it without a key-padding mask (``encode_video`` passes ``None``).
    """

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, width * 4))
        self.mlp.add_module("gelu", QuickGELU())
        self.mlp.add_module("c_proj", nn.Linear(width * 4, width))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(N, T, width) -> (N, T, width)``; ``mask`` ``(T, T)`` additive."""
        normed = self.ln_1(x)
        x = x + self.attn(normed, normed, normed, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class LocalTransformer(nn.Module):
    """The LGT-Adapter's local module: ``layers`` blocks with the windowed mask of
    :func:`window_attention_mask` (reference ``temporal = Transformer(..., attn_mask=...)``).

    The mask is a non-persistent buffer: the reference keeps it as a plain attribute, outside the state dict.
    """

    attn_mask: torch.Tensor

    def __init__(self, width: int, layers: int, heads: int, length: int, window: int) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(ResidualAttentionBlock(width, heads) for _ in range(layers))
        self.register_buffer("attn_mask", window_attention_mask(length, window), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = self.attn_mask.to(x.dtype)
        for block in self.resblocks:
            x = block(x, mask)
        return x


def similarity_adjacency(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """The reference ``adj4``: the GCN's feature-similarity adjacency, ``(N, T, T)``.

    ``S = x x^T / (|x| |x|^T + 1e-20)`` (cosine similarity); entries ``<= 0.7`` become 0 (``F.threshold``);
    each row is softmax-normalised over the columns. With ``lengths``, video ``n`` uses only its
    ``lengths[n]`` valid snippets: the ``[:l, :l]`` block is thresholded and row-normalised on its own and
    every other entry is 0. ``None``: every snippet is valid.
    """
    norms = x.norm(p=2, dim=2, keepdim=True)
    cosine = x.matmul(x.transpose(1, 2)) / (norms.matmul(norms.transpose(1, 2)) + 1e-20)
    kept = F.threshold(cosine, SIMILARITY_THRESHOLD, 0.0)
    if lengths is None:
        return kept.softmax(dim=2)
    steps = x.shape[1]
    valid = torch.arange(steps, device=x.device)[None, :] < lengths.to(x.device)[:, None]
    pair = valid[:, :, None] & valid[:, None, :]
    weights = kept.masked_fill(~pair, float("-inf")).softmax(dim=2)
    return torch.where(pair, weights, torch.zeros_like(weights))


def distance_adjacency(steps: int, device: torch.device | None = None) -> torch.Tensor:
    """The reference ``DistanceAdj`` values: ``exp(-|i - j| / e)``, ``(steps, steps)`` float32.

    Over all ``steps`` rows of the (padded) sequence, whatever the valid lengths, as in the reference.
    """
    positions = torch.arange(steps, device=device, dtype=torch.float32)
    distance = (positions[:, None] - positions[None, :]).abs()
    return torch.exp(-distance / torch.exp(torch.tensor(1.0, device=device)))


class DistanceAdj(nn.Module):
    """Holds the reference ``DistanceAdj``'s ``sigma`` ``(1,)`` (initialised to 0.1; the reference never
    uses it, but it is in the released state dicts) and computes :func:`distance_adjacency`."""

    def __init__(self) -> None:
        super().__init__()
        self.sigma = nn.Parameter(torch.full((1,), 0.1))

    def forward(self, batch: int, steps: int) -> torch.Tensor:
        """``(batch, steps, steps)`` distance adjacency on ``sigma``'s device."""
        return distance_adjacency(steps, self.sigma.device).expand(batch, steps, steps)


class GraphConvolution(nn.Module):
    """``adj @ (x W) + residual(x)`` (reference ``utils/layers.py`` ``GraphConvolution``, no bias).

    ``weight`` ``(in, out)``, Xavier-uniform. The residual is ``x`` itself when ``in == out``, else
    ``residual = Conv1d(in, out, kernel 5, padding 2)`` over time.
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        nn.init.xavier_uniform_(self.weight)
        self.residual: nn.Module = (
            nn.Identity()
            if in_features == out_features
            else nn.Conv1d(in_features, out_features, kernel_size=5, padding=2)
        )

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        """``x`` ``(N, T, in)``, ``adj`` ``(N, T, T)`` -> ``(N, T, out)``."""
        output = adj.matmul(x.matmul(self.weight))
        if isinstance(self.residual, nn.Conv1d):
            return output + self.residual(x.transpose(1, 2)).transpose(1, 2)
        return output + x
