"""vadkit's own synthetic benchmark (written by ``vadkit synth``), read like a real one.

On-disk layout of a generated dataset ``<root>``::

    README.md                               dataset card: classes, counts, how it was generated
    metadata.json                           generator version, preset, seed, scenes (held out or not), and per
                                            video its split, class, scene and frame count
    descriptions.json                       per val/test/fewshot video: its events (class, start, end, track
                                            ids, one text description each)
    Anomaly_Train.txt                       split lists, one ``<Class>/<name>.mp4`` per line (UCF-Crime style;
    Anomaly_Val.txt                         abnormal videos first, by class then name, then ``Normal/...``);
    Anomaly_Test.txt                        the class folder is the video-level label, all the training
    Anomaly_FewShot.txt                     split reveals
    Temporal_Anomaly_Annotation_Val.txt     UR-DMU-style temporal annotation with frame counts, per split:
    Temporal_Anomaly_Annotation_Test.txt    ``<Class>/<name>.mp4 <n_frames> <Class> s1 e1 s2 e2`` with
    Temporal_Anomaly_Annotation_FewShot.txt 0-based start and exclusive end, ``-1 -1`` for no event
    test_frame_mask/<name>.npy              uint8 0/1 per frame (ShanghaiTech style), val/test/fewshot videos
    tracks/<name>.txt                       AED region tracks of the abnormal val/test/fewshot videos: rows
                                            ``track_id,frame_idx,x_min,y_min,x_max,y_max`` (0-based frames,
                                            inclusive pixel boxes clipped to the frame, rows by track then
                                            frame)
    videos/<Class>/<name>.mp4               H.264, 256x192, 15 fps (``Normal/`` for normal videos)

Names are ``<scene>_<number>`` (``01_0014``) and unique across splits. The training split carries video-level
labels only (weak supervision); val, test and fewshot carry the full ground truth. Scenes held out of
train/val appear only in test and fewshot (``metadata.json`` says which).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vadkit.data.conventions import IntervalConvention
from vadkit.data.counts import CountSource, CountTable
from vadkit.data.framing import Framing, build_from_intervals
from vadkit.data.lists import read_lines, video_name
from vadkit.data.ucf_crime import read_ucf_crime_annotation
from vadkit.errors import AnnotationError, ValidationError
from vadkit.types import GroundTruth

SPLIT_SUFFIXES: dict[str, str] = {"train": "Train", "val": "Val", "test": "Test", "fewshot": "FewShot"}
"""Split name -> the suffix of its list and annotation files."""

ANNOTATED_SPLITS: tuple[str, ...] = ("val", "test", "fewshot")
"""Splits with frame-level ground truth (the training split has video-level labels only)."""

CONVENTION = IntervalConvention(0, False, "synthetic")
"""How the temporal annotation writes an event: 0-based start, exclusive end."""

NORMAL = "Normal"
METADATA = "metadata.json"
DESCRIPTIONS = "descriptions.json"
CARD = "README.md"
MASK_FOLDER = "test_frame_mask"
TRACK_FOLDER = "tracks"
VIDEO_FOLDER = "videos"


def _suffix(split: str) -> str:
    if split not in SPLIT_SUFFIXES:
        raise ValidationError(f"unknown synthetic split {split!r}; use one of {', '.join(SPLIT_SUFFIXES)}")
    return SPLIT_SUFFIXES[split]


def split_list_path(root: str | Path, split: str) -> Path:
    """``<root>/Anomaly_<Split>.txt``."""
    return Path(root) / f"Anomaly_{_suffix(split)}.txt"


def annotation_path(root: str | Path, split: str) -> Path:
    """``<root>/Temporal_Anomaly_Annotation_<Split>.txt`` (val, test, fewshot)."""
    return Path(root) / f"Temporal_Anomaly_Annotation_{_suffix(split)}.txt"


@dataclass(frozen=True)
class SyntheticVideo:
    """A video of a split list: its name, file, class (``"Normal"`` for normal videos), scene, frame count."""

    name: str
    path: Path
    label: str
    scene: str
    num_frames: int
    split: str

    @property
    def abnormal(self) -> bool:
        """Whether the video holds an anomaly (its video-level label)."""
        return self.label != NORMAL


def read_metadata(root: str | Path) -> dict[str, Any]:
    """``<root>/metadata.json`` as a dict; :class:`AnnotationError` if missing or malformed."""
    path = Path(root) / METADATA
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnnotationError(path, "not found: is this a dataset written by `vadkit synth`?") from None
    except json.JSONDecodeError as error:
        raise AnnotationError(path, f"invalid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("videos"), dict):
        raise AnnotationError(path, "expected an object with a 'videos' mapping")
    return data


def read_synthetic_split(root: str | Path, split: str = "train") -> list[SyntheticVideo]:
    """The videos of ``split`` in list order, with their video-level labels (what weak supervision may use).

    Raises:
        ValidationError: an unknown split.
        AnnotationError: a missing or malformed list or metadata, a list entry without a class
            folder, or a video whose class, split or presence disagrees with ``metadata.json``.
    """
    root = Path(root)
    path = split_list_path(root, split)
    videos = read_metadata(root)["videos"]
    result = []
    for line in read_lines(path):
        entry = line.text.strip().replace("\\", "/")
        label, _, file = entry.partition("/")
        if not file:
            raise AnnotationError(path, f"line {line.number}: expected '<Class>/<name>.mp4', got {entry!r}")
        name = video_name(file)
        info = videos.get(name)
        if info is None:
            raise AnnotationError(path, f"line {line.number}: {name} is not in {METADATA}")
        if info.get("label") != label or info.get("split") != split:
            raise AnnotationError(
                path,
                f"line {line.number}: {name} is {label}/{split} here but {info.get('label')}/"
                f"{info.get('split')} in {METADATA}",
            )
        result.append(
            SyntheticVideo(
                name, root / VIDEO_FOLDER / entry, label, str(info["scene"]), int(info["num_frames"]), split
            )
        )
    return result


def read_track_file(path: str | Path) -> np.ndarray:
    """An AED region-track file as a ``(K, 6)`` int64 array of rows ``track_id, frame, x_min, y_min, x_max,
    y_max`` (an empty file gives ``(0, 6)``).

    Raises:
        AnnotationError: missing file, or a line that is not six comma-separated integers.
    """
    rows = []
    for line in read_lines(path):
        fields = [field.strip() for field in line.text.split(",")]
        if len(fields) != 6 or not all(field.lstrip("-").isdigit() for field in fields):
            expected = "track_id,frame_idx,x_min,y_min,x_max,y_max"
            raise AnnotationError(path, f"line {line.number}: expected '{expected}', got {line.text!r}")
        rows.append([int(field) for field in fields])
    return np.array(rows, dtype=np.int64).reshape(-1, 6)


def build_synthetic_gt(
    source: str | Path,
    *,
    split: str = "test",
    convention: str | IntervalConvention = CONVENTION,
    length: str = "frames",
    snippet_counts: CountSource | CountTable | None = None,
    snippet_length: int | str = 16,
) -> dict[str, GroundTruth]:
    """Frame-level ground truth of a split of a synthetic dataset, with classes and boxes.

    Args:
        source: the dataset folder (``<root>``).
        split: ``"val"``, ``"test"`` or ``"fewshot"``.
        convention: how the annotation's ``s e`` map to frames; the files are written 0-based with an
            exclusive end, which the default reads.
        length: ``"frames"`` (n, default), ``"ceil16"``, ``"snippets"`` (T*16, needs ``snippet_counts``) or
            ``"xdviodet"`` (see :mod:`vadkit.data.conventions`).
        snippet_counts: T per video (mapping or JSON file), for ``length="snippets"``.
        snippet_length: frames per snippet (16).

    Returns:
        ``{video: GroundTruth}`` in list order; ``label`` is the class (``"Normal"`` for normal videos),
        events carry the class, ``boxes`` holds the track file's rows (``(0, 6)`` for normal videos) whose
        frame lies within the labels.

    Raises:
        ValidationError: an unknown split, or the training split (it has video-level labels only).
        AnnotationError: a missing or malformed file, a listed
            video that is not annotated, or frame counts that disagree between the annotation and
            ``metadata.json``.
    """
    root = Path(source)
    if split == "train":
        raise ValidationError(
            f"{root}: the train split has video-level labels only (weak supervision); "
            "use read_synthetic_split for them"
        )
    annotation = annotation_path(root, split)
    annotations = read_ucf_crime_annotation(annotation)
    videos = read_synthetic_split(root, split)
    ordered = {}
    for video in videos:
        annotated = annotations.get(video.name)
        if annotated is None:
            raise AnnotationError(annotation, f"{video.name} is listed for {split} but not annotated")
        if annotated.num_frames != video.num_frames:
            raise AnnotationError(
                annotation,
                f"{video.name}: {annotated.num_frames} frames here, {video.num_frames} in {METADATA}",
            )
        ordered[video.name] = annotated
    framing = Framing.create(
        annotation,
        convention=convention,
        length=length,
        snippet_length=snippet_length,
        frame_counts=None,
        snippet_counts=snippet_counts,
    )
    gts = build_from_intervals(
        framing,
        ordered,
        dataset="synthetic",
        list_file=None,
        check_counts=False,
        normal_label=lambda name: NORMAL,
    )
    result = {}
    for video in videos:
        gt = gts[video.name]
        track_file = root / TRACK_FOLDER / f"{video.name}.txt"
        if video.abnormal:
            boxes = read_track_file(track_file)
            boxes = boxes[boxes[:, 1] < gt.num_frames]
        else:
            boxes = np.zeros((0, 6), dtype=np.int64)
        result[video.name] = dataclasses.replace(gt, boxes=boxes)
    return result
