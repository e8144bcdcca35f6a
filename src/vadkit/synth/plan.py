"""The dataset plan: every video's split, class, scene, length and name, drawn from the master seed.

Abnormal videos of a split cycle through the classes (each round in a new random order), so classes are
balanced; scenes are dealt the same way among the split's eligible scenes (train and val: the scenes not held
out; test: all; fewshot: the held-out ones). Each split's videos are shuffled before they are named, so a
name (``<scene>_<number>``, numbered per scene from 0001 in plan order) says nothing about the class.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from vadkit.errors import ValidationError
from vadkit.synth.anomalies import (
    ANOMALY_CLASSES,
    LOITERING_LENGTH_S,
    NORMAL_LABEL,
    anomaly_class,
)
from vadkit.synth.presets import SPLITS, Preset
from vadkit.synth.rules import FPS
from vadkit.synth.scenes import Scene


@dataclass(frozen=True)
class VideoPlan:
    """One video to generate; ``index`` (its position in the plan) seeds its randomness."""

    index: int
    name: str
    split: str
    label: str
    scene_id: str
    num_frames: int
    second_event: bool


def _dealt(rng: np.random.Generator, items: list[str], count: int) -> list[str]:
    """``count`` items: rounds through ``items``, each round in a fresh random order."""
    dealt: list[str] = []
    while len(dealt) < count:
        dealt.extend(items[i] for i in rng.permutation(len(items)))
    return dealt[:count]


def _length(rng: np.random.Generator, preset: Preset, label: str, long: bool) -> int:
    if label == "Loitering" or long:
        seconds = float(rng.uniform(*LOITERING_LENGTH_S))
    else:
        seconds = float(rng.uniform(preset.min_length_s, preset.max_length_s))
        if label != NORMAL_LABEL:
            seconds = max(seconds, anomaly_class(label).min_length_s)
    return round(seconds * FPS)


def plan_videos(preset: Preset, scenes: tuple[Scene, ...], seed: int) -> tuple[VideoPlan, ...]:
    """Every video of the dataset, split by split (:data:`~vadkit.synth.presets.SPLITS` order)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    eligible = {
        "train": [s.scene_id for s in scenes if not s.held_out],
        "val": [s.scene_id for s in scenes if not s.held_out],
        "test": [s.scene_id for s in scenes],
        "fewshot": [s.scene_id for s in scenes if s.held_out],
    }
    repeatable = {anomaly.name for anomaly in ANOMALY_CLASSES if anomaly.repeatable}
    numbers: Counter[str] = Counter()
    plans: list[VideoPlan] = []
    for split in SPLITS:
        normal, abnormal = preset.counts(split)
        if normal + abnormal == 0:
            continue
        if not eligible[split]:
            raise ValidationError(f"synth preset {preset.name}: no scene is eligible for the {split} split")
        labels = _dealt(rng, list(preset.classes), abnormal) + [NORMAL_LABEL] * normal
        long_normals = min(labels.count("Loitering"), normal)
        lengths = [
            _length(rng, preset, label, abnormal <= i < abnormal + long_normals)
            for i, label in enumerate(labels)
        ]
        order = rng.permutation(len(labels))
        scene_ids = _dealt(rng, eligible[split], len(labels))
        for k, i in enumerate(order):
            label, scene_id = labels[i], scene_ids[k]
            numbers[scene_id] += 1
            second = label in repeatable and bool(rng.random() < preset.second_event_prob)
            name = f"{scene_id}_{numbers[scene_id]:04d}"
            plans.append(VideoPlan(len(plans), name, split, label, scene_id, lengths[i], second))
    return tuple(plans)
