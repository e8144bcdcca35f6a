"""What an extraction run records per video, and the run manifest summarising a whole output folder.

Each video's record is written next to its array as ``<video>.json`` (a *sidecar*, in the layout
:meth:`vadkit.types.Features.load` reads: ``{"video", "snippet", "manifest": <record>}``);
``manifest.json`` at the top of the output folder gathers every sidecar found there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import vadkit

RecordStatus = Literal["ok", "partial", "failed"]
"""``ok``: every declared frame decoded and features written; ``partial``: fewer frames than declared (kept
under ``on_error="partial"``); ``failed``: nothing written, ``reason`` says why."""

MANIFEST_NAME = "manifest.json"
"""File name of the run manifest at the top of an output folder."""


@dataclass(frozen=True)
class VideoRecord:
    """The extraction record of one video.

    Attributes:
        video: the video id: its path relative to the input root, ``/``-separated, without the video
            extension; the output is ``<out>/<video>.npy``.
        input: the video file or frame folder read.
        output: the array file relative to the output folder (``<video>.npy``); ``None`` when failed.
        extractor: registry name of the extractor.
        config: the extractor's configuration (:meth:`Extractor.config`).
        config_hash: :meth:`Extractor.config_hash` of that configuration.
        vadkit_version: the vadkit version that wrote the record.
        snippet: the extractor's snippet spec (:meth:`SnippetSpec.to_dict`).
        status: ``ok``, ``partial`` or ``failed`` (see :data:`RecordStatus`).
        reason: why the video failed or is partial (the decoder's or extractor's message); empty when ok.
        shape: shape of the array, ``(T, D)`` or ``(T, crops, D)``; ``None`` when failed.
        dtype: dtype of the array (``float32``); ``None`` when failed.
        decode: the reader's :meth:`DecodeOutcome.to_dict` (frames declared and decoded); ``None`` when the
            video could not be opened or the extractor made no full sequential pass.
        seconds: wall time spent on the video (decode, extraction, writing).
        host: machine that extracted it.
    """

    video: str
    input: str
    extractor: str
    config: Mapping[str, Any]
    config_hash: str
    snippet: Mapping[str, Any]
    status: RecordStatus
    reason: str = ""
    output: str | None = None
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    decode: Mapping[str, Any] | None = None
    vadkit_version: str = vadkit.__version__
    seconds: float = 0.0
    host: str = ""

    @property
    def frames_decoded(self) -> int:
        """Frames decoded by the full pass (0 when unknown)."""
        return int(self.decode["frames_decoded"]) if self.decode else 0

    def matches(self, extractor: str, config_hash: str) -> bool:
        """Whether this record was made by ``extractor`` with the configuration hashed as ``config_hash``."""
        return self.extractor == extractor and self.config_hash == config_hash

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the entry of ``manifest.json``)."""
        return {
            "video": self.video,
            "input": self.input,
            "output": self.output,
            "extractor": self.extractor,
            "config": dict(self.config),
            "config_hash": self.config_hash,
            "vadkit_version": self.vadkit_version,
            "snippet": dict(self.snippet),
            "status": self.status,
            "reason": self.reason,
            "shape": None if self.shape is None else list(self.shape),
            "dtype": self.dtype,
            "decode": None if self.decode is None else dict(self.decode),
            "seconds": self.seconds,
            "host": self.host,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoRecord:
        """Inverse of :meth:`to_dict`."""
        values = dict(data)
        shape = values.pop("shape", None)
        return cls(**values, shape=None if shape is None else tuple(int(n) for n in shape))

    def to_sidecar(self) -> dict[str, Any]:
        """The sidecar payload: ``{"video", "snippet", "manifest": <the other fields>}``."""
        rest = self.to_dict()
        return {"video": rest.pop("video"), "snippet": rest.pop("snippet"), "manifest": rest}

    @classmethod
    def from_sidecar(cls, data: Mapping[str, Any]) -> VideoRecord:
        """Inverse of :meth:`to_sidecar`."""
        return cls.from_dict({"video": data["video"], "snippet": data["snippet"], **data["manifest"]})


def manifest_payload(records: Iterable[VideoRecord]) -> dict[str, Any]:
    """The content of ``manifest.json`` for ``records``: counts per status, total frames decoded, each
    extractor configuration met, and every record by video id (sorted)."""
    ordered = sorted(records, key=lambda r: r.video)
    counts = Counter(r.status for r in ordered)
    configurations = {
        r.config_hash: {"extractor": r.extractor, "config_hash": r.config_hash, "config": dict(r.config)}
        for r in ordered
    }
    return {
        "vadkit_version": vadkit.__version__,
        "videos_total": len(ordered),
        "counts": {status: counts.get(status, 0) for status in ("ok", "partial", "failed")},
        "frames_decoded": sum(r.frames_decoded for r in ordered if r.status != "failed"),
        "configurations": [configurations[key] for key in sorted(configurations)],
        "videos": {r.video: r.to_dict() for r in ordered},
    }
