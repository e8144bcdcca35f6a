"""Tiny sizes of every registered method, shared by the tests that train them (feature sizes: the tests), and
the tiny CLIP of the methods built on one (``tiny_clip_model`` in conftest.py, saved once per session)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import torch

from test_hf_loading import save_tiny_tokenizer
from vadkit.methods import METHODS, list_methods
from vadkit.models.clip_loading import image_processor_class

TINY_CLIP_DIM = 16
"""The projection size of the session's tiny CLIP: the feature size of the methods reading CLIP features."""

TINY_SIZES: dict[str, dict[str, Any]] = {
    "mil": {},
    "rtfm": {"branch_channels": 4},
    "urdmu": {
        "hidden_dim": 8,
        "depth": 1,
        "heads": 2,
        "dim_head": 4,
        "mlp_dim": 8,
        "abnormal_memory_size": 4,
        "normal_memory_size": 4,
        "classifier_hidden": 4,
    },
    "hlnet": {},
    "tpwng": {"context_length": 2, "depth": 1, "heads": 2},
    "vadclip": {"visual_layers": 1},  # visual_length stays 256: the trainer pools or pads to 256
    "vadclip_xd": {},
}


def trained_methods() -> list[str]:
    """The registered methods that train (training-free ones, like ``clip-zeroshot``, are tested apart)."""
    return [name for name in list_methods() if METHODS.get(name).trainable]


def needs_clip(name: str) -> bool:
    """Whether method ``name`` is built on a CLIP model (takes ``clip_model``)."""
    return "clip_model" in inspect.signature(METHODS.get(name)).parameters


def tiny_config(name: str, clip_model: Path | None = None, **data: Any) -> dict[str, Any]:
    """The tiny configuration of method ``name``: the options of ``data`` it takes (``feature_dim``,
    ``audio_dim``, ``classes``), its :data:`TINY_SIZES` and, when it is built on CLIP, ``clip_model``."""
    parameters = inspect.signature(METHODS.get(name)).parameters
    config = {key: value for key, value in data.items() if key in parameters}
    config.update(TINY_SIZES[name])
    if needs_clip(name):
        assert clip_model is not None, f"{name} is built on CLIP: give the tiny CLIP's folder"
        config["clip_model"] = str(clip_model)
    return config


def save_prompt_clip(
    folder: Path, projection: int = TINY_CLIP_DIM, text_hidden: int = 32, text_heads: int = 4, seed: int = 0
) -> Path:
    """A random CLIP with CLIP's 77-position text context (so VadCLIP's prompts of prefix = postfix = 10 fit),
    2 text layers, a 1-layer vision tower and a ``projection``-dimensional embedding (the feature size of
    VadCLIP and TPWNG), written with save_pretrained."""
    from transformers import CLIPConfig, CLIPModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = save_tiny_tokenizer(folder)
    text = {
        "hidden_size": text_hidden,
        "intermediate_size": 4 * text_hidden,
        "num_hidden_layers": 2,
        "num_attention_heads": text_heads,
        "vocab_size": vocab,
        "max_position_embeddings": 77,
        "bos_token_id": vocab - 2,
        "eos_token_id": vocab - 1,
        "pad_token_id": vocab - 1,
    }
    vision = {
        "hidden_size": 32,
        "intermediate_size": 128,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "image_size": 32,
        "patch_size": 8,
    }
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        CLIPModel(config).eval().save_pretrained(folder)
    processor = image_processor_class()(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor.save_pretrained(folder)
    return folder
