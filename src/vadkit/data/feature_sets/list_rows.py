"""The rows of a feature list grouped by video, with the crop index of each row.

:func:`~vadkit.data.read_list_entries` decides what a video is (consecutive rows of one name, CSV or not,
duplicates refused); this module adds back each video's row texts (the path field only), which the
readers remap to files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vadkit.data.feature_sets.remap import path_parts
from vadkit.data.lists import read_lines, read_list_entries
from vadkit.errors import AnnotationError

_CROP_INDEX = re.compile(r"__(\d+)$")


@dataclass(frozen=True)
class VideoRows:
    """One video of a list: its bare name, label column (CSV lists, else ``None``), the line numbers and
    path fields of its rows in file order."""

    name: str
    label: str | None
    lines: tuple[int, ...]
    entries: tuple[str, ...]


def read_video_rows(path: Path) -> list[VideoRows]:
    """Every video of a ``.list``/``.txt``/``.csv`` feature list with its rows, in list order.

    Raises:
        AnnotationError: as :func:`~vadkit.data.read_list_entries` (missing or empty list, malformed CSV
            row, a video listed again after others, crop rows disagreeing on the label).
    """
    videos = read_list_entries(path)
    csv = videos[0].label is not None
    lines = read_lines(path)
    starts = [video.line for video in videos]
    result = []
    row = 0
    for index, video in enumerate(videos):
        end = starts[index + 1] if index + 1 < len(videos) else None
        numbers, entries = [], []
        while row < len(lines) and (end is None or lines[row].number < end):
            if lines[row].number >= video.line:
                text = lines[row].text
                numbers.append(lines[row].number)
                entries.append(text.rpartition(",")[0] if csv else text)
            row += 1
        result.append(VideoRows(video.name, video.label, tuple(numbers), tuple(entries)))
    return result


def crop_index(entry: str, list_file: Path, line: int) -> int:
    """The crop ``k`` of a per-crop row ``.../<video>__<k>.npy``.

    Raises:
        AnnotationError: a row without a ``__<k>`` suffix.
    """
    file = path_parts(entry)[-1]
    stem = file[: -len(".npy")] if file.lower().endswith(".npy") else file
    match = _CROP_INDEX.search(stem)
    if match is None:
        raise AnnotationError(list_file, f"line {line}: {entry.strip()!r} has no crop suffix __<k>")
    return int(match.group(1))
