"""CLIP models through ``transformers``, loaded offline (:mod:`vadkit.models.hf_loading`).

Shared by the ``clip`` extractor (image features), and meant for CLIP zero-shot scoring, VadCLIP and text
prompts (text features). A CLIP model folder is what ``CLIPModel.save_pretrained`` (or the hub repo, e.g.
``openai/clip-vit-base-patch16``) holds: ``config.json``, the weights, ``preprocessor_config.json`` and,
for text, the tokenizer files.

The image processor is always the PIL/NumPy implementation (``CLIPImageProcessorPil`` in transformers 5,
``CLIPImageProcessor`` before): bicubic PIL resize of the shortest side, center crop, rescale to [0, 1],
normalisation with the processor's mean and std, as OpenAI's ``clip.load`` preprocessing does. The
torchvision backend that transformers 5 prefers when torchvision is installed gives slightly different
pixels, so it is not used: the same model gives the same features whatever is installed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vadkit.errors import ValidationError
from vadkit.models.hf_loading import ModelSource, load_offline, resolve_model

if TYPE_CHECKING:
    import torch


def image_processor_class() -> Any:
    """The PIL/NumPy CLIP image processor class of the installed transformers (see the module docstring)."""
    import transformers

    return getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor


def _vision_config(source: ModelSource) -> Any:
    """The vision config of the model at ``source``, with the projection size of the whole model.

    A ``CLIPModel`` checkpoint keeps ``projection_dim`` at the top level; its ``vision_config`` may carry
    the default (512) instead, which would not fit the checkpoint's projection, so it is copied over.
    """
    from transformers import AutoConfig, CLIPConfig, CLIPVisionConfig

    config = load_offline(AutoConfig.from_pretrained, source, "the model config")
    if isinstance(config, CLIPConfig):
        vision = config.vision_config
        vision.projection_dim = config.projection_dim
        return vision
    if isinstance(config, CLIPVisionConfig):
        return config
    raise ValidationError(
        f"model {source.given!r}: {source.path} holds a {type(config).__name__} (model_type "
        f"{getattr(config, 'model_type', '?')!r}), not a CLIP model"
    )


def clip_projection_dim(source: ModelSource) -> int:
    """D, the size of the model's image (and text) embeddings (``projection_dim``), from its config only."""
    return int(_vision_config(source).projection_dim)


@dataclass
class ClipComponents:
    """A loaded CLIP model with its processors.

    Attributes:
        source: where the model was found.
        model: ``CLIPVisionModelWithProjection`` (image only) or ``CLIPModel`` (with ``text=True``), in eval
            mode, on its device and dtype.
        image_processor: the model's PIL/NumPy image processor.
        tokenizer: the model's tokenizer (``text=True``), else ``None``.
        projection_dim: D, the embedding size.
    """

    source: ModelSource
    model: Any
    image_processor: Any
    tokenizer: Any | None
    projection_dim: int

    @property
    def device(self) -> torch.device:
        """The device of the model's weights."""
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the model's weights."""
        return next(self.model.parameters()).dtype

    def image_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """``(N, D)`` projected image embeddings (``get_image_features``, not normalised) of ``(N, 3, S, S)``
        normalised pixels, on the model's device; call inside ``torch.inference_mode()``."""
        pixels = pixel_values.to(device=self.device, dtype=self.dtype)
        if hasattr(self.model, "get_text_features"):
            output = self.model.get_image_features(pixel_values=pixels)
            return output if hasattr(output, "dim") else output.pooler_output
        return self.model(pixel_values=pixels).image_embeds

    def text_features(self, texts: Sequence[str]) -> torch.Tensor:
        """``(len(texts), D)`` projected text embeddings (``get_text_features``, not normalised); call inside
        ``torch.inference_mode()``.

        Raises:
            ValidationError: the model was loaded without ``text=True``.
        """
        if self.tokenizer is None:
            raise ValidationError(
                f"model {self.source.given!r} was loaded for images only (load it with text=True)"
            )
        tokens = self.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        tokens = {name: value.to(self.device) for name, value in tokens.items()}
        output = self.model.get_text_features(**tokens)
        return output if hasattr(output, "dim") else output.pooler_output


def load_clip(
    model: str | os.PathLike[str] | ModelSource,
    *,
    text: bool = False,
    device: str = "cpu",
    dtype: str = "float32",
    cache_dir: str | os.PathLike[str] | None = None,
    revision: str = "main",
) -> ClipComponents:
    """Load a CLIP model offline: image tower and projection only, or (``text=True``) the whole model and
    its tokenizer.

    Args:
        model: a ``save_pretrained`` folder, a repo id in the local Hugging Face cache, or a resolved
            :class:`~vadkit.models.hf_loading.ModelSource`.
        text: also load the text tower and the tokenizer.
        device: a torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``...).
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``: the weights' dtype.
        cache_dir, revision: see :func:`~vadkit.models.hf_loading.resolve_model`.

    Raises:
        ValidationError: the model cannot be found or is not a CLIP model (named in the message).
    """
    import torch
    from transformers import AutoTokenizer, CLIPModel, CLIPVisionModelWithProjection

    if dtype not in ("float32", "float16", "bfloat16"):
        raise ValidationError(f"dtype must be float32, float16 or bfloat16, got {dtype!r}")
    if isinstance(model, ModelSource):
        source = model
    else:
        source = resolve_model(model, cache_dir=cache_dir, revision=revision)
    vision = _vision_config(source)
    if text:
        network = load_offline(CLIPModel.from_pretrained, source, "the CLIP model")
        tokenizer = load_offline(AutoTokenizer.from_pretrained, source, "the tokenizer")
    else:
        loader = CLIPVisionModelWithProjection.from_pretrained
        network, tokenizer = load_offline(loader, source, "the image model", config=vision), None
    processor = load_offline(image_processor_class().from_pretrained, source, "the image processor")
    network = network.to(device=torch.device(device), dtype=getattr(torch, dtype)).eval()
    return ClipComponents(source, network, processor, tokenizer, int(vision.projection_dim))
