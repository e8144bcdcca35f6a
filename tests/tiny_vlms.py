"""Tiny random vision-language models written offline, laid out as their hub repos are: the model's
``save_pretrained`` files, the tokenizer's (with the chat template), the image processor's
``preprocessor_config.json`` and a ``processor_config.json`` with the processor's own settings.

Every text model has hidden size 16 and one layer, every vision tower one layer on 16 or 32 px images, and the
tokenizer is a byte-level BPE over the 256 bytes (no merges) plus the family's special tokens, so any text
encodes. Building and generating a few tokens takes about a second per family on one CPU thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

TEXT = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}
"""The tiny text model (every family's language model)."""

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""Qwen2-VL's chat template, in short."""

IDEFICS3_TEMPLATE = (
    "<|im_start|>{% for m in messages %}{{ m['role'] | capitalize }}:{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>{% else %}{{ c['text'] }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)
"""SmolVLM's (Idefics3's) chat template, in short."""

LLAVA_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] | upper }}: {% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>\n{% else %}{{ c['text'] }}{% endif %}{% endfor %} "
    "{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)
"""LLaVA-1.5's chat template, in short."""


def _byte_symbols() -> list[str]:
    """The 256 printable symbols of byte-level BPE (GPT-2's ``bytes_to_unicode``)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    extra = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + n) for n in range(len(extra))]


def tiny_tokenizer(special: list[str], chat_template: str, end: str) -> Any:
    """A byte-level BPE tokenizer (256 byte tokens, then ``special``), ``end`` its end and padding token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE(vocab={s: i for i, s in enumerate(_byte_symbols())}, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, chat_template=chat_template)
    tokenizer.add_special_tokens({"additional_special_tokens": special})
    tokenizer.eos_token = tokenizer.pad_token = end
    return tokenizer


def _text_config(tokenizer: Any, **extra: Any) -> dict[str, Any]:
    ends = {"eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}
    return {
        **TEXT,
        "num_key_value_heads": 1,
        "vocab_size": len(tokenizer),
        "bos_token_id": None,
        **ends,
        **extra,
    }


def _llava() -> tuple[Any, Any, Any, dict[str, Any]]:
    import transformers as hf

    tokenizer = tiny_tokenizer(["<image>", "</s>"], LLAVA_TEMPLATE, "</s>")
    image = hf.LlavaImageProcessorPil(size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16})
    vision = {**TEXT, "model_type": "clip_vision_model", "image_size": 16, "patch_size": 8}
    config = hf.LlavaConfig(
        vision_config=vision,
        text_config={"model_type": "llama", **_text_config(tokenizer)},
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_select_strategy="default",
    )
    # 2x2 patches and the CLS token, which the "default" strategy drops: 4 image tokens.
    settings = {
        "patch_size": 8,
        "vision_feature_select_strategy": "default",
        "num_additional_image_tokens": 1,
    }
    return hf.LlavaForConditionalGeneration(config), tokenizer, image, settings


def _qwen2_vl(model_type: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    import transformers as hf

    vision_tokens = ["<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
    tokenizer = tiny_tokenizer(["<|im_start|>", "<|im_end|>", *vision_tokens], CHATML, "<|im_end|>")
    names = ("vision_start", "vision_end", "image", "video")
    token_ids = {
        f"{name}_token_id": tokenizer.convert_tokens_to_ids(token)
        for name, token in zip(names, vision_tokens, strict=True)
    }
    # 16-32 px images in 8 px patches, merged 2x2: 1-4 image tokens per frame.
    image = hf.Qwen2VLImageProcessorPil(min_pixels=16 * 16, max_pixels=32 * 32, patch_size=8, merge_size=2)
    vision = {"depth": 1, "num_heads": 2, "patch_size": 8, "spatial_merge_size": 2, "temporal_patch_size": 2}
    mrope = {"type": "mrope", "mrope_section": [1, 1, 2]}
    text = _text_config(tokenizer, rope_scaling=mrope)
    if model_type == "qwen2_vl":
        config: Any = hf.Qwen2VLConfig(
            text_config=text,
            vision_config={**vision, "embed_dim": 16, "hidden_size": 16, "mlp_ratio": 2},
            **token_ids,
        )
        return hf.Qwen2VLForConditionalGeneration(config), tokenizer, image, {}
    vision = {
        **vision,
        "hidden_size": 16,
        "intermediate_size": 32,
        "out_hidden_size": 16,
        "fullatt_block_indexes": [0],
    }
    config = hf.Qwen2_5_VLConfig(text_config=text, vision_config=vision, **token_ids)
    return hf.Qwen2_5_VLForConditionalGeneration(config), tokenizer, image, {}


def _idefics3(model_type: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    import transformers as hf

    special = ["<|im_start|>", "<fake_token_around_image>", "<image>", "<end_of_utterance>", "<global-img>"]
    tokenizer = tiny_tokenizer(special, IDEFICS3_TEMPLATE, "<end_of_utterance>")
    smolvlm = model_type == "smolvlm"
    image_class = hf.SmolVLMImageProcessorPil if smolvlm else hf.Idefics3ImageProcessorPil
    image = image_class(
        size={"longest_edge": 32}, max_image_size={"longest_edge": 32}, do_image_splitting=False
    )
    vision = {**TEXT, "image_size": 32, "patch_size": 8}
    config_class = hf.SmolVLMConfig if smolvlm else hf.Idefics3Config
    config = config_class(
        text_config={"model_type": "llama", **_text_config(tokenizer)},
        vision_config=vision,
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    # 4x4 patches, pixel-shuffled by 2: 4 image tokens per frame.
    model_class = hf.SmolVLMForConditionalGeneration if smolvlm else hf.Idefics3ForConditionalGeneration
    return model_class(config), tokenizer, image, {"image_seq_len": 4}


BUILDERS: dict[str, Callable[[], tuple[Any, Any, Any, dict[str, Any]]]] = {
    "llava": _llava,
    "qwen2_vl": lambda: _qwen2_vl("qwen2_vl"),
    "qwen2_5_vl": lambda: _qwen2_vl("qwen2_5_vl"),
    "idefics3": lambda: _idefics3("idefics3"),
    "smolvlm": lambda: _idefics3("smolvlm"),
}
"""The tiny model of each supported ``model_type``: ``(model, tokenizer, image processor, processor
settings)``."""

PROCESSOR_CLASSES = {
    "llava": "LlavaProcessor",
    "qwen2_vl": "Qwen2VLProcessor",
    "qwen2_5_vl": "Qwen2_5_VLProcessor",
    "idefics3": "Idefics3Processor",
    "smolvlm": "SmolVLMProcessor",
}
"""The processor class each folder names in ``processor_config.json``."""


def save_tiny_vlm(folder: Path, model_type: str, seed: int = 0) -> Path:
    """A random VLM of ``model_type`` (a key of :data:`BUILDERS`) written into ``folder``."""
    torch.manual_seed(seed)
    model, tokenizer, image_processor, settings = BUILDERS[model_type]()
    folder.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    image_processor.save_pretrained(folder)
    processor = {"processor_class": PROCESSOR_CLASSES[model_type], **settings}
    (folder / "processor_config.json").write_text(json.dumps(processor, indent=2), encoding="utf-8")
    return folder
