"""OpenAI CLIP state-dict names -> ``transformers`` ``CLIPModel`` names (ViT models).

OpenAI's ``clip`` package (``clip/model.py`` ``CLIP``) and checkpoints that embed it (VadCLIP's released
models hold it under ``clipmodel.``) name the weights differently from ``transformers``. The mapping, for a
ViT image tower and the text tower (``{i}`` a block index, ``{p}`` ``weight`` or ``bias``):

* ``visual.class_embedding`` -> ``vision_model.embeddings.class_embedding``
* ``visual.conv1.weight`` -> ``vision_model.embeddings.patch_embedding.weight``
* ``visual.positional_embedding`` -> ``vision_model.embeddings.position_embedding.weight``
* ``visual.ln_pre.{p}`` -> ``vision_model.pre_layrnorm.{p}`` (sic)
* ``visual.transformer.resblocks.{i}.<block>`` -> ``vision_model.encoder.layers.{i}.<block>``
* ``visual.ln_post.{p}`` -> ``vision_model.post_layernorm.{p}``
* ``visual.proj`` ``(width, dim)`` -> ``visual_projection.weight`` ``(dim, width)``, transposed
* ``token_embedding.weight`` -> ``text_model.embeddings.token_embedding.weight``
* ``positional_embedding`` -> ``text_model.embeddings.position_embedding.weight``
* ``transformer.resblocks.{i}.<block>`` -> ``text_model.encoder.layers.{i}.<block>``
* ``ln_final.{p}`` -> ``text_model.final_layer_norm.{p}``
* ``text_projection`` ``(width, dim)`` -> ``text_projection.weight`` ``(dim, width)``, transposed
* ``logit_scale`` -> ``logit_scale``

Inside a residual block (``<block>``):

* ``attn.in_proj_weight`` ``(3w, w)`` and ``attn.in_proj_bias`` ``(3w,)`` (``nn.MultiheadAttention``'s packed
  projections, rows in the order query, key, value) -> ``self_attn.q_proj.{p}``, ``self_attn.k_proj.{p}``,
  ``self_attn.v_proj.{p}`` (the three equal thirds);
* ``attn.out_proj.{p}`` -> ``self_attn.out_proj.{p}``; ``ln_1.{p}`` -> ``layer_norm1.{p}``;
  ``ln_2.{p}`` -> ``layer_norm2.{p}``; ``mlp.c_fc.{p}`` -> ``mlp.fc1.{p}``;
  ``mlp.c_proj.{p}`` -> ``mlp.fc2.{p}``.

The integer metadata entries of OpenAI's JIT archives (``input_resolution``, ``context_length``,
``vocab_size``) are dropped, as ``clip.model.build_model`` drops them. Tensors keep their dtype (OpenAI's GPU
``clip.load`` stores fp16 linear weights); ``load_state_dict`` casts them to the model's dtype.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch

from vadkit.errors import ValidationError

OPENAI_METADATA_KEYS = ("input_resolution", "context_length", "vocab_size")
"""Non-weight entries of OpenAI's JIT checkpoints, dropped by the conversion."""

_FIXED = {
    "visual.class_embedding": "vision_model.embeddings.class_embedding",
    "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
    "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
    "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
    "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
    "visual.ln_post.weight": "vision_model.post_layernorm.weight",
    "visual.ln_post.bias": "vision_model.post_layernorm.bias",
    "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
    "positional_embedding": "text_model.embeddings.position_embedding.weight",
    "ln_final.weight": "text_model.final_layer_norm.weight",
    "ln_final.bias": "text_model.final_layer_norm.bias",
    "logit_scale": "logit_scale",
}
_TRANSPOSED = {"visual.proj": "visual_projection.weight", "text_projection": "text_projection.weight"}
_TOWERS = {
    "visual.transformer.resblocks.": "vision_model.encoder.layers.",
    "transformer.resblocks.": "text_model.encoder.layers.",
}
_BLOCK = {
    "attn.out_proj.": "self_attn.out_proj.",
    "ln_1.": "layer_norm1.",
    "ln_2.": "layer_norm2.",
    "mlp.c_fc.": "mlp.fc1.",
    "mlp.c_proj.": "mlp.fc2.",
}
_BLOCK_KEY = re.compile(r"^(?P<tower>(?:visual\.)?transformer\.resblocks\.)(?P<index>\d+)\.(?P<rest>.+)$")
_RESNET_HINT = re.compile(r"^visual\.(?:layer\d|attnpool|bn\d|conv[23])")


def _block_entries(tower: str, index: str, rest: str, value: torch.Tensor) -> dict[str, torch.Tensor] | None:
    """The ``transformers`` entries of one residual-block tensor, or ``None`` for an unknown name."""
    prefix = f"{_TOWERS[tower]}{index}."
    if rest in ("attn.in_proj_weight", "attn.in_proj_bias"):
        if value.shape[0] % 3:
            raise ValidationError(
                f"OpenAI CLIP {tower}{index}.{rest}: first axis {value.shape[0]} is not 3 x width"
            )
        kind = "weight" if rest.endswith("weight") else "bias"
        query, key, val = value.chunk(3, dim=0)
        return {
            f"{prefix}self_attn.q_proj.{kind}": query.clone(),
            f"{prefix}self_attn.k_proj.{kind}": key.clone(),
            f"{prefix}self_attn.v_proj.{kind}": val.clone(),
        }
    for old, new in _BLOCK.items():
        if rest.startswith(old) and rest[len(old) :] in ("weight", "bias"):
            return {prefix + new + rest[len(old) :]: value}
    return None


def convert_openai_clip_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An OpenAI-format CLIP state dict (ViT image tower) renamed for ``transformers.CLIPModel``.

    See the module docstring for the mapping. The result loads with ``CLIPModel.load_state_dict(...,
    strict=True)`` when the model's config has the checkpoint's sizes (``transformers``' ``position_ids`` are
    non-persistent buffers, so they are neither expected nor produced).

    Raises:
        ValidationError: a ResNet image tower (``visual.layer1...``: ``transformers`` has no such CLIP), a
            name the mapping does not know (all listed), or a packed projection whose rows are not 3 x width.
    """
    converted: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    for name, value in state.items():
        if name in OPENAI_METADATA_KEYS:
            continue
        if _RESNET_HINT.match(name):
            raise ValidationError(
                f"OpenAI CLIP state dict: {name!r} belongs to a ResNet image tower; transformers' CLIPModel "
                "only has ViT image towers"
            )
        if name in _FIXED:
            converted[_FIXED[name]] = value
        elif name in _TRANSPOSED:
            converted[_TRANSPOSED[name]] = value.t().contiguous()
        elif (match := _BLOCK_KEY.match(name)) is not None and (
            entries := _block_entries(match["tower"], match["index"], match["rest"], value)
        ) is not None:
            converted.update(entries)
        else:
            unknown.append(name)
    if unknown:
        listed = ", ".join(sorted(unknown)[:10]) + (" ..." if len(unknown) > 10 else "")
        raise ValidationError(f"OpenAI CLIP state dict: {len(unknown)} unknown entries ({listed})")
    return converted
