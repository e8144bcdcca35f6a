"""The output folder of an extraction: one array and one record per video, written atomically.

Layout under the output folder ``out``::

    out/<video>.npy      the features, (T, D) or (T, crops, D) float32, plain ``np.save`` (public layout)
    out/<video>.json     the video's record (sidecar; readable with ``Features.load(out/<video>)``)
    out/manifest.json    every record found under ``out``, rebuilt at the end of each run

``<video>`` is the video id and may contain ``/`` (sub-folders mirror the input folders).

Every file is written under a temporary name, ``<final name>.tmp`` (``manifest.json.tmp-<tag>`` for the
manifest, one tag per shard), flushed to disk and renamed over the final name, so a final name never holds a
partial file. A video's record is removed before its array is rewritten and written after it, so a record
that exists always describes the array next to it; a run killed in between leaves an array without record,
which the next run extracts again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from vadkit.features.manifest import MANIFEST_NAME, VideoRecord, manifest_payload
from vadkit.files import TEMP_SUFFIX, atomic_write


def _json_bytes(payload: Any) -> bytes:
    return (json.dumps(payload, indent=2) + "\n").encode("utf-8")


def _array_header(path: Path) -> tuple[tuple[int, ...], np.dtype] | None:
    """Shape and dtype from a ``.npy`` header, ``None`` when the file is missing or not a ``.npy``."""
    try:
        with open(path, "rb") as handle:
            major, _ = np.lib.format.read_magic(handle)
            read_header = (
                np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(handle)
    except (OSError, ValueError):
        return None
    return tuple(shape), dtype


class FeatureStore:
    """The files of one extraction output folder (see the module docstring for the layout).

    Args:
        root: the output folder (created on the first write).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def array_path(self, video: str) -> Path:
        """``<root>/<video>.npy``."""
        return self.root / f"{video}.npy"

    def record_path(self, video: str) -> Path:
        """``<root>/<video>.json``."""
        return self.root / f"{video}.json"

    @property
    def manifest_path(self) -> Path:
        """``<root>/manifest.json``."""
        return self.root / MANIFEST_NAME

    def write_array(self, video: str, array: np.ndarray) -> Path:
        """Save ``array`` as ``<video>.npy`` (``np.save`` format, no pickle), atomically."""
        path = self.array_path(video)
        atomic_write(path, lambda handle: np.save(handle, array, allow_pickle=False), durable=True)
        return path

    def write_record(self, record: VideoRecord) -> Path:
        """Save ``record`` as the sidecar ``<video>.json``, atomically."""
        path = self.record_path(record.video)
        payload = _json_bytes(record.to_sidecar())
        atomic_write(path, lambda handle: handle.write(payload), durable=True)
        return path

    def discard(self, video: str, *, record: bool = True, array: bool = False) -> None:
        """Remove the record and/or the array of ``video`` if present."""
        if record:
            self.record_path(video).unlink(missing_ok=True)
        if array:
            self.array_path(video).unlink(missing_ok=True)

    def read_record(self, video: str) -> VideoRecord | None:
        """The record of ``video``, ``None`` when there is none or it is not a vadkit extraction record."""
        return self._load_record(self.record_path(video))

    def complete_record(
        self, video: str, extractor: str, config_hash: str, accept_partial: bool
    ) -> VideoRecord | None:
        """The record of ``video`` if its output is complete, else ``None``.

        Complete: the record was made by ``extractor`` with ``config_hash``, says ``ok`` (or ``partial``
        when ``accept_partial``), and the array beside it has the recorded shape and dtype. The vadkit
        version is not compared (the config hash says what shapes the numbers).
        """
        record = self.read_record(video)
        if record is None or not record.matches(extractor, config_hash):
            return None
        if record.status != "ok" and not (record.status == "partial" and accept_partial):
            return None
        header = _array_header(self.array_path(video))
        if header is None or header[0] != record.shape or str(header[1]) != record.dtype:
            return None
        return record

    def remove_temporaries(self, videos: Iterable[str], manifest_tag: str) -> list[Path]:
        """Remove the temporary files a killed run left for ``videos`` and for this run's manifest.

        Only the exact temporary names of those outputs are touched (``<video>.npy.tmp``,
        ``<video>.json.tmp``, ``manifest.json.tmp-<manifest_tag>``); returns the files removed.
        """
        candidates = [self.manifest_path.with_name(f"{MANIFEST_NAME}{TEMP_SUFFIX}-{manifest_tag}")]
        for video in videos:
            for final in (self.array_path(video), self.record_path(video)):
                candidates.append(final.with_name(final.name + TEMP_SUFFIX))
        removed = [path for path in candidates if path.is_file()]
        for path in removed:
            path.unlink()
        return removed

    def records(self) -> list[VideoRecord]:
        """Every extraction record under the root (sidecars in any sub-folder), sorted by video id."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.rglob("*.json"):
            if path == self.manifest_path:
                continue
            record = self._load_record(path)
            if record is not None and self.record_path(record.video) == path:
                found.append(record)
        return sorted(found, key=lambda r: r.video)

    def write_manifest(self, tag: str) -> Path:
        """Rebuild ``manifest.json`` from every record under the root (atomically; ``tag`` names this
        writer's temporary file so that concurrent shards do not collide)."""
        payload = _json_bytes(manifest_payload(self.records()))
        atomic_write(self.manifest_path, lambda handle: handle.write(payload), tag=tag, durable=True)
        return self.manifest_path

    @staticmethod
    def _load_record(path: Path) -> VideoRecord | None:
        try:
            return VideoRecord.from_sidecar(json.loads(path.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError):
            return None
