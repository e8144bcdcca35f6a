"""Hugging Face models from a local folder or the local Hugging Face cache, always offline.

vadkit never downloads weights. A model is given either as

* a **folder**: one written by ``save_pretrained`` (``config.json``, the weights, and for image models
  ``preprocessor_config.json``), e.g. copied from a machine with internet access; or
* a **repo id** (``"openai/clip-vit-base-patch16"``) already in the Hugging Face cache of this machine: the
  snapshot ``<cache>/models--openai--clip-vit-base-patch16/snapshots/<commit>/``, with the commit read from
  ``refs/<revision>`` (``refs/main`` by default) or given as ``revision``, exactly as ``huggingface_hub``
  resolves it with ``HF_HUB_OFFLINE=1``.

The cache is ``cache_dir`` when given, else ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub`` (``huggingface_hub``'s own order), read
when a model is resolved. Either way the model is then loaded from the resolved folder with
``local_files_only=True``: ``transformers`` is only ever handed a local directory, so no call reaches the
network. What is missing raises a :class:`~vadkit.errors.ValidationError` naming what was looked for and how
to provide it.

``transformers`` and ``huggingface_hub`` are imported inside the functions that need them, never when vadkit
is imported.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from vadkit.errors import ValidationError

T = TypeVar("T")

REPO_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")
"""A Hugging Face repo id: ``name`` or ``owner/name``."""

COMMIT = re.compile(r"^[0-9a-f]{40}$")
"""A full git commit hash (a snapshot folder name)."""

WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin")
"""Weight files of a ``save_pretrained`` folder (single or sharded)."""

DIGEST_FILES = ("config.json", "preprocessor_config.json")
"""Files besides the weights that shape a model's outputs (hashed by :func:`model_digest` when present)."""

_HOW_TO_PROVIDE = (
    "vadkit never downloads models. Provide one of: (1) a local folder written by save_pretrained "
    "(on a machine with internet: AutoModel.from_pretrained(REPO_ID).save_pretrained(DIR), plus the "
    "processor/tokenizer, then copy DIR here and pass its path); (2) the Hugging Face cache folder "
    "models--OWNER--NAME copied into this machine's cache, or HF_HOME / HF_HUB_CACHE (or cache_dir) "
    "pointed at a cache that holds it"
)


@dataclass(frozen=True)
class ModelSource:
    """Where a model was found.

    Attributes:
        given: the model as the user named it (a path or a repo id).
        path: the folder the model is loaded from (a ``save_pretrained`` folder or a cache snapshot).
        repo_id: the repo id when found in the Hugging Face cache, else ``None``.
        commit: the snapshot's commit hash when found in the cache, else ``None``.
    """

    given: str
    path: Path
    repo_id: str | None = None
    commit: str | None = None


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache this process uses, from the environment at call time (see the module
    docstring for the order)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(xdg).expanduser() / "huggingface" / "hub"


def _checked_folder(folder: Path, given: str) -> Path:
    if not (folder / "config.json").is_file():
        raise ValidationError(
            f"model {given!r}: {folder} has no config.json, so it is not a transformers model folder "
            f"(write one with save_pretrained). {_HOW_TO_PROVIDE}"
        )
    return folder


def _looks_like_path(text: str) -> bool:
    return text.startswith((".", "/", "~", "\\")) or text.count("/") > 1 or "\\" in text or ":" in text


def resolve_model(
    model: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None, revision: str = "main"
) -> ModelSource:
    """The local folder of ``model``: the folder itself, or its snapshot in the Hugging Face cache.

    Args:
        model: a ``save_pretrained`` folder, or a repo id (``owner/name``) in the local cache.
        cache_dir: the hub cache to search (default: :func:`hf_cache_dir`).
        revision: for a repo id, the ref (``refs/<revision>`` in the cache) or a full commit hash.

    Raises:
        ValidationError: no such folder, or the repo id is not in the cache (the message names the path or
            the repo id, the cache folder searched, and how to provide the model).
    """
    given = os.fspath(model)
    folder = Path(given).expanduser()
    if folder.is_dir():
        return ModelSource(given, _checked_folder(folder.absolute(), given))
    if _looks_like_path(given) or not REPO_ID.match(given):
        raise ValidationError(f"model {given!r}: no such folder ({folder.absolute()}). {_HOW_TO_PROVIDE}")
    cache = Path(cache_dir).expanduser() if cache_dir is not None else hf_cache_dir()
    repo_folder = cache / ("models--" + given.replace("/", "--"))
    not_found = (
        f"model {given!r}: not a folder here, and not in the Hugging Face cache {cache} (looked for "
        f"{repo_folder}"
    )
    if not repo_folder.is_dir():
        raise ValidationError(f"{not_found}). {_HOW_TO_PROVIDE}")
    if COMMIT.match(revision):
        commit = revision
    else:
        ref = repo_folder / "refs" / revision
        if not ref.is_file():
            snapshots = sorted(p.name for p in (repo_folder / "snapshots").glob("*") if p.is_dir())
            raise ValidationError(
                f"{not_found}/refs/{revision}, which is missing; snapshots present: {snapshots or 'none'}; "
                f"pass one as revision=<commit>). {_HOW_TO_PROVIDE}"
            )
        commit = ref.read_text(encoding="utf-8").strip()
    snapshot = repo_folder / "snapshots" / commit
    if not snapshot.is_dir():
        raise ValidationError(f"{not_found}/snapshots/{commit}, which is missing). {_HOW_TO_PROVIDE}")
    return ModelSource(given, _checked_folder(snapshot, given), repo_id=given, commit=commit)


def _file_sha256(path: Path) -> str:
    """SHA-256 of a file; a cache snapshot's link to ``blobs/<sha256>`` (how the hub stores LFS files) gives
    it without reading the file."""
    target = path.resolve()
    if target.parent.name == "blobs" and re.fullmatch(r"[0-9a-f]{64}", target.name):
        return target.name
    digest = hashlib.sha256()
    with open(target, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_digest(folder: str | os.PathLike[str]) -> str:
    """A SHA-256 identifying a model folder's contents: over the names and SHA-256s of its weight files
    (:data:`WEIGHT_PATTERNS`) and of :data:`DIGEST_FILES` present (a copy of a folder has the same digest).

    Raises:
        ValidationError: the folder holds no weight file.
    """
    root = Path(folder)
    weights = sorted({p for pattern in WEIGHT_PATTERNS for p in root.glob(pattern)})
    if not weights:
        raise ValidationError(f"{root}: no weight file ({', '.join(WEIGHT_PATTERNS)}) in the model folder")
    files = [root / name for name in DIGEST_FILES if (root / name).is_file()] + weights
    listing = "".join(f"{p.name}\t{_file_sha256(p)}\n" for p in files)
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence ``transformers``' loading reports and progress bars inside the block (restored after)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_offline(loader: Callable[..., T], source: ModelSource, what: str, **kwargs: Any) -> T:
    """``loader(source.path, local_files_only=True, **kwargs)`` (a ``from_pretrained``), quietly.

    Raises:
        ValidationError: the folder lacks what ``loader`` needs (``what`` names it, e.g. "the image
            processor"), naming the folder.
    """
    try:
        with quiet_transformers():
            return loader(str(source.path), local_files_only=True, **kwargs)
    except (OSError, ValueError) as error:
        raise ValidationError(
            f"model {source.given!r}: cannot load {what} from {source.path} ({error}). {_HOW_TO_PROVIDE}"
        ) from error
