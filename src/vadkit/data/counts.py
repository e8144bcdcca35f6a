"""Per-video frame counts and snippet counts, from wherever the user has them.

Frame-level ground truth needs each video's length, which annotation files rarely carry: UCF-Crime's only
source is UR-DMU's ``UCF_Annotation.txt``, ShanghaiTech's weak-split normal videos have no mask, Ped2's
lengths are the sizes of its frame folders, and RTFM-style evaluation wants the snippet count T of each
feature file.
:func:`read_counts` turns every form into one :class:`CountTable`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from vadkit.data.lists import read_lines, video_name
from vadkit.errors import AnnotationError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
"""Files counted as frames in a frame folder."""

CountSource = Mapping[str, int] | str | Path


@dataclass(frozen=True)
class CountTable:
    """Counts per video name, and where they came from (written into the ground truth's ``source``)."""

    counts: Mapping[str, int] = field(default_factory=dict)
    origin: str = "mapping"

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))

    def get(self, video: str) -> int | None:
        """The count of ``video``, ``None`` when the table does not have it."""
        return self.counts.get(video)


def _count(value: object, where: str | Path, video: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise AnnotationError(where, f"{video}: count must be an integer, got {value!r}")
    try:
        count = int(value)
    except ValueError:
        raise AnnotationError(where, f"{video}: count must be an integer, got {value!r}") from None
    if count < 0:
        raise AnnotationError(where, f"{video}: count must be >= 0, got {count}")
    return count


def _from_mapping(mapping: Mapping[str, object], where: str | Path) -> dict[str, int]:
    return {video_name(str(key)): _count(value, where, str(key)) for key, value in mapping.items()}


def _from_json(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AnnotationError(path, f"invalid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict):
        raise AnnotationError(path, "expected a JSON object mapping video names to counts")
    return _from_mapping(data, path)


def _from_text(path: Path) -> dict[str, int]:
    """Lines ``<video entry> <count> [anything]``: UR-DMU's ``UCF_Annotation.txt`` or a two-column file."""
    counts: dict[str, int] = {}
    for line in read_lines(path):
        fields = line.text.split()
        if len(fields) < 2 or not fields[1].isdigit():
            raise AnnotationError(
                path, f"line {line.number}: expected '<video> <count> ...', got {line.text!r}"
            )
        counts[video_name(fields[0])] = int(fields[1])
    return counts


def _from_frame_folders(folder: Path) -> dict[str, int]:
    """Image files per subfolder of ``folder`` (``Test001/001.tif`` …); subfolders without images skipped."""
    counts = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        frames = sum(1 for f in sub.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
        if frames:
            counts[sub.name] = frames
    if not counts:
        raise AnnotationError(folder, "no subfolder holds image frames to count")
    return counts


def read_counts(source: CountSource | CountTable) -> CountTable:
    """A :class:`CountTable` from any supported form.

    Forms: a mapping ``{video: count}`` (keys may be list entries such as ``Abuse/Abuse001_x264.mp4``); a
    ``.json`` file holding such a mapping; a text file of lines ``<video> <count> …`` (e.g. UR-DMU's
    ``UCF_Annotation_with_frame_counts.txt``); a folder of frame folders (``Test001/*.tif`` …), counting the
    image files of each. Raises :class:`AnnotationError` naming the file and the problem.
    """
    if isinstance(source, CountTable):
        return source
    if isinstance(source, Mapping):
        return CountTable(_from_mapping(source, "frame/snippet count mapping"), "mapping")
    path = Path(source)
    if path.is_dir():
        return CountTable(_from_frame_folders(path), f"frames counted in {path.name}/")
    if not path.exists():
        raise AnnotationError(path, "count file not found")
    counts = _from_json(path) if path.suffix.lower() == ".json" else _from_text(path)
    return CountTable(counts, path.name)
