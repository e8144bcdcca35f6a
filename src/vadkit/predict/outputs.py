"""What ``vadkit predict`` writes for each video, and the versioned JSON schema of its events file.

Per video, in ``<out>/<video>/``:

* ``scores.npy``: ``(n,)`` float32 anomaly score per frame;
* ``scores.csv``: ``frame,time_s,score`` and, for class-aware models, one ``p_<class>`` column per class;
* ``events.json``: the document below (:data:`SCHEMA`).

``events.json`` (``"schema": "vadkit.prediction/1"``; every time in seconds, frames 0-based with exclusive
ends)::

    {
      "schema": "vadkit.prediction/1",
      "video": {"name", "source", "fps", "num_frames", "width", "height"},
      "model": {"run_dir", "method", "seed", "checkpoint", "checkpoint_path",
                "extractor": {"name", "config_hash"}, "classes": [...] or null},
      "threshold": {"value", "source": "calibrated" | "given", ...calibration record},
      "event_settings": {smoothing, window_s, sigma_s, high, low, min_duration_s, merge_gap_s},
      "summary": {"events", "abnormal_seconds", "max_score"},
      "events": [
        {"video", "start", "end", "start_s", "end_s", "fps", "peak_score", "peak_frame", "mean_score",
         "class_name", "class_score", "description", "evidence": {...}}
      ]
    }

A new field may be added within version 1; a field changing meaning or disappearing makes version 2.
:func:`read_prediction` reads it back.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from vadkit.errors import ValidationError
from vadkit.files import atomic_write
from vadkit.predict.detector import Detector
from vadkit.predict.pipeline import VideoPrediction
from vadkit.types import save_npy, write_json

SCHEMA = "vadkit.prediction/1"
"""The schema name and version of ``events.json``."""


def prediction_document(prediction: VideoPrediction, detector: Detector) -> dict[str, Any]:
    """The ``events.json`` document of one prediction (module docstring)."""
    info = prediction.info
    fps = info.fps
    abnormal = sum(event.end - event.start for event in prediction.events) / fps
    return {
        "schema": SCHEMA,
        "video": {
            "name": prediction.video,
            "source": str(prediction.source),
            "fps": fps,
            "num_frames": info.num_frames,
            "width": info.width,
            "height": info.height,
        },
        "model": {
            "run_dir": str(detector.run_dir),
            "method": detector.method,
            "seed": detector.seed,
            "checkpoint": detector.checkpoint,
            "checkpoint_path": str(detector.checkpoint_path),
            "extractor": {
                "name": detector.extractor.name,
                "config_hash": prediction.extractor_hash,
            },
            "classes": prediction.classes,
        },
        "threshold": prediction.threshold.to_dict(),
        "summary": {
            "events": len(prediction.events),
            "abnormal_seconds": abnormal,
            "max_score": float(prediction.frame_scores.max(initial=0.0)),
        },
        "events": [event.to_dict() for event in prediction.events],
    }


def scores_csv(prediction: VideoPrediction) -> str:
    """The ``scores.csv`` text: ``frame,time_s,score[,p_<class>...]``, 6 decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    classes = prediction.classes if prediction.class_scores is not None else None
    writer.writerow(["frame", "time_s", "score", *(f"p_{name}" for name in classes or [])])
    fps = prediction.info.fps
    for frame, score in enumerate(prediction.frame_scores.tolist()):
        row = [frame, f"{frame / fps:.6f}", f"{score:.6f}"]
        if classes is not None and prediction.class_scores is not None:
            row += [f"{value:.6f}" for value in prediction.class_scores[frame].tolist()]
        writer.writerow(row)
    return buffer.getvalue()


def write_prediction(
    out_dir: str | Path, prediction: VideoPrediction, detector: Detector, settings: dict[str, Any]
) -> Path:
    """Write ``scores.npy``, ``scores.csv`` and ``events.json`` of one video into ``out_dir/<video>/``
    (atomically, each); returns that folder. ``settings`` is the event settings' ``to_dict``."""
    folder = Path(out_dir) / prediction.video
    folder.mkdir(parents=True, exist_ok=True)
    save_npy(folder / "scores.npy", np.asarray(prediction.frame_scores, dtype=np.float32))
    text = scores_csv(prediction)
    atomic_write(folder / "scores.csv", lambda handle: handle.write(text.encode("utf-8")))
    document = prediction_document(prediction, detector)
    document["event_settings"] = settings
    write_json(folder / "events.json", document)
    return folder


def read_prediction(path: str | Path) -> dict[str, Any]:
    """An ``events.json`` document, checked for its schema.

    Raises:
        ValidationError: not JSON, or another schema (naming the file and the schema found).
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValidationError(f"{path}: not a readable prediction file ({error})") from None
    found = document.get("schema") if isinstance(document, dict) else None
    if found != SCHEMA:
        raise ValidationError(f"{path}: schema {found!r}, expected {SCHEMA!r}")
    return document
