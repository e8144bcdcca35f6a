"""Where a list row's feature file is on this machine.

Published lists carry their authors' paths (``G:\\UCF_Train_ten_crop_i3d\\Abuse001_x264_i3d.npy``,
``/media/peng/Samsung_T5/i3d-features/RGB/<name>__0.npy``, ``dataset/Abuse/Abuse001_x264__0.npy``). With a
feature root, only the last ``keep_parts`` path parts of a row are kept and joined to it, whatever the
prefix and the separators (``\\`` or ``/``): ``keep_parts=1`` keeps the file name, ``keep_parts=2`` also
its folder, which is the class folder in the UCF-Crime per-crop releases (UR-DMU ``dataset/Abuse/...``,
VadCLIP ``UCFClipFeatures/Abuse/...``; normal videos in ``Training_Normal_Videos_Anomaly/``).
"""

from __future__ import annotations

import re
from pathlib import Path

from vadkit.errors import AnnotationError, ValidationError

_SEPARATORS = re.compile(r"[\\/]+")
_DRIVE = re.compile(r"^[A-Za-z]:$")


def path_parts(entry: str) -> list[str]:
    """The folders and file name of a list entry, split on ``/`` and ``\\`` (a Windows drive dropped)."""
    parts = [part for part in _SEPARATORS.split(entry.strip()) if part]
    return [part for part in parts if not _DRIVE.match(part)]


def remap_entry(
    entry: str, feature_root: str | Path | None, keep_parts: int, list_file: Path, line: int
) -> Path:
    """The file a list row names, on this machine.

    Args:
        entry: the path field of the row.
        feature_root: the folder holding the release here; ``None`` keeps the row's path as written
            (relative rows are taken from the list's folder).
        keep_parts: how many trailing path parts of the row to keep under ``feature_root`` (>= 1).
        list_file: the list (for relative rows and error messages).
        line: the row's line number (for error messages).

    Raises:
        AnnotationError: an empty row, or a Windows path without ``feature_root``.
    """
    parts = path_parts(entry)
    if not parts:
        raise AnnotationError(list_file, f"line {line}: no file named in {entry!r}")
    if feature_root is not None:
        return Path(feature_root).joinpath(*parts[-keep_parts:])
    text = entry.strip()
    if _DRIVE.match(text[:2]) or "\\" in text:
        raise AnnotationError(list_file, f"line {line}: Windows path {text!r}: give the feature root")
    path = Path(text)
    return path if path.is_absolute() else list_file.parent / path


def check_keep_parts(keep_parts: int) -> int:
    """``keep_parts`` checked to be a positive integer."""
    if isinstance(keep_parts, bool) or not isinstance(keep_parts, int) or keep_parts < 1:
        raise ValidationError(f"keep_parts must be a positive integer, got {keep_parts!r}")
    return keep_parts
