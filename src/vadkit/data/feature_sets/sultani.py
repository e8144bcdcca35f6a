"""Sultani et al.'s C3D release (UCF-Crime): ``<video>_C.txt`` text files of 32 segments x 4096.

Each file holds one row per segment, 4096 values written ``"%f "`` (space-separated, trailing space); each
row is the L2-normalised mean of the C3D fc6 features of one of 32 segments
(``Save_C3DFeatures_32Segments.m``).
The reference keeps the abnormal and the normal training videos in two folders and reads each sorted by name.
"""

from __future__ import annotations

from pathlib import Path

from vadkit.data.feature_sets.base import FeatureSet, FeatureVideo
from vadkit.data.feature_sets.labels import AbnormalVideos, class_from_name, split_labels
from vadkit.data.feature_sets.list_rows import read_video_rows
from vadkit.data.feature_sets.remap import check_keep_parts, remap_entry
from vadkit.data.lists import NAME_LABELLED_DATASETS
from vadkit.errors import AnnotationError

SUFFIX = "_C.txt"
"""File-name ending of a C3D feature file."""


def _strip_suffix(name: str) -> str:
    return name[: -len("_C")] if name.endswith("_C") else name


def _from_folder(folder: Path) -> dict[str, Path]:
    files = sorted(folder.rglob(f"*{SUFFIX}"), key=lambda p: p.name)
    found: dict[str, Path] = {}
    for file in files:
        name = file.name[: -len(SUFFIX)]
        if name in found:
            raise AnnotationError(folder, f"{name} has two feature files: {found[name]} and {file}")
        found[name] = file
    if not found:
        raise AnnotationError(folder, f"no *{SUFFIX} feature files in this folder or its subfolders")
    return found


def _from_list(list_file: Path, feature_root: str | Path | None, keep_parts: int) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for video in read_video_rows(list_file):
        if len(video.entries) != 1:
            raise AnnotationError(
                list_file, f"line {video.lines[0]}: {video.name} is on {len(video.entries)} consecutive lines"
            )
        name = _strip_suffix(video.name)
        listed = remap_entry(video.entries[0], feature_root, keep_parts, list_file, video.lines[0])
        found[name] = listed.with_name(name + SUFFIX)
    return found


def read_sultani_c3d(
    source: str | Path,
    feature_root: str | Path | None = None,
    *,
    dataset: str = "ucf_crime",
    split: str,
    segments: int | None = 32,
    abnormal_videos: AbnormalVideos | None = None,
    check_counts: bool = True,
    keep_parts: int = 1,
    dim: int | None = None,
) -> FeatureSet:
    """The videos of a Sultani C3D release; ``load`` gives ``(32, 1, 4096)`` per video.

    ``source`` is either
      * a folder: every ``*_C.txt`` in it or its subfolders (the reference's ``Train/`` holds an abnormal
        and a normal folder), ordered abnormal first, then normal, each sorted by name as the reference reads
        them; or
      * a list file (``Anomaly_Train.txt`` rows ``Abuse/Abuse001_x264.mp4``, or rows naming the ``_C.txt``
        files): its order; the file of a row is ``<feature_root>/<last keep_parts parts, file name replaced
        by <video>_C.txt>``.

    Only the folder listing or the list is read here; each text file is parsed by :meth:`FeatureSet.load`.

    Args:
        source: the folder or the list.
        feature_root: for a list, the folder holding the text files here; ``None`` keeps the listed paths.
        dataset: ``ucf_crime`` (labels from names) or another dataset with ``abnormal_videos``.
        split: ``train`` or ``test`` (known counts checked: 810+800 / 140+150).
        segments: rows every file must have (32); ``None``: any.
        abnormal_videos: names of the abnormal videos, for datasets whose names carry no label.
        check_counts: check the normal/abnormal counts of the public split; off for custom subsets.
        keep_parts: trailing path parts of a list row kept under ``feature_root``.
        dim: the feature size (4096); ``None``: the first video's.

    Raises:
        AnnotationError: no feature file in the folder, a video with two files, a malformed list, labels
            that cannot be derived, counts differing from the public split.
    """
    path = Path(source)
    keep = check_keep_parts(keep_parts)
    from_folder = path.is_dir()
    if from_folder and dataset not in NAME_LABELLED_DATASETS and abnormal_videos is None:
        raise AnnotationError(
            path, f"{dataset} names carry no label and a folder has no order: give abnormal_videos"
        )
    files = _from_folder(path) if from_folder else _from_list(path, feature_root, keep)
    names = list(files)
    labels = split_labels(
        path,
        dataset,
        split,
        names,
        abnormal_videos=abnormal_videos,
        check_counts=check_counts,
        feature_list=False,
    )
    order = sorted(range(len(names)), key=lambda i: -labels[i]) if from_folder else range(len(names))
    videos = [
        FeatureVideo(names[i], labels[i], class_from_name(dataset, names[i]), (files[names[i]],))
        for i in order
    ]
    return FeatureSet(
        videos,
        dataset=dataset,
        split=split,
        source=f"Sultani C3D {'folder' if from_folder else 'list'} {path}",
        snippets=segments,
        crops=1,
        dim=dim,
    )
