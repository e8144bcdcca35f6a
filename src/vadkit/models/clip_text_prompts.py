"""CLIP text features of prompt *embeddings*: learnable context vectors (CoOp-style prompts) through the text
tower of a ``transformers`` CLIP model.

``CLIPModel.get_text_features`` takes token ids. Prompt learning (CoOp, VadCLIP, TPWNG) replaces some token
embeddings by learned vectors, so the tower is run from the embedding level instead, with the same parts in
the same order as ``get_text_features``:

1. ``embeddings``: ``(N, L, W)`` token-level input embeddings (token embeddings of real tokens, or learned
   vectors), plus the position embeddings of positions ``0 .. L-1`` (``text_model.embeddings``);
2. the encoder with CLIP's causal mask (position ``i`` attends to positions ``<= i``);
3. ``final_layer_norm``;
4. pooling at the end-of-text token of each prompt (``eot_positions``, where ``get_text_features`` pools at
   the first ``eos_token_id``);
5. ``text_projection`` (when the model has one and ``project`` is true).

With the token embeddings of a tokenised text this equals ``get_text_features`` of that text. Because the mask
is causal, whatever follows the end-of-text token (padding) does not change the result.

``torch`` and ``transformers`` models are used, never imported at module level beyond ``torch``.
"""

from __future__ import annotations

from typing import Any

import torch

from vadkit.errors import ValidationError


def causal_attention_mask(length: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``(1, 1, L, L)`` additive mask: 0 where key ``j <= i`` (query ``i``), the dtype's minimum elsewhere."""
    blocked = torch.ones(length, length, dtype=torch.bool, device=device).triu(diagonal=1)
    mask = torch.zeros(length, length, dtype=dtype, device=device)
    return mask.masked_fill(blocked, torch.finfo(dtype).min)[None, None]


def encode_prompt_embeddings(
    model: Any, embeddings: torch.Tensor, eot_positions: torch.Tensor, *, project: bool = True
) -> torch.Tensor:
    """Text features of prompts given as input embeddings (see the module docstring).

    Args:
        model: a ``transformers`` ``CLIPModel``, ``CLIPTextModelWithProjection`` or ``CLIPTextModel``
            (anything with a CLIP text tower as ``model.text_model``, or that tower itself).
        embeddings: ``(N, L, W)`` input embeddings, ``W`` the text width (``hidden_size``), ``L`` at most
            ``max_position_embeddings``; position embeddings are added here.
        eot_positions: ``(N,)`` index of each prompt's end-of-text token, in ``[0, L)``.
        project: apply ``model.text_projection`` (the ``get_text_features`` output); ``False`` returns the
            pooled ``final_layer_norm`` states.

    Returns:
        ``(N, D)`` features (``D`` the projection size, or ``W`` without projection), not normalised.

    Raises:
        ValidationError: shapes that do not fit the model, or ``project`` without a ``text_projection``.
    """
    text = getattr(model, "text_model", model)
    for part in ("embeddings", "encoder", "final_layer_norm"):
        if not hasattr(text, part):
            raise ValidationError(f"encode_prompt_embeddings: {type(model).__name__} has no CLIP text tower")
    position_table = text.embeddings.position_embedding.weight
    if embeddings.ndim != 3 or embeddings.shape[-1] != position_table.shape[1]:
        raise ValidationError(
            f"encode_prompt_embeddings: embeddings must have shape (N, L, {position_table.shape[1]}), got "
            f"{tuple(embeddings.shape)}"
        )
    count, length = embeddings.shape[:2]
    if not 1 <= length <= position_table.shape[0]:
        raise ValidationError(
            f"encode_prompt_embeddings: prompts of {length} positions, the model has "
            f"{position_table.shape[0]} position embeddings"
        )
    if eot_positions.shape != (count,) or bool(((eot_positions < 0) | (eot_positions >= length)).any()):
        raise ValidationError(
            f"encode_prompt_embeddings: eot_positions must be ({count},) indices in [0, {length}), got "
            f"{eot_positions.tolist()}"
        )
    projection = getattr(model, "text_projection", None) if project else None
    if project and projection is None:
        raise ValidationError(f"encode_prompt_embeddings: {type(model).__name__} has no text_projection")
    hidden = text.embeddings(inputs_embeds=embeddings.to(position_table.dtype))
    mask = causal_attention_mask(length, hidden.dtype, hidden.device)
    output = text.encoder(inputs_embeds=hidden, attention_mask=mask)
    states = output[0] if isinstance(output, tuple) else output.last_hidden_state
    pooled = text.final_layer_norm(states)[torch.arange(count, device=states.device), eot_positions.long()]
    return pooled if projection is None else projection(pooled)
