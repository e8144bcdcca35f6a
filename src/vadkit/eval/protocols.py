"""Named evaluation protocols: which metrics a benchmark reports and under which conventions.

A :class:`Protocol` carries every choice that changes the numbers: the metrics, the ground-truth builder
options, the snippet length used to expand snippet scores, frames dropped at the start of each video,
per-video score normalisation, the false-alarm threshold and video subset, and the macro-AUC padding rule.
Protocols are registered by name in :data:`PROTOCOLS`; :func:`get_protocol` returns one with overrides
applied.

Reference quirks are only reachable through a named ``compat`` mode (:data:`COMPAT_MODES`): ``"ano_pred"``
drops the first 4 frames of each video and min-max normalises scores per video, as
StevenLiuWen/ano_pred_cvpr2018 ``evaluate.py`` does. The defaults evaluate every frame of raw scores.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from vadkit.errors import ValidationError
from vadkit.eval.metrics import FarSubset, MacroPadding, far_metric_name
from vadkit.registry import Registry

DatasetName = Literal["ucf_crime", "xd_violence", "shanghaitech", "ped2", "avenue", "synthetic"]
DATASETS: tuple[str, ...] = ("ucf_crime", "xd_violence", "shanghaitech", "ped2", "avenue", "synthetic")

METRIC_KINDS: tuple[str, ...] = (
    "auc_micro",
    "auc_macro",
    "ap_sklearn",
    "ap_pr_trapz",
    "auc_abnormal_videos",
    "far",
    "eer",
)
"""Metrics a protocol can report; ``far`` is reported as ``far@<threshold>`` (e.g. ``far@0.5``)."""

COMPAT_MODES: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {"ano_pred": MappingProxyType({"drop_first_frames": 4, "normalize_per_video": True})}
)
"""Named reference behaviours, each a set of :class:`Protocol` field values."""


@dataclass(frozen=True)
class Protocol:
    """How one benchmark is evaluated.

    Attributes:
        name: registry name (``"ucf-crime"``…).
        dataset: ``ucf_crime``, ``xd_violence``, ``shanghaitech``, ``ped2``, ``avenue`` or ``synthetic``
            (vadkit's own clips).
        metrics: metric kinds reported, from :data:`METRIC_KINDS`, in report order.
        headline: the metric kind papers quote for this benchmark (one of ``metrics``).
        gt_options: options handed to the dataset's ground-truth builder (frame convention, length rule,
            annotation source), as strings. ``snippet_counts="scores"`` means: T of each video is the
            length of its snippet-score file (the reference procedure when frame counts are unknown).
        required_gt_options: builder options the user must give (e.g. the weak split's ``list_file``).
        snippet_length: frames per snippet when expanding snippet scores to frames.
        drop_first_frames: frames removed from the start of every video (labels and scores) before scoring.
        normalize_per_video: min-max normalise each video's frame scores to ``[0, 1]`` (a constant video
            becomes all 0) after dropping frames. Uses test-set statistics, so off unless a compat mode asks.
        far_threshold: score at or above which a frame counts as an alarm.
        far_subset: ``"normal_videos"`` (FAR over the frames of all-normal videos) or ``"all"``.
        macro_padding: ``"none"`` (single-class videos leave the macro AUC) or ``"sspcab"``.
        compat: the :data:`COMPAT_MODES` entry applied, if any.
        description: what the field reports under this protocol, in words.
    """

    name: str
    dataset: DatasetName
    metrics: tuple[str, ...]
    headline: str
    gt_options: Mapping[str, str] = field(default_factory=dict)
    required_gt_options: tuple[str, ...] = ()
    snippet_length: int = 16
    drop_first_frames: int = 0
    normalize_per_video: bool = False
    far_threshold: float = 0.5
    far_subset: FarSubset = "normal_videos"
    macro_padding: MacroPadding = "none"
    compat: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        owner = f"Protocol {self.name!r}"
        if self.dataset not in DATASETS:
            raise ValidationError(f"{owner}: unknown dataset {self.dataset!r} (known: {', '.join(DATASETS)})")
        metrics = tuple(self.metrics)
        unknown = [m for m in metrics if m not in METRIC_KINDS]
        if unknown or not metrics or len(set(metrics)) != len(metrics):
            raise ValidationError(
                f"{owner}: metrics must be distinct names from {', '.join(METRIC_KINDS)}, got {metrics}"
            )
        if self.headline not in metrics:
            raise ValidationError(f"{owner}: headline {self.headline!r} is not among its metrics {metrics}")
        if self.snippet_length < 1 or self.drop_first_frames < 0:
            raise ValidationError(
                f"{owner}: need snippet_length >= 1 and drop_first_frames >= 0, "
                f"got {self.snippet_length}, {self.drop_first_frames}"
            )
        if not math.isfinite(self.far_threshold):
            raise ValidationError(f"{owner}: far_threshold must be finite, got {self.far_threshold}")
        if self.far_subset not in ("normal_videos", "all"):
            raise ValidationError(
                f"{owner}: far_subset must be 'normal_videos' or 'all', got {self.far_subset!r}"
            )
        if self.macro_padding not in ("none", "sspcab"):
            raise ValidationError(
                f"{owner}: macro_padding must be 'none' or 'sspcab', got {self.macro_padding!r}"
            )
        if self.compat is not None and self.compat not in COMPAT_MODES:
            raise ValidationError(
                f"{owner}: unknown compat mode {self.compat!r} (known: {', '.join(COMPAT_MODES)})"
            )
        options = {str(k): str(v) for k, v in dict(self.gt_options).items()}
        object.__setattr__(self, "metrics", metrics)
        object.__setattr__(self, "required_gt_options", tuple(self.required_gt_options))
        object.__setattr__(self, "gt_options", MappingProxyType(options))

    def metric_name(self, kind: str) -> str:
        """Report name of a metric kind: ``far`` becomes ``far@<threshold>``, the others keep their name."""
        return far_metric_name(self.far_threshold) if kind == "far" else kind

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Report names of :attr:`metrics`, in order."""
        return tuple(self.metric_name(kind) for kind in self.metrics)

    @property
    def headline_name(self) -> str:
        """Report name of the headline metric."""
        return self.metric_name(self.headline)

    def ground_truth_options(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The ground-truth builder options: :attr:`gt_options` with ``overrides`` applied (they win).

        Raises:
            ValidationError: an option of :attr:`required_gt_options` is in neither, named.
        """
        options: dict[str, Any] = {**self.gt_options, **overrides}
        missing = [name for name in self.required_gt_options if name not in options]
        if missing:
            raise ValidationError(
                f"protocol {self.name} needs ground-truth option(s) {', '.join(missing)} "
                f"(--gt-option {missing[0]}=...)"
            )
        return options

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of every field."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["metrics"] = list(self.metrics)
        data["gt_options"] = dict(self.gt_options)
        data["required_gt_options"] = list(self.required_gt_options)
        return data


PROTOCOLS: Registry[Protocol] = Registry("protocol")
"""Registered protocols; ``PROTOCOLS.create(name, compat=..., **overrides)`` equals :func:`get_protocol`."""


def _configured(base: Protocol, *, compat: str | None = None, **overrides: Any) -> Protocol:
    """``base`` with a compat mode's values, then ``overrides``, applied."""
    changes: dict[str, Any] = {}
    if compat is not None:
        if compat not in COMPAT_MODES:
            raise ValidationError(
                f"Protocol {base.name!r}: unknown compat mode {compat!r} (known: {', '.join(COMPAT_MODES)})"
            )
        changes.update(COMPAT_MODES[compat], compat=compat)
    changes.update(overrides)
    known = {f.name for f in dataclasses.fields(Protocol)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValidationError(f"Protocol {base.name!r}: unknown setting(s) {', '.join(unknown)}")
    return dataclasses.replace(base, **changes)


def _register(protocol: Protocol) -> None:
    PROTOCOLS.register(protocol.name)(functools.partial(_configured, protocol))


def get_protocol(name: str, *, compat: str | None = None, **overrides: Any) -> Protocol:
    """The protocol registered as ``name``, with a compat mode and field overrides applied.

    >>> get_protocol("ped2", compat="ano_pred").drop_first_frames
    4
    >>> get_protocol("ucf-crime", far_threshold=0.3).metric_names[-2]
    'far@0.3'

    Raises:
        KeyError: unknown name (the message lists the known ones).
        ValidationError: unknown compat mode or field, or an invalid value.
    """
    return PROTOCOLS.create(name, compat=compat, **overrides)


def list_protocols() -> list[str]:
    """Names of the registered protocols, sorted."""
    return PROTOCOLS.names()


_ONE_CLASS_METRICS = ("auc_micro", "auc_macro", "eer")
_ONE_CLASS_DESCRIPTION = (
    "One-class (normal-only training) frame-level evaluation on the {what} test set. The field's 'AUC' is "
    "auc_micro: one ROC over the concatenated frames of all test videos. Some papers (SSMTL, SSPCAB and "
    "followers) report auc_macro, the mean of per-video AUCs, instead; the two are not comparable. "
    "Prediction-based methods after ano_pred (Liu et al. 2018) drop the first 4 frames of each video and "
    "min-max normalise scores per video (compat='ano_pred'). EER is ano_pred's fpr at min |fpr + tpr - 1|."
)

_BUILTIN_PROTOCOLS = (
    Protocol(
        name="ucf-crime",
        dataset="ucf_crime",
        metrics=("auc_micro", "ap_sklearn", "auc_abnormal_videos", "far", "auc_macro"),
        headline="auc_micro",
        gt_options={"convention": "rtfm", "length": "frames"},
        description=(
            "Weakly-supervised UCF-Crime (290 test videos, 140 abnormal). Papers report the frame-level ROC "
            "AUC over all test frames at once (auc_micro), with snippet scores repeated x16 (Sultani et al. "
            "2018, RTFM, UR-DMU, VadCLIP...). Some add the AUC over abnormal videos only "
            "(auc_abnormal_videos, 'AUC_A'), the false alarm rate at 0.5 on normal videos (far@0.5), or AP. "
            "Ground truth: RTFM's convention (annotated start as a 0-based index, inclusive end) on each "
            "video's real frames; RTFM itself evaluates on T*16 frames (--gt-option length=snippets "
            "--gt-option snippet_counts=scores reproduces that)."
        ),
    ),
    Protocol(
        name="xd-violence",
        dataset="xd_violence",
        metrics=("ap_pr_trapz", "ap_sklearn", "auc_micro", "far"),
        headline="ap_pr_trapz",
        gt_options={"convention": "xdviodet", "length": "frames"},
        description=(
            "XD-Violence (800 test videos, 500 violent). Papers report frame-level 'AP' over all test "
            "frames. XDVioDet, RTFM, UR-DMU and PEL4VAD integrate the precision-recall curve with the "
            "trapezoid rule (ap_pr_trapz); VadCLIP uses sklearn's average_precision_score (ap_sklearn). The "
            "two differ in the third or fourth digit; both are reported."
        ),
    ),
    Protocol(
        name="shanghaitech-weak",
        dataset="shanghaitech",
        metrics=("auc_micro", "far", "auc_abnormal_videos"),
        headline="auc_micro",
        gt_options={"length": "ceil16", "snippet_counts": "scores"},
        required_gt_options=("list_file",),
        description=(
            "Weakly-supervised ShanghaiTech (Zhong et al. 2019 split: 238 train / 199 test videos, 44 "
            "abnormal in test). Papers report auc_micro with snippet scores repeated x16; RTFM's gt-sh.npy "
            "pads each video's frame masks to ceil(n/16)*16 frames with its last label, and normal videos "
            "(no mask) get T*16 frames from the number of snippet scores: the defaults reproduce it. Needs "
            "the weak test list (--gt-option list_file=shanghai-i3d-test-10crop.list)."
        ),
    ),
    Protocol(
        name="shanghaitech",
        dataset="shanghaitech",
        metrics=_ONE_CLASS_METRICS,
        headline="auc_micro",
        description=_ONE_CLASS_DESCRIPTION.format(what="ShanghaiTech (107 videos)"),
    ),
    Protocol(
        name="ped2",
        dataset="ped2",
        metrics=_ONE_CLASS_METRICS,
        headline="auc_micro",
        description=_ONE_CLASS_DESCRIPTION.format(what="UCSD Ped2 (12 videos)")
        + " Frame GT comes from UCSDped2.m or ped2.mat, which disagree on 7 of 12 videos.",
    ),
    Protocol(
        name="avenue",
        dataset="avenue",
        metrics=_ONE_CLASS_METRICS,
        headline="auc_micro",
        description=_ONE_CLASS_DESCRIPTION.format(what="CUHK Avenue (21 videos)")
        + " Test videos 8 and 18 are entirely abnormal and have no per-video AUC without padding.",
    ),
    Protocol(
        name="synthetic",
        dataset="synthetic",
        metrics=("auc_micro", "ap_sklearn", "ap_pr_trapz", "auc_abnormal_videos", "auc_macro", "far"),
        headline="auc_micro",
        description=(
            "vadkit's synthetic benchmark (vadkit synth): frame-level metrics on the test split's real "
            "frames, reported like UCF-Crime (auc_micro headline) with both APs, the AUC over abnormal "
            "videos, the mean per-video AUC and the false alarm rate at 0.5 on normal videos."
        ),
    ),
)

for _builtin in _BUILTIN_PROTOCOLS:
    _register(_builtin)
