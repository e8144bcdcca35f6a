"""Pretrained backbones loaded offline: a local ``save_pretrained`` folder or the local Hugging Face cache.

Importing this package imports neither ``torch`` models nor ``transformers``; the loaders import them when
called.
"""

from vadkit.models.clip_loading import ClipComponents, clip_projection_dim, load_clip
from vadkit.models.hf_loading import ModelSource, hf_cache_dir, model_digest, resolve_model

__all__ = [
    "ClipComponents",
    "ModelSource",
    "clip_projection_dim",
    "hf_cache_dir",
    "load_clip",
    "model_digest",
    "resolve_model",
]
