"""Statistics of the ``motion`` features of normal videos: what "normal" is, dimension by dimension.

The weight-free evidence (:mod:`vadkit.explain.evidence`) measures how far an event's
:class:`~vadkit.features.motion.MotionExtractor` features lie from normal, in standard deviations:
``z = (x - center) / scale`` per dimension. :class:`NormalStatistics` holds ``center`` and ``scale``, fitted
on the snippets of normal training videos (:func:`fit_normal_statistics`), and the extractor configuration
they came from (name, config, config hash), so that features of another configuration are refused rather
than compared dimension by dimension with numbers that mean something else.

**Center and spread.** ``method="mean_std"`` (the default): the mean and the population standard deviation of
every dimension over all normal snippets, accumulated video by video (Chan's parallel update, in float64;
memory does not grow with the number of videos). ``method="median_mad"``: the median and the median absolute
deviation times 1.4826 (the standard deviation of a normal distribution); it needs every snippet in memory
(float32, ``snippets x D``). The default is the mean and standard deviation because most motion dimensions are
zero in most normal snippets and non-zero in a few (a car passing a cell now and then): the MAD of such a
dimension is 0, so every ordinary car would count as many deviations, while the standard deviation keeps
that rare-but-normal activity in the scale. Training videos are normal by definition, so the robustness of the
median buys little here.

**Floor.** ``scale = max(spread, floor)``, the floor depending on what the dimension measures
(:data:`DEFAULT_FLOORS`, by :class:`~vadkit.features.motion.FeatureDimension` kind, in the dimension's own
units). A cell that never moves in the normal videos has a spread of 0; without a floor, a change of one
flow pixel would be an infinite deviation. The floor is the smallest change that counts as one standard
deviation: 2% of a cell's pixels for the speed bins and the moving fraction, 2% of a cell moving at the
default motion threshold (0.005 frame widths per frame) for the speed-weighted direction sums, 0.01 of the
intensity scale (2.6 grey levels) for the mean and standard deviation of intensity, 1% of a cell's pixels for
edge density, half an object per pair for the object histograms and count, the motion threshold for the
fastest object's speed and the smallest size bin edge (0.05% of the frame) for the largest object's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from vadkit.errors import ValidationError
from vadkit.files import atomic_write
from vadkit.types import write_json

if TYPE_CHECKING:
    from vadkit.features.motion import MotionExtractor

Method = Literal["mean_std", "median_mad"]
"""How center and spread are estimated (see the module docstring)."""

METHODS: tuple[str, ...] = ("mean_std", "median_mad")

MAD_TO_STD = 1.4826
"""The MAD of a normal distribution times this is its standard deviation."""

DEFAULT_FLOORS: Mapping[str, float] = MappingProxyType(
    {
        "speed": 0.02,
        "direction": 1e-4,
        "moving": 0.02,
        "intensity": 0.01,
        "edges": 0.01,
        "object_speed": 0.5,
        "object_shape": 0.5,
        "objects.count": 0.5,
        "objects.speed.max": 0.005,
        "objects.size.max": 0.0005,
    }
)
"""The least scale per dimension kind, in the dimension's units (module docstring). The ``"objects"`` kind has
one entry per value (``objects.count``, ``objects.speed.max``, ``objects.size.max``): their units differ."""

EXTRACTOR = "motion"
"""The only extractor whose dimensions the evidence can name."""


def as_motion_extractor(extractor: MotionExtractor | Mapping[str, Any]) -> MotionExtractor:
    """``extractor`` itself, or the :class:`~vadkit.features.motion.MotionExtractor` built from its
    :meth:`~vadkit.features.motion.MotionExtractor.config` (as a ``vadkit extract`` record holds it).

    Raises:
        ValidationError: neither a motion extractor nor a valid motion configuration.
    """
    # Imported here: vadkit.features loads every extractor and the extraction runner, which the rest of
    # vadkit.explain does not need.
    from vadkit.features.motion import MotionExtractor

    if isinstance(extractor, MotionExtractor):
        return extractor
    if not isinstance(extractor, Mapping):
        raise ValidationError(
            f"expected a MotionExtractor or its config mapping, got {type(extractor).__name__}"
        )
    try:
        return MotionExtractor(**dict(extractor))
    except TypeError as exc:
        raise ValidationError(f"not a motion extractor config: {exc}") from exc


def dimension_floors(extractor: MotionExtractor, floors: Mapping[str, float] | None = None) -> np.ndarray:
    """``(D,)`` floor of every dimension of ``extractor``: :data:`DEFAULT_FLOORS`, updated by ``floors``.

    Raises:
        ValidationError: an unknown key, or a floor that is not a positive finite number.
    """
    table = dict(DEFAULT_FLOORS)
    for key, value in (floors or {}).items():
        if key not in table:
            raise ValidationError(f"normal statistics: unknown floor {key!r}; known: {', '.join(table)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < np.inf:
            raise ValidationError(
                f"normal statistics: floor {key!r} must be positive and finite, got {value!r}"
            )
        table[key] = float(value)
    result = np.empty(extractor.dim)
    for index in range(extractor.dim):
        dimension = extractor.describe_dimension(index)
        key = f"objects.{dimension.value}" if dimension.kind == "objects" else dimension.kind
        result[index] = table[key]
    return result


def feature_rows(array: np.ndarray, dim: int, name: str) -> np.ndarray:
    """The features of video ``name`` as ``(T, D)`` float64: ``(T, D)`` or one-crop ``(T, 1, D)`` accepted.

    Raises:
        ValidationError: another shape or D, non-numeric, NaN or inf.
    """
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValidationError(f"{name}: motion features have shape {array.shape}, expected (T, {dim})")
    if array.dtype.kind not in "biuf" or (array.dtype.kind == "f" and not np.isfinite(array).all()):
        raise ValidationError(f"{name}: motion features are non-numeric or hold NaN or inf")
    return array.astype(np.float64)


@dataclass(frozen=True, eq=False)
class NormalStatistics:
    """Per-dimension center and spread of the ``motion`` features of normal videos (module docstring).

    Attributes:
        config: the extractor's configuration (:meth:`~vadkit.features.motion.MotionExtractor.config`).
        config_hash: its :meth:`~vadkit.features.base.Extractor.config_hash`.
        method: ``"mean_std"`` or ``"median_mad"``.
        center: ``(D,)`` mean (or median) of every dimension.
        spread: ``(D,)`` standard deviation (or scaled MAD), before the floor.
        floor: ``(D,)`` least scale of every dimension.
        num_videos: normal videos fitted on.
        num_snippets: their snippets.
        extractor: the extractor's registry name (``"motion"``).
    """

    config: Mapping[str, Any]
    config_hash: str
    method: Method
    center: np.ndarray
    spread: np.ndarray
    floor: np.ndarray
    num_videos: int
    num_snippets: int
    extractor: str = EXTRACTOR
    scale: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.extractor != EXTRACTOR:
            raise ValidationError(f"normal statistics: only {EXTRACTOR!r} features, got {self.extractor!r}")
        if self.method not in METHODS:
            raise ValidationError(f"normal statistics: method must be one of {METHODS}, got {self.method!r}")
        arrays = {}
        for name in ("center", "spread", "floor"):
            array = np.array(getattr(self, name), dtype=np.float64)
            if array.ndim != 1 or not np.isfinite(array).all():
                raise ValidationError(f"normal statistics: {name} must be a finite 1-D array")
            array.setflags(write=False)
            arrays[name] = array
        if not arrays["center"].shape == arrays["spread"].shape == arrays["floor"].shape:
            raise ValidationError("normal statistics: center, spread and floor must have one length")
        if (arrays["spread"] < 0).any() or (arrays["floor"] <= 0).any():
            raise ValidationError("normal statistics: spread must be >= 0 and floor > 0")
        if self.num_videos < 1 or self.num_snippets < 1:
            raise ValidationError("normal statistics: need at least one video and one snippet")
        scale = np.maximum(arrays["spread"], arrays["floor"])
        scale.setflags(write=False)
        for name, array in (*arrays.items(), ("scale", scale)):
            object.__setattr__(self, name, array)
        object.__setattr__(self, "config", MappingProxyType(dict(self.config)))

    @property
    def dim(self) -> int:
        """D, the number of feature dimensions."""
        return int(self.center.size)

    def check_extractor(self, extractor: MotionExtractor | Mapping[str, Any]) -> MotionExtractor:
        """The extractor (built from a config if need be), after checking it is the one fitted on.

        Raises:
            ValidationError: another configuration (the message gives both hashes).
        """
        extractor = as_motion_extractor(extractor)
        if extractor.config_hash() != self.config_hash:
            raise ValidationError(
                f"normal statistics were fitted on motion features of config {self.config_hash}, but these "
                f"features come from config {extractor.config_hash()}; fit them on features of that config"
            )
        return extractor

    def zscores(self, features: np.ndarray, video: str = "features") -> np.ndarray:
        """Signed ``(x - center) / scale`` of ``(T, D)`` (or ``(T, 1, D)``) features, as ``(T, D)`` float64.

        Raises:
            ValidationError: another D, NaN or inf (naming ``video``).
        """
        rows = feature_rows(features, self.dim, video)
        return (rows - self.center) / self.scale

    def to_dict(self) -> dict[str, Any]:
        """The JSON part (everything but the arrays)."""
        return {
            "extractor": self.extractor,
            "config": dict(self.config),
            "config_hash": self.config_hash,
            "method": self.method,
            "dim": self.dim,
            "num_videos": self.num_videos,
            "num_snippets": self.num_snippets,
        }

    def save(self, stem: str | Path) -> tuple[Path, Path]:
        """Write ``<stem>.npz`` (center, spread, floor; no pickles) and ``<stem>.json``, each atomically.

        Returns:
            The two paths.
        """
        stem = Path(stem)
        arrays_path, json_path = stem.with_name(stem.name + ".npz"), stem.with_name(stem.name + ".json")
        atomic_write(
            arrays_path,
            lambda handle: np.savez(handle, center=self.center, spread=self.spread, floor=self.floor),
        )
        write_json(json_path, self.to_dict())
        return arrays_path, json_path

    @classmethod
    def load(cls, stem: str | Path) -> NormalStatistics:
        """Read what :meth:`save` wrote under ``stem`` (with or without the ``.npz``/``.json`` suffix).

        Raises:
            ValidationError: the arrays disagree with the recorded D or the recorded hash with the config.
        """
        stem = Path(stem)
        if stem.suffix in (".npz", ".json"):
            stem = stem.with_suffix("")
        meta = json.loads(stem.with_name(stem.name + ".json").read_text(encoding="utf-8"))
        with np.load(stem.with_name(stem.name + ".npz"), allow_pickle=False) as arrays:
            center, spread, floor = (np.array(arrays[key]) for key in ("center", "spread", "floor"))
        statistics = cls(
            config=meta["config"],
            config_hash=meta["config_hash"],
            method=meta["method"],
            center=center,
            spread=spread,
            floor=floor,
            num_videos=int(meta["num_videos"]),
            num_snippets=int(meta["num_snippets"]),
            extractor=meta["extractor"],
        )
        if statistics.dim != int(meta["dim"]):
            raise ValidationError(f"{stem}: arrays have D={statistics.dim}, the record says {meta['dim']}")
        statistics.check_extractor(statistics.config)
        return statistics


def fit_normal_statistics(
    features: Iterable[np.ndarray],
    extractor_config: MotionExtractor | Mapping[str, Any],
    *,
    method: Method = "mean_std",
    floors: Mapping[str, float] | None = None,
) -> NormalStatistics:
    """Fit :class:`NormalStatistics` on the motion features of normal videos.

    Args:
        features: one ``(T, D)`` array per normal video (``(T, 1, D)``, as
            :meth:`~vadkit.data.feature_sets.FeatureSet.load` gives, is accepted), from ``extractor_config``.
        extractor_config: the :class:`~vadkit.features.motion.MotionExtractor` that made them, or its config
            (e.g. the ``config`` of a ``vadkit extract`` record).
        method: ``"mean_std"`` (default) or ``"median_mad"`` (module docstring).
        floors: overrides of :data:`DEFAULT_FLOORS`, by key.

    Raises:
        ValidationError: no snippet at all, a video of another D, NaN/inf, an unknown method or floor.
    """
    extractor = as_motion_extractor(extractor_config)
    if method not in METHODS:
        raise ValidationError(f"normal statistics: method must be one of {METHODS}, got {method!r}")
    dim = extractor.dim
    count, mean, m2 = 0, np.zeros(dim), np.zeros(dim)
    kept: list[np.ndarray] = []
    videos = 0
    for index, array in enumerate(features):
        rows = feature_rows(array, dim, f"normal video {index}")
        videos += 1
        if not len(rows):
            continue
        if method == "median_mad":
            kept.append(rows.astype(np.float32))
        # Chan et al.'s update: merge this video's mean and sum of squared deviations into the running ones.
        size, video_mean = len(rows), rows.mean(axis=0)
        delta = video_mean - mean
        total = count + size
        m2 += ((rows - video_mean) ** 2).sum(axis=0) + delta**2 * count * size / total
        mean += delta * size / total
        count = total
    if count == 0:
        raise ValidationError(f"normal statistics: no snippets to fit on ({videos} videos)")
    if method == "median_mad":
        stacked = np.concatenate(kept)
        center = np.median(stacked, axis=0).astype(np.float64)
        spread = MAD_TO_STD * np.median(np.abs(stacked - center), axis=0)
    else:
        center, spread = mean, np.sqrt(m2 / count)
    return NormalStatistics(
        config=extractor.config(),
        config_hash=extractor.config_hash(),
        method=method,
        center=center,
        spread=spread,
        floor=dimension_floors(extractor, floors),
        num_videos=videos,
        num_snippets=count,
    )
