"""Writing a generated dataset in the public layouts described in :mod:`vadkit.data.synthetic`.

Per video (in the worker that renders it): the H.264 ``.mp4``, and for val/test/fewshot videos the frame
mask and, when abnormal, the AED track file. For the dataset (once, from all videos' records): the split
lists, the temporal annotations, ``descriptions.json`` and ``metadata.json``. JSON is written with sorted
keys; lists and annotations are sorted (abnormal videos by class then name, then normal videos by name).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vadkit.data import synthetic as layout
from vadkit.io import write_video
from vadkit.synth import rules
from vadkit.synth.anomalies import ANOMALY_CLASSES, CLASS_NAMES, NORMAL_LABEL
from vadkit.synth.manifest import SyntheticManifest, VideoRecord
from vadkit.synth.presets import SPLITS
from vadkit.synth.render import render_frames
from vadkit.synth.truth import VideoTruth
from vadkit.synth.world import World

GENERATOR = "vadkit.synth"
GENERATOR_VERSION = 1
"""Bumped whenever the same preset and seed would produce different files."""

OWNED = (
    layout.CARD,
    layout.METADATA,
    layout.DESCRIPTIONS,
    layout.MASK_FOLDER,
    layout.TRACK_FOLDER,
    layout.VIDEO_FOLDER,
    *(layout.split_list_path("", split).name for split in SPLITS),
    *(layout.annotation_path("", split).name for split in layout.ANNOTATED_SPLITS),
)
"""Every file and folder name a generation writes at the top of its folder."""

ENCODER_OPTIONS = {"preset": "veryfast"}
"""x264 options of the videos (with the preset's ``crf``): ``veryfast`` encodes these noisy frames about four
times faster than x264's default at the same size."""


def write_json(path: Path, payload: Any) -> None:
    """``payload`` as UTF-8 JSON with sorted keys and a final newline."""
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def remove_owned(root: Path) -> None:
    """Delete what a previous generation wrote in ``root`` (only the names in :data:`OWNED`)."""
    for name in OWNED:
        target = root / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def write_video_files(root: Path, world: World, truth: VideoTruth, split: str, label: str, crf: int) -> None:
    """The video's ``.mp4`` and, outside the training split, its frame mask and (abnormal videos) track
    file."""
    video = root / layout.VIDEO_FOLDER / label / f"{world.name}.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    write_video(video, render_frames(world), rules.FPS, crf=crf, options=ENCODER_OPTIONS)
    if split not in layout.ANNOTATED_SPLITS:
        return
    masks = root / layout.MASK_FOLDER
    masks.mkdir(exist_ok=True)
    with (masks / f"{world.name}.npy").open("wb") as handle:
        np.save(handle, truth.labels, allow_pickle=False)
    if truth.events:
        tracks = root / layout.TRACK_FOLDER
        tracks.mkdir(exist_ok=True)
        rows = "".join(",".join(str(int(value)) for value in row) + "\n" for row in truth.boxes)
        (tracks / f"{world.name}.txt").write_text(rows, encoding="utf-8")


def list_order(videos: Iterable[VideoRecord]) -> list[VideoRecord]:
    """Abnormal videos by class (card order) then name, then normal videos by name."""
    rank = {name: i for i, name in enumerate((*CLASS_NAMES, NORMAL_LABEL))}
    return sorted(videos, key=lambda video: (rank[video.label], video.name))


def annotation_line(video: VideoRecord) -> str:
    """``<Class>/<name>.mp4 <n> <Class> s1 e1 s2 e2`` (0-based start, exclusive end; ``-1 -1`` when
    absent)."""
    spans = [value for event in video.events for value in (event.start, event.end)]
    spans += [-1] * (4 - len(spans))
    return " ".join([video.entry, str(video.num_frames), video.label, *map(str, spans)])


def _split_files(root: Path, videos: Sequence[VideoRecord]) -> None:
    for split in SPLITS:
        members = list_order(video for video in videos if video.split == split)
        if not members:
            continue
        layout.split_list_path(root, split).write_text(
            "".join(f"{v.entry}\n" for v in members), encoding="utf-8"
        )
        if split in layout.ANNOTATED_SPLITS:
            lines = "".join(f"{annotation_line(v)}\n" for v in members)
            layout.annotation_path(root, split).write_text(lines, encoding="utf-8")


def _descriptions(videos: Sequence[VideoRecord]) -> dict[str, Any]:
    return {
        video.name: {
            "label": video.label,
            "split": video.split,
            "scene": video.scene_id,
            "num_frames": video.num_frames,
            "events": [
                {
                    "class": event.label,
                    "start": event.start,
                    "end": event.end,
                    "start_s": round(event.start / rules.FPS, 3),
                    "end_s": round(event.end / rules.FPS, 3),
                    "track_ids": list(event.track_ids),
                    "description": event.description,
                }
                for event in video.events
            ],
        }
        for video in videos
        if video.split in layout.ANNOTATED_SPLITS
    }


def metadata(manifest: SyntheticManifest) -> dict[str, Any]:
    """The content of ``metadata.json``."""
    return {
        "generator": GENERATOR,
        "generator_version": GENERATOR_VERSION,
        "preset": manifest.preset.to_dict(),
        "seed": manifest.seed,
        "fps": rules.FPS,
        "width": rules.WIDTH,
        "height": rules.HEIGHT,
        "frame_convention": "0-based frame indices; annotation intervals s e are [s, e): 0-based start, "
        "exclusive end; -1 -1 = no event; boxes are inclusive pixel coordinates clipped to the frame",
        "classes": [NORMAL_LABEL, *CLASS_NAMES],
        "class_rules": {anomaly.name: anomaly.rule for anomaly in ANOMALY_CLASSES},
        "world": {
            "normal_dwell_max_s": rules.NORMAL_DWELL_MAX_S,
            "unattended_radius_px": rules.UNATTENDED_RADIUS,
            "unattended_s": rules.UNATTENDED_S,
            "jaywalk_min_distance_px": rules.JAYWALK_MIN_DISTANCE,
            "walk_speed_px_per_frame": list(rules.WALK_SPEED),
            "run_factor": list(rules.RUN_FACTOR),
            "vehicle_speed_px_per_frame": list(rules.VEHICLE_SPEED),
        },
        "scenes": {
            scene.scene_id: {"layout": scene.layout.name, "held_out": scene.held_out}
            for scene in manifest.scenes
        },
        "held_out_scenes": [scene.scene_id for scene in manifest.scenes if scene.held_out],
        "videos": {
            video.name: {
                "split": video.split,
                "label": video.label,
                "scene": video.scene_id,
                "num_frames": video.num_frames,
                "path": f"{layout.VIDEO_FOLDER}/{video.entry}",
            }
            for video in manifest.videos
        },
    }


def write_index(manifest: SyntheticManifest) -> None:
    """Split lists, temporal annotations, ``descriptions.json`` and ``metadata.json``."""
    _split_files(manifest.root, manifest.videos)
    write_json(manifest.root / layout.DESCRIPTIONS, _descriptions(manifest.videos))
    write_json(manifest.root / layout.METADATA, metadata(manifest))
