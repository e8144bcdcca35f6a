"""The extractor contract and the extractor registry.

An extractor turns one decoded video into snippet features: ``(T, D)`` float32, or ``(T, crops, D)`` for
multi-crop extractors, with T given by its :class:`~vadkit.types.SnippetSpec` and the video's frame count.
Every dimension has a name (:meth:`Extractor.feature_names`), and the configuration that shapes the numbers is
a JSON-ready mapping (:meth:`Extractor.config`) whose hash identifies the outputs in extraction manifests.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from vadkit.io import Size, VideoReader
from vadkit.registry import Registry
from vadkit.types import SnippetSpec, VideoInfo


class Extractor(ABC):
    """Snippet features from a video reader.

    Subclasses set :attr:`name` (the registry name), implement :meth:`config`, :meth:`feature_names` and
    :meth:`extract`, and are registered with ``@EXTRACTORS.register(name)``. ``extract`` must stream: memory
    may not grow with the length of the video.
    """

    name: str = ""

    @property
    @abstractmethod
    def snippet(self) -> SnippetSpec:
        """How frames are grouped into snippets (T follows from it and the frame count)."""

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Every setting that changes the features, JSON-ready (hashed into :meth:`config_hash`)."""

    @abstractmethod
    def feature_names(self) -> list[str]:
        """One human-readable name per feature dimension (length D)."""

    @abstractmethod
    def extract(self, reader: VideoReader) -> np.ndarray:
        """Features of the video behind ``reader``: ``(T, D)`` or ``(T, crops, D)`` float32, finite."""

    def decode_size(self, info: VideoInfo) -> Size | None:
        """The ``(width, height)`` the reader should decode ``info``'s video at, or ``None`` for its native
        size. Extractors that work at a reduced resolution return it, so that scaling happens in the decoder
        (cheaper than decoding at full size and resizing)."""
        return None

    @property
    def dim(self) -> int:
        """D, the number of feature dimensions."""
        return len(self.feature_names())

    def config_hash(self) -> str:
        """A short, stable hash of :attr:`name` and :meth:`config` (the same settings give the same hash)."""
        payload = json.dumps({"extractor": self.name, "config": self.config()}, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


EXTRACTORS: Registry[Extractor] = Registry("extractor")
"""Registered extractors: ``EXTRACTORS.create("motion", **config)``."""


def create_extractor(name: str, **config: Any) -> Extractor:
    """The extractor registered as ``name``, built with ``config``."""
    return EXTRACTORS.create(name, **config)


def list_extractors() -> list[str]:
    """Names of the registered extractors."""
    return EXTRACTORS.names()
