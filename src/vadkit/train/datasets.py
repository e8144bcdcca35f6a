"""Where an experiment's data comes from: a dataset spec, turned into training features, test features and
test ground truth.

Datasets (:data:`DATASETS`; each has the evaluation protocol of the same name):

* ``synthetic``: a ``vadkit synth`` folder (``data_root``) and its ``vadkit extract`` features
  (``feature_dir``), read by :func:`~vadkit.data.feature_sets.synthetic_feature_set`; ground truth of its
  ``test`` split.
* ``ucf-crime``, ``xd-violence``, ``shanghaitech-weak``: a public feature release as researchers have it:
  the release's ``train_list`` and ``test_list`` (any path prefix, ``\\`` or ``/``, CRLF), the folder holding
  the feature files here (``feature_root``; ``test_feature_root`` when the test files are elsewhere; each
  row's last ``keep_parts`` path parts are kept under it, the reader's default when ``None``) and the
  annotation ``gt`` (UCF-Crime or XD-Violence annotation file, ShanghaiTech ``test_frame_mask`` folder).

Layouts of a public release (:data:`LAYOUTS`), inferred from the training list when ``layout`` is ``None``
(:func:`infer_layout`):

* ``rtfm``: one ``(T, 10, 2048)`` ``<video>_i3d.npy`` per video (:func:`~vadkit.data.read_rtfm_list`);
* ``per-crop``: one ``(T, D)`` ``<video>__<k>.npy`` per crop, consecutive rows (DeepMIL/UR-DMU, XDVioDet),
  with the VGGish lists ``train_audio_list`` / ``test_audio_list`` for XD-Violence
  (:func:`~vadkit.data.read_per_crop_list`);
* ``vadclip``: VadCLIP's ``path,label`` CSV lists (:func:`~vadkit.data.read_vadclip_csv`).

Sultani's C3D release is not a layout here: its 32 segments per video cannot be expanded to frames by the
snippet rule the protocols use.

Labels come from the names (UCF-Crime ``Normal``, XD-Violence ``_label_A``) and, for ShanghaiTech, from the
masks of ``gt`` (a video is abnormal iff it has a mask with a 1). Classes, for class-aware methods: each
video's class name as its layout gives it, and the dataset's class list (:meth:`DatasetSpec.class_list`,
:mod:`vadkit.train.classes`). ``check_counts`` compares the lists with
the public split sizes (turn it off for subsets).

**Ground truth** is :func:`~vadkit.data.build_ground_truth` of the dataset from ``gt`` with the options, in
increasing precedence: the protocol's ``gt_options``; ``list_file=test_list`` and ``check_counts`` (public
releases) or ``split="test"`` (synthetic); the spec's ``gt_options``. ``snippet_counts="scores"`` means what
it means to ``vadkit eval``: T of each video is the length of its snippet scores, i.e. its number of feature
rows. Every test video's T is then checked against the frame count of its ground truth
(:func:`~vadkit.data.check_lengths_against_gt`): a :class:`~vadkit.errors.LengthMismatchError` names each
video whose T is neither ``floor`` nor ``ceil`` of its frames / 16.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vadkit.data import (
    FeatureSet,
    build_ground_truth,
    check_lengths_against_gt,
    read_per_crop_list,
    read_rtfm_list,
    read_vadclip_csv,
    synthetic_feature_set,
)
from vadkit.data.feature_sets.list_rows import crop_index, read_video_rows
from vadkit.data.synthetic import METADATA, read_metadata
from vadkit.data.ucf_crime import UCF_CLASSES
from vadkit.data.xd_violence import XD_CLASS_NAMES
from vadkit.errors import AnnotationError, ValidationError
from vadkit.eval import Protocol
from vadkit.eval.score_dir import SNIPPET_COUNTS_FROM_SCORES
from vadkit.train.classes import ClassList
from vadkit.types import GroundTruth


@dataclass(frozen=True)
class DatasetKind:
    """A dataset an experiment can use: the benchmark name of the readers and ground-truth builders, and the
    protocol evaluated by default."""

    benchmark: str
    protocol: str


DATASETS: Mapping[str, DatasetKind] = MappingProxyType(
    {
        "synthetic": DatasetKind("synthetic", "synthetic"),
        "ucf-crime": DatasetKind("ucf_crime", "ucf-crime"),
        "xd-violence": DatasetKind("xd_violence", "xd-violence"),
        "shanghaitech-weak": DatasetKind("shanghaitech", "shanghaitech-weak"),
    }
)
"""Datasets by name (module docstring)."""

LAYOUTS: tuple[str, ...] = ("rtfm", "per-crop", "vadclip")
"""Layouts of the public feature releases (module docstring)."""

_SYNTHETIC_FIELDS = ("data_root", "feature_dir")
_PUBLIC_REQUIRED = ("feature_root", "train_list", "test_list", "gt")
_PUBLIC_OPTIONAL = ("test_feature_root", "layout", "keep_parts", "train_audio_list", "test_audio_list")
_PATH_FIELDS = (
    *_SYNTHETIC_FIELDS,
    *_PUBLIC_REQUIRED,
    "test_feature_root",
    "train_audio_list",
    "test_audio_list",
)


def infer_layout(list_file: str | Path) -> str:
    """The layout of a feature list: ``vadclip`` for a CSV list (``.csv`` or a ``path,label`` header),
    ``per-crop`` when its first row names a crop file ``<video>__<k>.npy``, else ``rtfm``.

    Raises:
        AnnotationError: a missing, empty or malformed list.
    """
    path = Path(list_file)
    first = read_video_rows(path)[0]
    if first.label is not None:
        return "vadclip"
    try:
        crop_index(first.entries[0], path, first.lines[0])
    except AnnotationError:
        return "rtfm"
    return "per-crop"


@dataclass(frozen=True)
class ExperimentData:
    """What an experiment reads: training and test features, the test ground truth (checked against the
    test features' lengths), the protocol, and the layout read (``None`` for the synthetic benchmark)."""

    train: FeatureSet
    test: FeatureSet
    test_ground_truth: Mapping[str, GroundTruth]
    protocol: Protocol
    layout: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """Which data an experiment uses (module docstring); the dataset fields of
    :class:`~vadkit.train.experiment.ExperimentConfig`, with the same names.

    Attributes:
        dataset: a name of :data:`DATASETS`.
        data_root, feature_dir: ``synthetic`` only: the ``vadkit synth`` folder and its features.
        feature_root: the folder holding the release's feature files (and audio files) here.
        test_feature_root: the folder holding the test files, when not ``feature_root``.
        train_list, test_list: the release's lists.
        gt: the annotation file (UCF-Crime, XD-Violence) or ``test_frame_mask`` folder (ShanghaiTech).
        gt_options: ground-truth builder options (JSON values; strings as on the command line).
        layout: one of :data:`LAYOUTS`; ``None``: inferred from ``train_list``.
        keep_parts: trailing path parts of each list row kept under the feature root; ``None``: the reader's
            default (1 for RTFM, 2 for the UCF-Crime per-crop and VadCLIP releases' class folders).
        train_audio_list, test_audio_list: XDVioDet's VGGish lists (``per-crop`` layout), both or neither.
        check_counts: check the lists (and the ground truth's list) against the public split sizes (public
            releases only).
    """

    dataset: str = "synthetic"
    data_root: str | None = None
    feature_dir: str | None = None
    feature_root: str | None = None
    test_feature_root: str | None = None
    train_list: str | None = None
    test_list: str | None = None
    gt: str | None = None
    gt_options: Mapping[str, Any] = field(default_factory=dict)
    layout: str | None = None
    keep_parts: int | None = None
    train_audio_list: str | None = None
    test_audio_list: str | None = None
    check_counts: bool = True

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValidationError(f"unknown dataset {self.dataset!r} (known: {', '.join(DATASETS)})")
        for name in _PATH_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, str(value))
        try:
            options = json.loads(json.dumps(dict(self.gt_options)))
        except (TypeError, ValueError) as error:
            raise ValidationError(
                f"dataset {self.dataset}: gt_options must hold JSON values ({error})"
            ) from None
        object.__setattr__(self, "gt_options", MappingProxyType(options))
        if not isinstance(self.check_counts, bool):
            raise ValidationError(f"check_counts must be true or false, got {self.check_counts!r}")
        if self.dataset == "synthetic":
            self._require(_SYNTHETIC_FIELDS, _PUBLIC_REQUIRED + _PUBLIC_OPTIONAL)
        else:
            self._require(_PUBLIC_REQUIRED, _SYNTHETIC_FIELDS)
        if self.layout is not None and self.layout not in LAYOUTS:
            raise ValidationError(f"unknown layout {self.layout!r} (known: {', '.join(LAYOUTS)})")
        keep = self.keep_parts
        if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
            raise ValidationError(f"keep_parts must be a positive integer or None, got {keep!r}")
        if (self.train_audio_list is None) != (self.test_audio_list is None):
            raise ValidationError("train_audio_list and test_audio_list go together: give both or neither")
        if self.train_audio_list is not None and self.layout not in (None, "per-crop"):
            raise ValidationError(f"audio lists need the per-crop layout (XDVioDet), not {self.layout!r}")

    def _require(self, needed: tuple[str, ...], refused: tuple[str, ...]) -> None:
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValidationError(f"dataset {self.dataset} needs {', '.join(missing)}")
        given = [name for name in refused if getattr(self, name) is not None]
        if given:
            raise ValidationError(f"dataset {self.dataset} does not use {', '.join(given)}")

    @property
    def kind(self) -> DatasetKind:
        """The dataset's benchmark and default protocol."""
        return DATASETS[self.dataset]

    def resolved_layout(self) -> str:
        """``layout``, or the one :func:`infer_layout` reads from ``train_list`` (public releases only)."""
        if self.train_list is None:
            raise ValidationError(f"dataset {self.dataset} has no feature lists, hence no layout")
        layout = self.layout or infer_layout(self.train_list)
        if self.train_audio_list is not None and layout != "per-crop":
            raise ValidationError(
                f"{self.train_list}: a {layout} list; audio lists need the per-crop layout (XDVioDet)"
            )
        return layout

    def _read(self, layout: str, split: str) -> FeatureSet:
        """One split of a public release."""
        test = split == "test"
        list_file = self.test_list if test else self.train_list
        root = self.test_feature_root if test and self.test_feature_root is not None else self.feature_root
        options: dict[str, Any] = {
            "dataset": self.kind.benchmark,
            "split": split,
            "check_counts": self.check_counts,
        }
        if self.keep_parts is not None:
            options["keep_parts"] = self.keep_parts
        if layout == "vadclip":
            return read_vadclip_csv(list_file, root, **options)
        if self.kind.benchmark == "shanghaitech":
            options["abnormal_videos"] = self.gt
        if layout == "rtfm":
            return read_rtfm_list(list_file, root, **options)
        audio = self.test_audio_list if test else self.train_audio_list
        return read_per_crop_list(list_file, root, audio_list=audio, **options)

    def feature_sets(self) -> tuple[FeatureSet, FeatureSet]:
        """``(train, test)`` features (only the lists are read; files load one video at a time).

        Raises:
            AnnotationError / ValidationError: as the reader of the layout (missing or malformed list, labels
                that cannot be derived, counts differing from the public split).
        """
        if self.dataset == "synthetic":
            assert self.data_root is not None and self.feature_dir is not None
            return (
                synthetic_feature_set(self.data_root, self.feature_dir, "train"),
                synthetic_feature_set(self.data_root, self.feature_dir, "test"),
            )
        layout = self.resolved_layout()
        return self._read(layout, "train"), self._read(layout, "test")

    def class_list(self) -> ClassList | None:
        """The dataset's classes, normal first (:mod:`vadkit.train.classes`): the synthetic benchmark's
        ``metadata.json`` ``classes``, :data:`~vadkit.data.UCF_CLASSES`, XD-Violence's codes named by
        :data:`~vadkit.data.XD_CLASS_NAMES`; ``None`` for ShanghaiTech (no classes).

        Raises:
            AnnotationError: a synthetic ``metadata.json`` without a valid ``classes`` list.
        """
        if self.dataset == "synthetic":
            assert self.data_root is not None
            classes = read_metadata(self.data_root).get("classes")
            if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
                raise AnnotationError(Path(self.data_root) / METADATA, "expected a 'classes' list of names")
            return ClassList(tuple(classes), tuple(classes))
        if self.kind.benchmark == "ucf_crime":
            return ClassList(UCF_CLASSES, UCF_CLASSES)
        if self.kind.benchmark == "xd_violence":
            return ClassList(tuple(XD_CLASS_NAMES), tuple(XD_CLASS_NAMES.values()))
        return None

    def ground_truth(self, protocol: Protocol, snippet_counts: Mapping[str, int]) -> dict[str, GroundTruth]:
        """The test ground truth under ``protocol`` (module docstring for the options).

        Args:
            protocol: the protocol evaluated (its ``gt_options`` are the defaults).
            snippet_counts: T of each test video, used where an option says ``snippet_counts="scores"``.

        Raises:
            ValidationError: a protocol of another dataset, a required option missing, an unknown option.
            AnnotationError: from the builder, naming the file.
        """
        if protocol.dataset != self.kind.benchmark:
            raise ValidationError(
                f"protocol {protocol.name} evaluates {protocol.dataset}, the dataset is {self.dataset}"
            )
        if self.dataset == "synthetic":
            source, defaults = self.data_root, {"split": "test"}
        else:
            source, defaults = self.gt, {"list_file": self.test_list, "check_counts": self.check_counts}
        options = protocol.ground_truth_options({**defaults, **self.gt_options})
        if options.get("snippet_counts") == SNIPPET_COUNTS_FROM_SCORES:
            options["snippet_counts"] = dict(snippet_counts)
        assert source is not None
        return build_ground_truth(self.kind.benchmark, source, **options)

    def load(self, protocol: Protocol) -> ExperimentData:
        """Features of both splits and the test ground truth, with every test video's length checked.

        Raises:
            AnnotationError / ValidationError: unreadable lists, annotations or feature headers.
            LengthMismatchError: test videos whose T does not fit their ground-truth frames (all named).
        """
        train, test = self.feature_sets()
        counts = {video.name: test.num_snippets(video) for video in test}
        truth = self.ground_truth(protocol, counts)
        check_lengths_against_gt(test, truth, protocol.snippet_length)
        layout = None if self.dataset == "synthetic" else self.resolved_layout()
        return ExperimentData(train, test, MappingProxyType(truth), protocol, layout)
