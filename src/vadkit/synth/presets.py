"""Dataset presets: how many scenes and videos of each split, how long the videos are.

``tiny`` is for unit tests (seconds to generate), ``small`` for ``vadkit demo`` (well under a minute on two
cores), ``standard`` about the size of the ShanghaiTech weakly-supervised split (238 training and 199 test
videos) for benchmarks. Any field can be overridden: ``resolve_preset("small", test_abnormal=16)``, or
``classes=("Running", "WrongWay")`` for a dataset of some classes only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from vadkit.errors import ValidationError
from vadkit.synth.anomalies import CLASS_NAMES

SPLITS: tuple[str, ...] = ("train", "val", "test", "fewshot")
"""Splits in generation order. ``fewshot`` is a small pool from the held-out scenes only."""


@dataclass(frozen=True)
class Preset:
    """Sizes of a generated dataset.

    Attributes:
        name: preset name.
        num_scenes: number of scenes (scene ``k`` uses layout ``(k - 1) % 4``).
        held_out_scenes: the last scenes, kept out of train and val (they appear in test and fewshot).
        train_normal, train_abnormal, val_normal, val_abnormal, test_normal, test_abnormal, fewshot_normal,
            fewshot_abnormal: video counts per split.
        min_length_s, max_length_s: video length range (uniform) in seconds; classes that need longer videos
            get their minimum (:attr:`~vadkit.synth.anomalies.AnomalyClass.min_length_s`), loitering videos
            and as many normal videos of the same split are 27-31 s long.
        second_event_prob: chance that a video of a repeatable class holds a second event (if it fits).
        crf: H.264 constant rate factor of the videos.
        classes: the anomaly classes dealt to abnormal videos (default: all eight, in card order).
    """

    name: str
    num_scenes: int
    held_out_scenes: int
    train_normal: int
    train_abnormal: int
    val_normal: int
    val_abnormal: int
    test_normal: int
    test_abnormal: int
    fewshot_normal: int
    fewshot_abnormal: int
    min_length_s: float
    max_length_s: float
    second_event_prob: float = 0.2
    crf: int = 23
    classes: tuple[str, ...] = CLASS_NAMES

    def __post_init__(self) -> None:
        counts = {split: self.counts(split) for split in SPLITS}
        problems = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in ("name", "classes"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{field.name} must be a number, got {value!r}")
        if problems:
            raise ValidationError(f"synth preset {self.name}: {'; '.join(problems)}")
        if any(n < 0 for pair in counts.values() for n in pair):
            problems.append("video counts must be >= 0")
        if sum(sum(pair) for pair in counts.values()) == 0:
            problems.append("no videos to generate")
        if self.num_scenes < 1 or not 0 <= self.held_out_scenes < self.num_scenes:
            problems.append(
                f"need num_scenes >= 1 and 0 <= held_out_scenes < num_scenes, got {self.num_scenes} and "
                f"{self.held_out_scenes}"
            )
        if sum(counts["fewshot"]) and self.held_out_scenes == 0:
            problems.append("the fewshot split needs held-out scenes")
        if not 2.0 <= self.min_length_s <= self.max_length_s <= 120.0:
            problems.append(
                f"need 2 <= min_length_s <= max_length_s <= 120, got {self.min_length_s}, {self.max_length_s}"
            )
        if not 0.0 <= self.second_event_prob <= 1.0:
            problems.append(f"second_event_prob must be in [0, 1], got {self.second_event_prob}")
        unknown = [name for name in self.classes if name not in CLASS_NAMES]
        if unknown or not self.classes or len(set(self.classes)) != len(self.classes):
            known, given = ", ".join(CLASS_NAMES), ", ".join(self.classes)
            problems.append(f"classes must be distinct names among {known}, got {given}")
        if not 0 <= self.crf <= 51:
            problems.append(f"crf must be in 0..51, got {self.crf}")
        if problems:
            raise ValidationError(f"synth preset {self.name}: {'; '.join(problems)}")

    def counts(self, split: str) -> tuple[int, int]:
        """``(normal, abnormal)`` video counts of ``split``."""
        return getattr(self, f"{split}_normal"), getattr(self, f"{split}_abnormal")

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (``classes`` as a list)."""
        return {**dataclasses.asdict(self), "classes": list(self.classes)}


PRESETS: dict[str, Preset] = {
    "tiny": Preset("tiny", 4, 1, 2, 2, 1, 1, 2, 8, 1, 1, 3.0, 4.0, second_event_prob=0.0),
    "small": Preset("small", 8, 2, 12, 12, 4, 4, 8, 8, 2, 2, 6.0, 10.0, second_event_prob=0.15),
    "standard": Preset("standard", 12, 2, 158, 80, 24, 16, 151, 48, 8, 8, 8.0, 30.0),
}
"""The named presets."""


def _coerce(name: str, value: object, like: object) -> object:
    """A command-line string turned into the type of the field's default ``like`` (a comma-separated list for
    ``classes``); other values pass unchanged (``classes`` as a tuple)."""
    if isinstance(like, tuple):
        items = value.split(",") if isinstance(value, str) else value
        return tuple(str(item).strip() for item in items)  # type: ignore[union-attr]
    if not isinstance(value, str) or isinstance(like, str):
        return value
    try:
        return int(value) if isinstance(like, int) else float(value)
    except ValueError:
        raise ValidationError(f"synth preset field {name} expects a number, got {value!r}") from None


def resolve_preset(preset: str | Preset, **overrides: object) -> Preset:
    """The preset ``preset`` (a name of :data:`PRESETS` or a :class:`Preset`) with ``overrides`` applied;
    string values (from the command line) are converted to the field's type.

    Raises:
        ValidationError: unknown preset or field, or values out of range.
    """
    if isinstance(preset, Preset):
        base = preset
    elif preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise ValidationError(f"unknown synth preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
    names = [field.name for field in dataclasses.fields(Preset) if field.name != "name"]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ValidationError(
            f"unknown synth preset field(s) {', '.join(unknown)}; fields: {', '.join(names)}"
        )
    values = {name: _coerce(name, value, getattr(base, name)) for name, value in overrides.items()}
    return dataclasses.replace(base, **values)
