"""``map@iou`` of a folder of class-wise score files against a benchmark's fine-grained ground truth.

What ``vadkit eval --class-scores DIR --protocol NAME --gt PATH`` runs: one ``<video>.npy`` of shape
``(T, C)`` per test video (names normalised as for ``--scores``), one column per class in the dataset's
VadCLIP order (:data:`~vadkit.data.UCF_CLASSES`; XD-Violence ``A B1 B2 B4 B5 B6 G``) unless
``classes=a,b,…`` says otherwise. The ground truth is either VadCLIP's ``gt_segment*.npy`` (with the
options ``labels=<gt_label*.npy>`` and ``list_file=<test csv>``) or any annotation the protocol's dataset
builder reads (UCF-Crime's temporal annotation, XD-Violence's ``annotations_multiclasses.txt``, the synthetic
benchmark).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from vadkit.data import UCF_CLASSES, XD_CLASS_NAMES, build_ground_truth, read_vadclip_segments, video_name
from vadkit.errors import ValidationError
from vadkit.eval.detection_map import DetectionCompat, DetectionMAP, events_from_ground_truth, map_at_iou
from vadkit.eval.protocols import get_protocol
from vadkit.types import EventInterval, write_json

DATASET_CLASSES: dict[str, tuple[str, ...]] = {"ucf_crime": UCF_CLASSES, "xd_violence": tuple(XD_CLASS_NAMES)}
"""Score columns per dataset, in VadCLIP's order (the normal class first)."""


def _class_events(
    dataset: str, gt_source: Path, options: dict[str, str]
) -> dict[str, tuple[EventInterval, ...]]:
    if gt_source.suffix.lower() != ".npy":
        return events_from_ground_truth(build_ground_truth(dataset, gt_source, **options))
    missing = [name for name in ("labels", "list_file") if name not in options]
    if missing:
        raise ValidationError(
            f"{gt_source}: VadCLIP segments need --gt-option {'=… --gt-option '.join(missing)}=…"
        )
    return read_vadclip_segments(gt_source, options["labels"], options["list_file"])


def evaluate_class_score_dir(
    protocol: str,
    scores_dir: str | Path,
    gt_source: str | Path,
    *,
    gt_options: Mapping[str, str] | None = None,
    compat: DetectionCompat | None = None,
    frames_per_score: int = 16,
    out_dir: str | Path | None = None,
) -> tuple[DetectionMAP, Path | None]:
    """:func:`~vadkit.eval.map_at_iou` of ``<video>.npy`` class scores; writes ``out_dir/metrics.json``.

    Args:
        protocol: a registered protocol; its dataset builds the ground truth and names the classes.
        scores_dir: folder of ``(T, C)`` score files.
        gt_source: ``gt_segment*.npy`` or the dataset's annotation.
        gt_options: ``classes=a,b,…``; ``labels=…`` and ``list_file=…`` for VadCLIP segments; otherwise the
            builder's options (the protocol's defaults are not applied: events need no frame counts).
        compat: ``None`` or ``"vadclip"``.
        frames_per_score: frames per score row (16 for snippet scores).
        out_dir: where ``metrics.json`` goes; ``None`` writes nothing.

    Raises:
        ValidationError: no classes known for the dataset, missing options, unreadable or pickled score
            files, or any error of :func:`~vadkit.eval.map_at_iou`.
    """
    dataset = get_protocol(protocol).dataset
    options = dict(gt_options or {})
    classes = (
        tuple(options.pop("classes").split(",")) if "classes" in options else DATASET_CLASSES.get(dataset)
    )
    if classes is None:
        raise ValidationError(f"{protocol}: name the score columns with --gt-option classes=a,b,…")
    events = _class_events(dataset, Path(gt_source), options)
    files = sorted(Path(scores_dir).glob("*.npy"))
    if not files:
        raise ValidationError(f"{scores_dir}: no <video>.npy class-score files")
    try:
        scores = {video_name(file.name): np.load(file, allow_pickle=False) for file in files}
    except ValueError as error:
        raise ValidationError(f"{scores_dir}: cannot read class scores ({error})") from None
    result = map_at_iou(scores, events, classes, frames_per_score=frames_per_score, compat=compat)
    metrics_path = None
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        metrics_path = Path(out_dir) / "metrics.json"
        settings = {"protocol": protocol, "gt_path": str(gt_source), "scores_dir": str(scores_dir)}
        write_json(metrics_path, {**result.to_dict(), "frames_per_score": frames_per_score, **settings})
    return result, metrics_path
