"""The per-video job of an extraction, the one function every backend runs: decode, extract, write, record."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from vadkit.errors import ValidationError, VideoDecodeError
from vadkit.features.base import Extractor
from vadkit.features.manifest import RecordStatus, VideoRecord
from vadkit.features.store import FeatureStore
from vadkit.io import DecodeOutcome, OnError, VideoReader, open_video
from vadkit.types import Features


@dataclass(frozen=True)
class VideoTask:
    """One video to extract (small and picklable: it travels to worker processes and Ray workers).

    Attributes:
        video: the video id; outputs go to ``<out_dir>/<video>.npy`` and ``.json``.
        source: the video file or frame folder.
        out_dir: the output folder (shared by every worker; on a cluster, a shared filesystem).
        on_error: the run's policy; ``"partial"`` keeps partial decodes, the others fail on a shortfall.
    """

    video: str
    source: str
    out_dir: str
    on_error: OnError


def describe_error(error: BaseException) -> str:
    """The reason recorded for a failure: a decode error's own message (it names the video), otherwise the
    exception type and message."""
    if isinstance(error, VideoDecodeError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def video_record(
    task: VideoTask,
    extractor: Extractor,
    status: RecordStatus,
    *,
    reason: str = "",
    features: np.ndarray | None = None,
    outcome: DecodeOutcome | None = None,
    seconds: float = 0.0,
) -> VideoRecord:
    """The record of ``task`` extracted by ``extractor`` (``features`` is the array written, if any)."""
    return VideoRecord(
        video=task.video,
        input=task.source,
        extractor=extractor.name,
        config=extractor.config(),
        config_hash=extractor.config_hash(),
        snippet=extractor.snippet.to_dict(),
        status=status,
        reason=reason,
        output=None if features is None else f"{task.video}.npy",
        shape=None if features is None else tuple(features.shape),
        dtype=None if features is None else str(features.dtype),
        decode=None if outcome is None else outcome.to_dict(),
        seconds=round(seconds, 6),
        host=socket.gethostname(),
    )


def checked_features(
    video: str, data: Any, extractor: Extractor, outcome: DecodeOutcome | None
) -> np.ndarray:
    """``data`` as validated float32 features of ``video``: finite, ``(T, D)`` or ``(T, crops, D)`` with the
    extractor's crops, and T the snippet count of the frames decoded (when a full pass counted them).

    Raises:
        ValidationError: naming the video and what is wrong.
    """
    array = Features(video, data, snippet=extractor.snippet).data
    if outcome is not None:
        expected = extractor.snippet.num_snippets(outcome.frames_decoded)
        if array.shape[0] != expected:
            raise ValidationError(
                f"{video}: extractor {extractor.name!r} gave {array.shape[0]} snippets, its snippet spec "
                f"gives {expected} for the {outcome.frames_decoded} frames decoded"
            )
    return array


def record_failure(
    task: VideoTask,
    extractor: Extractor,
    reason: str,
    *,
    outcome: DecodeOutcome | None = None,
    seconds: float = 0.0,
) -> VideoRecord:
    """Record ``task`` as failed for ``reason``: remove its array if any, write the ``failed`` record."""
    store = FeatureStore(task.out_dir)
    store.discard(task.video, record=False, array=True)
    record = video_record(task, extractor, "failed", reason=reason, outcome=outcome, seconds=seconds)
    store.write_record(record)
    return record


def open_for(extractor: Extractor, source: str, on_error: str, threads: int) -> VideoReader:
    """A reader of ``source`` at the frame size the extractor asks for (:meth:`Extractor.decode_size`: FFmpeg
    then scales while converting), else at the video's own size."""
    reader = open_video(source, on_error=on_error, threads=threads)
    size = extractor.decode_size(reader.info)
    if size is None or tuple(size) == (reader.info.width, reader.info.height):
        return reader
    reader.close()
    return open_video(source, size=size, on_error=on_error, threads=threads)


def extract_one(task: VideoTask, extractor: Extractor, decoder_threads: int = 0) -> VideoRecord:
    """Extract one video and write its array and record under ``task.out_dir``; never raises for a bad video.

    ``decoder_threads`` is passed to the PyAV reader (0: FFmpeg chooses; worker processes use their thread
    budget).

    The record is removed first and written last, atomically, so a record on disk always describes the
    array beside it. A video that cannot be opened, decodes short (unless ``on_error="partial"``), or whose
    extraction raises, gets a ``failed`` record with the reason and no array (a stale one is removed).
    """
    started = time.perf_counter()
    store = FeatureStore(task.out_dir)
    store.discard(task.video)
    outcome: DecodeOutcome | None = None
    policy = "partial" if task.on_error == "partial" else "raise"
    try:
        with open_for(extractor, task.source, policy, decoder_threads) as reader:
            data = extractor.extract(reader)
            outcome = reader.outcome
        features = checked_features(task.video, data, extractor, outcome)
        store.write_array(task.video, features)
    except Exception as error:
        elapsed = time.perf_counter() - started
        return record_failure(task, extractor, describe_error(error), outcome=outcome, seconds=elapsed)
    partial = outcome is not None and outcome.status == "partial"
    record = video_record(
        task,
        extractor,
        "partial" if partial else "ok",
        reason=outcome.message if partial and outcome is not None else "",
        features=features,
        outcome=outcome,
        seconds=time.perf_counter() - started,
    )
    store.write_record(record)
    return record
