"""Per-crop I3D releases: DeepMIL/UR-DMU (UCF-Crime, 10 crops) and XDVioDet (XD-Violence, 5 crops + VGGish).

A list row names one crop file ``<video>__<k>.npy`` of shape ``(T, 1024)``; the rows of one video are
consecutive. XD-Violence adds an audio list, one ``<video>__vggish.npy`` ``(T, 128)`` per video, which the
reference pairs with the RGB rows by position (``audio[index // 5]``), i.e. per video; vadkit pairs them by
name and requires both lists to hold the same videos.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

from vadkit.data.feature_sets.base import FeatureSet, FeatureVideo
from vadkit.data.feature_sets.labels import AbnormalVideos, class_from_name, split_labels
from vadkit.data.feature_sets.list_rows import VideoRows, crop_index, read_video_rows
from vadkit.data.feature_sets.remap import check_keep_parts, remap_entry
from vadkit.errors import AnnotationError

DEFAULT_CROPS: dict[str, int] = {"ucf_crime": 10, "xd_violence": 5}
"""Crops per video in each dataset's per-crop release (DeepMIL/UR-DMU 10, XDVioDet 5)."""

CLASS_FOLDER_DATASETS: frozenset[str] = frozenset({"ucf_crime"})
"""Datasets whose per-crop releases keep each video in its class folder (UR-DMU ``dataset/Abuse/...``,
VadCLIP ``UCFClipFeatures/Abuse/...``): their rows keep 2 path parts by default, the others 1."""


def default_keep_parts(dataset: str, keep_parts: int | None) -> int:
    """``keep_parts``, or the layout's default: 2 (class folder + file) for UCF-Crime, else 1."""
    if keep_parts is None:
        return 2 if dataset in CLASS_FOLDER_DATASETS else 1
    return check_keep_parts(keep_parts)


def crop_files(
    video: VideoRows, feature_root: str | Path | None, keep_parts: int, list_file: Path
) -> tuple[tuple[int, ...], tuple[Path, ...]]:
    """The crop indices of a video's rows, sorted, and its files in that order.

    Raises:
        AnnotationError: a row without ``__<k>``, or a crop listed twice.
    """
    indexed = sorted(
        (crop_index(entry, list_file, line), line, entry)
        for line, entry in zip(video.lines, video.entries, strict=True)
    )
    indices = tuple(index for index, _, _ in indexed)
    for previous, current in pairwise(indexed):
        if previous[0] == current[0]:
            raise AnnotationError(
                list_file,
                f"line {current[1]}: crop {current[0]} of {video.name} already on line {previous[1]}",
            )
    files = tuple(remap_entry(entry, feature_root, keep_parts, list_file, line) for _, line, entry in indexed)
    return indices, files


def check_crop_indices(
    video: VideoRows, indices: Sequence[int], expected: Sequence[int], list_file: Path, origin: str
) -> None:
    """Raise :class:`AnnotationError` unless ``video`` lists exactly the crops ``expected``."""
    if tuple(indices) != tuple(expected):
        raise AnnotationError(
            list_file,
            f"line {video.lines[0]}: {video.name} lists crops {list(indices)}, expected {list(expected)} "
            f"({origin})",
        )


def _audio_files(
    audio_list: Path, audio_root: str | Path | None, keep_parts: int, names: Sequence[str]
) -> dict[str, Path]:
    rows = read_video_rows(audio_list)
    files = {}
    for video in rows:
        if len(video.entries) != 1:
            raise AnnotationError(
                audio_list,
                f"line {video.lines[0]}: {video.name} has {len(video.entries)} audio rows, expected 1",
            )
        files[video.name] = remap_entry(video.entries[0], audio_root, keep_parts, audio_list, video.lines[0])
    missing = [name for name in names if name not in files]
    extra = sorted(set(files) - set(names))
    if missing or extra:
        problem = f"no audio for {len(missing)} videos (first: {missing[0]})" if missing else ""
        problem += "; " if missing and extra else ""
        problem += (
            f"{len(extra)} audio rows for videos not in the video list (first: {extra[0]})" if extra else ""
        )
        raise AnnotationError(audio_list, problem)
    return files


def read_per_crop_list(
    list_file: str | Path,
    feature_root: str | Path | None,
    *,
    dataset: str,
    split: str,
    crops: int | None = None,
    audio_list: str | Path | None = None,
    audio_root: str | Path | None = None,
    abnormal_videos: AbnormalVideos | None = None,
    check_counts: bool = True,
    keep_parts: int | None = None,
    dim: int | None = None,
    audio_dim: int | None = None,
) -> FeatureSet:
    """The videos of a per-crop feature list, each video's crop files collapsed in crop order.

    Reads ``list_file`` (UR-DMU ``UCF_{Train,Test}.list``, ``XD_{Train,Test}.list``, XDVioDet
    ``rgb.list``/``rgb_test.list``): one crop file path per non-blank line, crops of a video on consecutive
    lines, any prefix, ``\\`` or ``/``, CRLF or LF; and ``audio_list`` when given (XDVioDet ``audio.list``/
    ``audio_test.list``: one ``<video>__vggish.npy`` per line). Feature files are opened by
    :meth:`FeatureSet.load` / :meth:`FeatureSet.load_audio`, one video at a time.

    Args:
        list_file: the RGB list.
        feature_root: the folder holding the crop files here; ``None`` keeps the listed paths.
        dataset: ``ucf_crime``, ``xd_violence`` (labels from names) or another with ``abnormal_videos``.
        split: ``train`` or ``test`` (known counts checked: UCF 810+800 / 140+150, XD 1905+2049 / 500+300).
        crops: crops per video, each video must list exactly ``__0`` … ``__{crops-1}``; ``None``: 10 for
            UCF-Crime, 5 for XD-Violence, else the first video's.
        audio_list: the VGGish list, paired with the videos by name.
        audio_root: the folder holding the audio files here (default ``feature_root``).
        abnormal_videos: names of the abnormal videos, for datasets whose names carry no label.
        check_counts: check the normal/abnormal counts of the public split; off for custom subsets.
        keep_parts: trailing path parts kept under the roots; ``None``: 2 for UCF-Crime (class folders), 1
            otherwise.
        dim: the feature size of every crop file (1024); ``None``: the first video's.
        audio_dim: the audio feature size (128); ``None``: the first video's.

    Returns:
        The set in list order. ``load`` gives ``(T, crops, D)``; with audio, a video with one RGB row more
        than its audio loses its last RGB row (XDVioDet's MIX2 rule) and any other length difference
        raises.

    Raises:
        AnnotationError: naming the list and line: malformed list, a row without ``__<k>``, a video with
            other crops than expected, audio missing for a video or listing other videos, labels that
            cannot be derived, counts differing from the public split.
    """
    path = Path(list_file)
    keep = default_keep_parts(dataset, keep_parts)
    rows = read_video_rows(path)
    count = crops if crops is not None else DEFAULT_CROPS.get(dataset, len(rows[0].entries))
    origin = f"{count} crops per video"
    videos_files = []
    for video in rows:
        indices, files = crop_files(video, feature_root, keep, path)
        check_crop_indices(video, indices, range(count), path, origin)
        videos_files.append(files)
    names = [video.name for video in rows]
    labels = split_labels(
        path, dataset, split, names, abnormal_videos=abnormal_videos, check_counts=check_counts
    )
    audio = (
        {}
        if audio_list is None
        else _audio_files(Path(audio_list), feature_root if audio_root is None else audio_root, keep, names)
    )
    videos = [
        FeatureVideo(name, label, class_from_name(dataset, name), files, audio.get(name))
        for name, label, files in zip(names, labels, videos_files, strict=True)
    ]
    source = f"per-crop list {path}" + (f" + audio list {audio_list}" if audio_list is not None else "")
    return FeatureSet(
        videos, dataset=dataset, split=split, source=source, crops=count, dim=dim, audio_dim=audio_dim
    )
