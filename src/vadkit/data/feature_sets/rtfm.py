"""RTFM's I3D 10-crop releases (UCF-Crime, ShanghaiTech weak split), read from their ``.list`` files."""

from __future__ import annotations

from pathlib import Path

from vadkit.data.feature_sets.base import FeatureSet, FeatureVideo
from vadkit.data.feature_sets.labels import AbnormalVideos, class_from_name, split_labels
from vadkit.data.feature_sets.list_rows import VideoRows, read_video_rows
from vadkit.data.feature_sets.remap import check_keep_parts, remap_entry
from vadkit.errors import AnnotationError

SUFFIX = "_i3d.npy"
"""File-name ending of an RTFM feature file."""


def _feature_file(
    video: VideoRows, feature_root: str | Path | None, keep_parts: int, list_file: Path
) -> Path:
    """The row's file, or ``<video>_i3d.npy`` beside it when the row is a bare name (``SH_Train.txt``)."""
    listed = remap_entry(video.entries[0], feature_root, keep_parts, list_file, video.lines[0])
    return listed if listed.name.lower().endswith(".npy") else listed.with_name(f"{video.name}{SUFFIX}")


def read_rtfm_list(
    list_file: str | Path,
    feature_root: str | Path | None,
    *,
    dataset: str,
    split: str,
    abnormal_videos: AbnormalVideos | None = None,
    check_counts: bool = True,
    keep_parts: int = 1,
    crops: int | None = 10,
    dim: int | None = None,
) -> FeatureSet:
    """The videos of an RTFM feature list: one ``<video>_i3d.npy`` of shape ``(T, 10, 2048)`` per video.

    Reads the list only (``ucf-i3d.list``, ``ucf-i3d-test.list``, ``shanghai-i3d-{train,test}-10crop.list``):
    one path per non-blank line, any prefix, ``\\`` or ``/``, CRLF or LF; a line holding a bare video name
    (``SH_Train.txt``, ``SH_Test.txt``) stands for ``<video>_i3d.npy``. Feature files are opened by
    :meth:`FeatureSet.load`, one video at a time.

    Args:
        list_file: the list.
        feature_root: the folder holding the ``.npy`` files here (``UCF_Train_ten_crop_i3d/``); ``None``
            keeps the listed paths (relative ones from the list's folder).
        dataset: ``ucf_crime`` (labels from names: ``Normal``), ``shanghaitech`` (see ``abnormal_videos``) or
            another dataset with ``abnormal_videos``.
        split: ``train`` or ``test`` (the known counts checked: UCF 810+800 / 140+150, SH 63+175 / 44+155).
        abnormal_videos: names of the abnormal videos, or ShanghaiTech's ``test_frame_mask`` folder
            (abnormal iff a mask has a 1). Without it, ShanghaiTech labels follow the public layout: the list
            must be the whole weak split, abnormal first (see :mod:`vadkit.data.feature_sets.labels`); a
            list of bare names (``SH_Test.txt``, in another order) needs ``abnormal_videos``.
        check_counts: check the normal/abnormal counts of the public split; off for custom subsets.
        keep_parts: trailing path parts of each row kept under ``feature_root`` (1: the file name).
        crops: the crop count every file must have (RTFM: 10); ``None``: that of the first video.
        dim: the feature size every file must have; ``None``: that of the first video (2048 in RTFM's).

    Returns:
        The set in list order; ``class_name`` is the UCF-Crime class (``"Normal"`` for normal videos),
        ``None`` for ShanghaiTech.

    Raises:
        AnnotationError: naming the list and line: a malformed list, a video on several lines (a per-crop
            list: use :func:`read_per_crop_list`), labels that cannot be derived, counts differing from the
            public split.
    """
    path = Path(list_file)
    keep = check_keep_parts(keep_parts)
    rows = read_video_rows(path)
    for video in rows:
        if len(video.entries) != 1:
            raise AnnotationError(
                path,
                f"line {video.lines[0]}: {video.name} is on {len(video.entries)} consecutive lines; an RTFM "
                "list has one file per video (one file per crop: read_per_crop_list)",
            )
    labels = split_labels(
        path,
        dataset,
        split,
        [video.name for video in rows],
        abnormal_videos=abnormal_videos,
        check_counts=check_counts,
        feature_list=all(video.entries[0].lower().endswith(".npy") for video in rows),
    )
    videos = [
        FeatureVideo(
            video.name,
            label,
            class_from_name(dataset, video.name),
            (_feature_file(video, feature_root, keep, path),),
        )
        for video, label in zip(rows, labels, strict=True)
    ]
    return FeatureSet(videos, dataset=dataset, split=split, source=f"RTFM list {path}", crops=crops, dim=dim)
