"""Benchmark list and annotation text files: robust line reading, video names, splits and their known counts.

The public list files carry every kind of dirt: CRLF endings (RTFM's UCF lists), stray ``\\r``, trailing
spaces and TABs, Windows ``G:\\...`` paths next to Unix ones, no newline after the last line
(``SH_Test.txt``), one row per crop (XDVioDet, UR-DMU, VadCLIP) and CSV headers (VadCLIP). Everything here
reads them into plain video names, the key every other part of vadkit uses (docs/benchmark-formats.md
§1.1-1.3, §1.7, §4).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from vadkit.errors import AnnotationError

KNOWN_SPLIT_COUNTS: dict[tuple[str, str], tuple[int, int]] = {
    ("ucf_crime", "train"): (810, 800),
    ("ucf_crime", "test"): (140, 150),
    ("shanghaitech", "train"): (63, 175),
    ("shanghaitech", "test"): (44, 155),
    ("xd_violence", "train"): (1905, 2049),
    ("xd_violence", "test"): (500, 300),
}
"""``(abnormal, normal)`` video counts of the public splits (ShanghaiTech: the weakly-supervised split)."""

NAME_LABELLED_DATASETS: dict[str, str] = {"ucf_crime": "Normal", "xd_violence": "_label_A"}
"""Datasets whose video names say "normal": the marker a normal video's name contains."""

_EXTENSIONS = (".npy", ".mp4", ".avi", ".mkv", ".mov", ".mat", ".txt")
_CROP_SUFFIX = re.compile(r"__(\d+|vggish)$")
_FEATURE_SUFFIX = re.compile(r"_i3d$")
_INTEGER = re.compile(r"^[-+]?\d+$")


@dataclass(frozen=True)
class Line:
    """A non-blank line of a text file: its 1-based number and its text with the line ending and trailing
    whitespace removed."""

    number: int
    text: str


def read_lines(path: str | Path) -> list[Line]:
    """The non-blank lines of a UTF-8 text file (an optional BOM is skipped).

    Accepts ``\\n``, ``\\r\\n`` and lone ``\\r`` line endings and a missing final newline; trailing spaces and
    TABs are removed, leading ones kept. Raises :class:`AnnotationError` when the file is missing or not
    UTF-8.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise AnnotationError(path, "file not found") from None
    except IsADirectoryError:
        raise AnnotationError(path, "is a folder, expected a text file") from None
    except UnicodeDecodeError as error:
        raise AnnotationError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.rstrip()
        if stripped:
            lines.append(Line(number, stripped))
    return lines


def is_integer(token: str) -> bool:
    """Whether ``token`` is a decimal integer such as ``165`` or ``-1``."""
    return bool(_INTEGER.match(token))


def parse_int(token: str, path: str | Path, line: int) -> int:
    """``token`` as an integer (``-1`` allowed), else an :class:`AnnotationError` naming the file and line."""
    if not is_integer(token):
        raise AnnotationError(path, f"line {line}: expected an integer, got {token!r}")
    return int(token)


def video_name(entry: str) -> str:
    """The bare video name of a list entry, a feature file or a video file.

    Drops the folders (``/`` or ``\\``), a known extension (``.npy .mp4 .avi .mkv .mov .mat .txt``), a crop or
    audio suffix (``__0`` … ``__9``, ``__vggish``) and RTFM's ``_i3d``:

    ``G:\\UCF_Train_ten_crop_i3d\\Abuse001_x264_i3d.npy`` -> ``Abuse001_x264``;
    ``dataset/Abuse/Abuse001_x264__0.npy`` -> ``Abuse001_x264``; ``/…/01_0014_i3d.npy`` -> ``01_0014``;
    ``Bad.Boys.1995__#00-26-51_00-27-53_label_B2-0-0__vggish.npy``
    -> ``Bad.Boys.1995__#00-26-51_00-27-53_label_B2-0-0``.

    Only the listed extensions are removed, since XD-Violence names contain dots.
    """
    name = re.split(r"[\\/]", entry.strip())[-1]
    for extension in _EXTENSIONS:
        if name.lower().endswith(extension):
            name = name[: -len(extension)]
            break
    name = _FEATURE_SUFFIX.sub("", _CROP_SUFFIX.sub("", name))
    if not name:
        raise ValueError(f"no video name in list entry {entry!r}")
    return name


@dataclass(frozen=True)
class ListedVideo:
    """A video of a list file: its name, its label column (CSV lists; ``None`` otherwise) and the line where
    it first appears."""

    name: str
    label: str | None
    line: int


def read_list_entries(path: str | Path) -> list[ListedVideo]:
    """The videos of a feature or split list, in order, one per video (consecutive crop rows collapsed).

    Reads RTFM/XDVioDet/UR-DMU ``.list`` files and ``SH_*.txt`` / ``Anomaly_*.txt`` (one path or name per
    line) and VadCLIP CSV lists (``path,label`` rows after an optional ``path,label`` header; a ``.csv``
    suffix or the header marks a CSV). Raises :class:`AnnotationError` naming the file and line when a video
    reappears after other videos, when crop rows of one video disagree on the label, or when the list is
    empty.
    """
    path = Path(path)
    lines = read_lines(path)
    has_header = bool(lines) and lines[0].text.replace(" ", "").lower() == "path,label"
    is_csv = has_header or path.suffix.lower() == ".csv"
    if has_header:
        lines = lines[1:]
    videos: list[ListedVideo] = []
    seen: dict[str, int] = {}
    for line in lines:
        entry, label = line.text, None
        if is_csv:
            entry, sep, label = line.text.rpartition(",")
            if not sep or not entry.strip():
                raise AnnotationError(path, f"line {line.number}: expected 'path,label', got {line.text!r}")
            label = label.strip()
        try:
            name = video_name(entry)
        except ValueError as error:
            raise AnnotationError(path, f"line {line.number}: {error}") from None
        if videos and videos[-1].name == name:
            if videos[-1].label != label:
                raise AnnotationError(
                    path,
                    f"line {line.number}: {name} labelled {label!r}, its earlier crops {videos[-1].label!r}",
                )
            continue
        if name in seen:
            raise AnnotationError(
                path,
                f"line {line.number}: {name} already listed at line {seen[name]} (crops must be consecutive)",
            )
        seen[name] = line.number
        videos.append(ListedVideo(name, label, line.number))
    if not videos:
        raise AnnotationError(path, "the list names no video")
    return videos


def read_video_list(path: str | Path) -> list[str]:
    """The ordered, unique video names of a list file (see :func:`read_list_entries`)."""
    return [video.name for video in read_list_entries(path)]


def is_abnormal_name(dataset: str, name: str) -> bool:
    """Whether a video is abnormal by its name: UCF-Crime ``Normal`` absent, XD-Violence ``_label_A`` absent.

    ShanghaiTech names carry no label; use its masks (:func:`read_split` with ``abnormal_videos``).
    """
    if dataset not in NAME_LABELLED_DATASETS:
        raise ValueError(f"{dataset}: video names do not tell normal from abnormal")
    return NAME_LABELLED_DATASETS[dataset] not in name


@dataclass(frozen=True)
class VideoSplit:
    """The videos of a split in list order, each with its normal/abnormal flag."""

    path: str
    names: tuple[str, ...]
    abnormal: tuple[bool, ...]

    @property
    def num_abnormal(self) -> int:
        """Number of abnormal videos."""
        return sum(self.abnormal)

    @property
    def num_normal(self) -> int:
        """Number of normal videos."""
        return len(self.names) - self.num_abnormal


def check_split_counts(
    path: str | Path, dataset: str, split: str, num_abnormal: int, num_normal: int
) -> None:
    """Raise :class:`AnnotationError` unless ``(num_abnormal, num_normal)`` are the known counts of the public
    ``split`` of ``dataset`` (:data:`KNOWN_SPLIT_COUNTS`); datasets without known counts pass."""
    expected = KNOWN_SPLIT_COUNTS.get((dataset, split))
    if expected is None or expected == (num_abnormal, num_normal):
        return
    raise AnnotationError(
        path,
        f"{dataset} {split} split should have {expected[0]} abnormal + {expected[1]} normal videos, "
        f"found {num_abnormal} + {num_normal} (truncated or wrong list?); pass check_counts=False for a "
        "custom subset",
    )


def read_split(
    path: str | Path,
    dataset: str,
    *,
    split: str | None = None,
    abnormal_videos: Collection[str] | None = None,
    check_counts: bool = True,
) -> VideoSplit:
    """Read a list file and flag each video normal or abnormal, checking the counts of the public split.

    Args:
        path: a list file (see :func:`read_list_entries`).
        dataset: ``ucf_crime``, ``xd_violence`` or ``shanghaitech`` (others: give ``abnormal_videos``).
        split: ``"train"`` or ``"test"``; by default ``"test"`` when the file name contains ``test``.
        abnormal_videos: names of the abnormal videos, overriding the name rule. ShanghaiTech needs it: a
            video of either weak split is abnormal iff it has a frame mask with a 1 (the 107 masks of the
            one-class test set are the 63 abnormal weak-train and the 44 abnormal weak-test videos).
        check_counts: compare with :data:`KNOWN_SPLIT_COUNTS`; turn off for custom subsets.
    """
    names = read_video_list(path)
    if abnormal_videos is not None:
        abnormal_set = set(abnormal_videos)
        flags = tuple(name in abnormal_set for name in names)
    elif dataset in NAME_LABELLED_DATASETS:
        flags = tuple(is_abnormal_name(dataset, name) for name in names)
    else:
        raise AnnotationError(path, f"{dataset} video names carry no label: give abnormal_videos")
    split = split or ("test" if "test" in Path(path).name.lower() else "train")
    result = VideoSplit(str(path), tuple(names), flags)
    if check_counts:
        check_split_counts(path, dataset, split, result.num_abnormal, result.num_normal)
    return result
