"""Vision-language models (VLMs) through ``transformers``, loaded offline (:mod:`vadkit.models.hf_loading`).

Used to describe detected events (:func:`vadkit.explain.describe.describe_event`). A VLM folder is what
``save_pretrained`` of the model and of its processor write (or the hub repo holds): ``config.json``, the
weights, the processor's files (``processor_config.json`` and/or ``preprocessor_config.json``), the tokenizer
files and the chat template. The family is read from ``config.json``'s ``model_type``
(:data:`VLM_FAMILIES`):

* **LLaVA** (``llava``; e.g. ``llava-hf/llava-1.5-7b-hf``): ``LlavaForConditionalGeneration``;
* **Qwen2-VL** (``qwen2_vl``, ``qwen2_5_vl``; e.g. ``Qwen/Qwen2-VL-2B-Instruct``,
  ``Qwen/Qwen2.5-VL-3B-Instruct``): ``Qwen2VLForConditionalGeneration`` /
  ``Qwen2_5_VLForConditionalGeneration``;
* **SmolVLM** (``idefics3`` for SmolVLM, e.g. ``HuggingFaceTB/SmolVLM-256M-Instruct``, and Idefics3;
  ``smolvlm`` for SmolVLM2): ``Idefics3ForConditionalGeneration`` / ``SmolVLMForConditionalGeneration``.

The processor is always ``AutoProcessor``, as the folder names it. In transformers 5 the Qwen2-VL and SmolVLM2
processors include a video processor that needs ``torchvision``; without it they cannot be loaded, and the
error says so.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vadkit.errors import ValidationError
from vadkit.models.hf_loading import ModelSource, _file_sha256, load_offline, model_digest, resolve_model

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class VlmFamily:
    """How one ``model_type`` is loaded.

    Attributes:
        family: the family's name (``"llava"``, ``"qwen2-vl"``, ``"smolvlm"``).
        model_class: the ``transformers`` class of the generating model.
    """

    family: str
    model_class: str


VLM_FAMILIES: Mapping[str, VlmFamily] = {
    "llava": VlmFamily("llava", "LlavaForConditionalGeneration"),
    "qwen2_vl": VlmFamily("qwen2-vl", "Qwen2VLForConditionalGeneration"),
    "qwen2_5_vl": VlmFamily("qwen2-vl", "Qwen2_5_VLForConditionalGeneration"),
    "idefics3": VlmFamily("smolvlm", "Idefics3ForConditionalGeneration"),
    "smolvlm": VlmFamily("smolvlm", "SmolVLMForConditionalGeneration"),
}
"""The supported ``model_type`` values of ``config.json`` and how each is loaded."""

PROCESSOR_FILES = (
    "processor_config.json",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
    "generation_config.json",
)
"""Files besides the weights and ``config.json`` that shape a VLM's text (hashed by :func:`vlm_digest`)."""

DTYPES = ("float32", "float16", "bfloat16")
"""The weight dtypes :func:`load_vlm` accepts."""


def vlm_model_type(source: ModelSource) -> str:
    """The ``model_type`` of ``config.json`` at ``source`` (read as JSON; ``transformers`` is not imported).

    Raises:
        ValidationError: the config has no ``model_type``, or one that is not in :data:`VLM_FAMILIES`.
    """
    config_file = source.path / "config.json"
    try:
        model_type = json.loads(config_file.read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError) as error:
        raise ValidationError(f"model {source.given!r}: cannot read {config_file} ({error})") from error
    if model_type not in VLM_FAMILIES:
        supported = ", ".join(f"{name} ({family.family})" for name, family in VLM_FAMILIES.items())
        raise ValidationError(
            f"model {source.given!r}: model_type {model_type!r} in {config_file} is not a supported "
            f"vision-language model; supported model_types: {supported}"
        )
    return str(model_type)


def vlm_digest(folder: str | os.PathLike[str]) -> str:
    """A SHA-256 identifying what a VLM folder generates from: :func:`~vadkit.models.hf_loading.model_digest`
    (weights and config) and the names and SHA-256s of the :data:`PROCESSOR_FILES` present.

    Raises:
        ValidationError: the folder holds no weight file.
    """
    root = Path(folder)
    listing = f"model\t{model_digest(root)}\n" + "".join(
        f"{name}\t{_file_sha256(root / name)}\n" for name in PROCESSOR_FILES if (root / name).is_file()
    )
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


@dataclass
class VlmComponents:
    """A loaded VLM with its processor.

    Attributes:
        source: where the model was found.
        model_type: ``config.json``'s ``model_type`` (a key of :data:`VLM_FAMILIES`).
        family: the family's name (``"llava"``, ``"qwen2-vl"``, ``"smolvlm"``).
        model: the generating model (``...ForConditionalGeneration``), in eval mode, on its device and dtype.
        processor: the model's ``AutoProcessor`` (tokenizer, image processor, chat template).
        digest: :func:`vlm_digest` of the folder.
    """

    source: ModelSource
    model_type: str
    family: str
    model: Any
    processor: Any
    digest: str

    @property
    def name(self) -> str:
        """The model as recorded with its outputs: the repo id (``@commit``) when it came from the cache, else
        the folder's path."""
        if self.source.repo_id is not None:
            return f"{self.source.repo_id}@{self.source.commit}"
        return str(self.source.path)

    @property
    def device(self) -> torch.device:
        """The device of the model's weights."""
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the model's weights."""
        return next(self.model.parameters()).dtype


def _dtype_keyword() -> str:
    """``from_pretrained``'s dtype keyword: ``dtype`` from transformers 4.56 on, ``torch_dtype`` before."""
    import transformers
    from packaging.version import Version

    return "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"


def load_vlm(
    model: str | os.PathLike[str] | ModelSource,
    *,
    device: str = "cpu",
    dtype: str = "float32",
    cache_dir: str | os.PathLike[str] | None = None,
    revision: str = "main",
) -> VlmComponents:
    """Load a VLM and its processor offline.

    Args:
        model: a ``save_pretrained`` folder (model and processor), a repo id in the local Hugging Face cache,
            or a resolved :class:`~vadkit.models.hf_loading.ModelSource`.
        device: a torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``...).
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``: the weights' dtype (loaded in it directly).
        cache_dir, revision: see :func:`~vadkit.models.hf_loading.resolve_model`.

    Raises:
        ValidationError: the model cannot be found, its ``model_type`` is not supported (the message lists the
            supported ones), the installed transformers lacks its class, or the folder lacks what the model or
            the processor needs (a missing package such as torchvision included), named in the message.
    """
    import torch
    import transformers

    if dtype not in DTYPES:
        raise ValidationError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    source = (
        model
        if isinstance(model, ModelSource)
        else resolve_model(model, cache_dir=cache_dir, revision=revision)
    )
    model_type = vlm_model_type(source)
    family = VLM_FAMILIES[model_type]
    model_class = getattr(transformers, family.model_class, None)
    if model_class is None:
        raise ValidationError(
            f"model {source.given!r}: model_type {model_type!r} needs transformers.{family.model_class}, "
            f"which transformers {transformers.__version__} does not have (upgrade transformers)"
        )
    try:
        processor = load_offline(transformers.AutoProcessor.from_pretrained, source, "the processor")
    except ImportError as error:
        raise ValidationError(
            f"model {source.given!r}: cannot load the {model_type} processor from {source.path}: a package "
            f"it needs is missing ({' '.join(str(error).split())})"
        ) from error
    weights_dtype = {_dtype_keyword(): getattr(torch, dtype)}
    network = load_offline(model_class.from_pretrained, source, f"the {family.model_class}", **weights_dtype)
    network = network.to(torch.device(device)).eval()
    return VlmComponents(source, model_type, family.family, network, processor, vlm_digest(source.path))
