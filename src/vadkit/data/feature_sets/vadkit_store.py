"""Features written by ``vadkit extract`` (layout: :mod:`vadkit.features.store`), as a :class:`FeatureSet`.

The output folder holds ``<id>.npy`` and its sidecar record ``<id>.json`` per video, the id being the video's
path relative to the extraction's input root (``Running/01_0003``); a set names each video by its bare name
(``01_0003``). The records are the truth: a video is accepted only if its record says ``ok`` (``partial``
on request) and its array has the recorded shape and dtype, and all videos must come from one extractor
configuration (same extractor and config hash), so a set never mixes features of different meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from vadkit.data.feature_sets.base import FeatureSet, FeatureVideo
from vadkit.data.feature_sets.labels import class_from_name, is_normal_class, split_labels
from vadkit.data.feature_sets.lengths import check_lengths
from vadkit.data.lists import check_split_counts, read_video_list, video_name
from vadkit.data.synthetic import read_synthetic_split, split_list_path
from vadkit.errors import AnnotationError, ValidationError

if TYPE_CHECKING:
    from vadkit.features.manifest import VideoRecord
    from vadkit.features.store import FeatureStore

LabelSource = Literal["folder", "names"] | Mapping[str, str | int]
"""How a vadkit feature set gets its labels: ``"folder"`` (the id's first folder is the class),
``"names"`` (the dataset's name rule) or a mapping from video name (or id) to class name or 0/1."""


def _select(store: FeatureStore, split_list: str | Path | None) -> list[VideoRecord]:
    """The records of the listed videos in list order (matched by bare name), else all, sorted by id."""
    records = store.records()
    if not records:
        raise AnnotationError(
            store.root, "no extraction records (<video>.json sidecars): not a `vadkit extract` output"
        )
    if split_list is None:
        return records
    by_name: dict[str, list[VideoRecord]] = {}
    for record in records:
        by_name.setdefault(video_name(record.video), []).append(record)
    names = read_video_list(split_list)
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ValidationError(
            f"{store.root}: no features for {len(missing)} videos of {split_list}: {', '.join(missing[:10])}"
            + (", ..." if len(missing) > 10 else "")
        )
    ambiguous = [name for name in names if len(by_name[name]) > 1]
    if ambiguous:
        ids = ", ".join(record.video for record in by_name[ambiguous[0]])
        raise ValidationError(f"{store.root}: {ambiguous[0]} names several extracted videos ({ids})")
    return [by_name[name][0] for name in names]


def _check_records(store: FeatureStore, records: list[VideoRecord], accept_partial: bool) -> None:
    refused = [
        f"{record.video} ({record.status}: {record.reason or 'no reason recorded'})"
        for record in records
        if record.status == "failed" or (record.status == "partial" and not accept_partial)
    ]
    if refused:
        hint = "" if accept_partial else "; pass accept_partial=True to use partial videos"
        raise ValidationError(f"{store.root}: refused {len(refused)} videos: {'; '.join(refused)}{hint}")
    configurations: dict[tuple[str, str], str] = {}
    for record in records:
        configurations.setdefault((record.extractor, record.config_hash), record.video)
    if len(configurations) > 1:
        listed = "; ".join(f"{e} {h} (e.g. {video})" for (e, h), video in configurations.items())
        raise ValidationError(f"{store.root}: videos come from different extractor configurations: {listed}")
    for record in records:
        if store.complete_record(record.video, record.extractor, record.config_hash, accept_partial) is None:
            raise ValidationError(
                f"{record.video}: {store.array_path(record.video)} is missing or does not match its record "
                f"(shape {record.shape}, {record.dtype}); run vadkit extract again"
            )


def _class_and_label(
    record: VideoRecord, labels: Literal["folder"] | Mapping[str, str | int], root: Path
) -> tuple[str | None, int]:
    name = video_name(record.video)
    if labels == "folder":
        folder, sep, _ = record.video.partition("/")
        if not sep:
            raise ValidationError(f"{root}: video {record.video} has no class folder; pass labels explicitly")
        return folder, 0 if is_normal_class(folder) else 1
    assert isinstance(labels, Mapping)
    value = labels.get(record.video, labels.get(name))
    if value is None:
        raise ValidationError(f"{name}: no label given for this video ({root})")
    if isinstance(value, str):
        return value, 0 if is_normal_class(value) else 1
    if isinstance(value, bool) or value not in (0, 1):
        raise ValidationError(f"{name}: label must be a class name or 0/1, got {value!r}")
    return None, int(value)


def _read_store(
    feature_dir: str | Path,
    split_list: str | Path | None,
    labels: LabelSource,
    dataset: str,
    split: str,
    accept_partial: bool,
    check_counts: bool,
) -> tuple[FeatureSet, list[VideoRecord]]:
    # Imported here: vadkit.features loads the extractors (OpenCV), which reading lists does not need.
    from vadkit.features.store import FeatureStore

    store = FeatureStore(feature_dir)
    if not store.root.is_dir():
        raise AnnotationError(store.root, "feature folder not found")
    records = _select(store, split_list)
    _check_records(store, records, accept_partial)
    names = [video_name(record.video) for record in records]
    source = f"vadkit features {store.root}" + (f" (list {split_list})" if split_list is not None else "")
    if labels == "names":
        flags = split_labels(source, dataset, split, names, check_counts=check_counts)
        classes = [class_from_name(dataset, name) for name in names]
    else:
        pairs = [_class_and_label(record, labels, store.root) for record in records]
        classes, flags = [pair[0] for pair in pairs], tuple(pair[1] for pair in pairs)
        if check_counts:
            check_split_counts(source, dataset, split, sum(flags), len(flags) - sum(flags))
    videos = [
        FeatureVideo(name, flag, class_name, (store.array_path(record.video),))
        for name, flag, class_name, record in zip(names, flags, classes, records, strict=True)
    ]
    shape = records[0].shape
    assert shape is not None
    crops = shape[1] if len(shape) == 3 else 1
    feature_set = FeatureSet(videos, dataset=dataset, split=split, source=source, crops=crops, dim=shape[-1])
    return feature_set, records


def read_vadkit_features(
    feature_dir: str | Path,
    *,
    split_list: str | Path | None = None,
    labels: LabelSource = "folder",
    dataset: str = "vadkit",
    split: str = "all",
    accept_partial: bool = False,
    check_counts: bool = True,
) -> FeatureSet:
    """The videos of a ``vadkit extract`` output folder.

    Reads every sidecar ``<id>.json`` under ``feature_dir`` (not ``manifest.json``, a summary of them) and the
    header of each selected ``<id>.npy``; the arrays themselves are read by :meth:`FeatureSet.load`, which
    gives ``(T, 1, D)`` for ``(T, D)`` features.

    Args:
        feature_dir: the extraction's output folder.
        split_list: a list choosing the videos and their order (any list that
            :func:`~vadkit.data.read_list_entries` reads: ``Anomaly_Train.txt``, ``.list``, CSV), matched to
            the ids by bare name; ``None``: every extracted video, sorted by id.
        labels: ``"folder"`` (default): the id's first folder is the class (``Running/01_0003``), normal for
            ``Normal``, ``A``, ``*_Normal_Videos_Anomaly`` (:data:`~.labels.NORMAL_CLASS_NAMES`);
            ``"names"``: the name rule of ``dataset`` (UCF-Crime, XD-Violence); or a mapping from id or name
            (the id wins) to class name (normal as for folders) or 0/1 (class unknown).
        dataset: the benchmark, for the name rule and the counts check (``vadkit``: none known).
        split: the split name, for the counts check and reports.
        accept_partial: accept videos recorded ``partial`` (decoded short, kept under ``on_error="partial"``).
        check_counts: check the normal/abnormal counts when ``(dataset, split)`` is a known public split.

    Raises:
        AnnotationError: no such folder, or no records in it; counts differing from a public split.
        ValidationError: a listed video without features or matching several ids, a failed (or
            unaccepted partial) record, several extractor configurations, an array missing or not matching
            its record, a video without label.
    """
    return _read_store(feature_dir, split_list, labels, dataset, split, accept_partial, check_counts)[0]


def synthetic_feature_set(
    synth_root: str | Path, feature_dir: str | Path, split: str, *, accept_partial: bool = False
) -> FeatureSet:
    """A split of a ``vadkit synth`` dataset with the features ``vadkit extract`` computed from its videos.

    Labels and classes come from the dataset (:func:`~vadkit.data.read_synthetic_split`: its split list and
    ``metadata.json``), videos and order from its ``Anomaly_<Split>.txt``; features from ``feature_dir``,
    matched by bare name whatever the extraction root (``Running/01_0003`` or ``videos/Running/01_0003``).
    Every video's T must be the snippet count of its frame count under the extractor's snippet geometry
    (partial videos, when accepted, are not checked).

    Raises:
        AnnotationError / ValidationError: as :func:`read_vadkit_features` and
            :func:`~vadkit.data.read_synthetic_split`.
        LengthMismatchError: naming every video whose T does not fit its frame count.
    """
    videos = read_synthetic_split(synth_root, split)
    feature_set, records = _read_store(
        feature_dir,
        split_list_path(synth_root, split),
        {video.name: video.label for video in videos},
        "synthetic",
        split,
        accept_partial,
        check_counts=False,
    )
    snippet = records[0].snippet
    complete = {video_name(record.video) for record in records if record.status == "ok"}
    check_lengths(
        feature_set,
        {video.name: video.num_frames for video in videos if video.name in complete},
        int(snippet["length"]),
        stride=int(snippet["stride"]),
        require_all=False,
        origin=f"frame counts of {Path(synth_root) / 'metadata.json'}",
    )
    return feature_set
