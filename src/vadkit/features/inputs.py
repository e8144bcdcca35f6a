"""Which videos an extraction reads, and the id (hence the output name) of each.

Inputs are folders, video files, frame folders and list files:

* a **folder** holding videos is searched recursively for video files (:data:`VIDEO_EXTENSIONS`, any case)
  and for **frame folders**, folders that hold images (:data:`~vadkit.io.IMAGE_EXTENSIONS`) and no video
  (Ped2 ``Test001/``, Avenue ``01/``); a frame folder is one video and is not searched further; hidden
  files and folders are ignored;
* a folder that is itself a frame folder, or a **video file**, is one video;
* any other file is a **list file**: one video file or frame folder per line (blank lines, CRLF, a BOM and
  trailing spaces are tolerated); relative entries are resolved against ``root`` when given, else the list's
  own folder.

The id of a video is its path relative to its base (the searched folder; for list entries and named files
``root`` or, without it, the list's folder), ``/``-separated, without its video extension:
``videos/Running/s01_0003.mp4`` searched from ``videos`` is ``Running/s01_0003`` and its features are
written to ``<out>/Running/s01_0003.npy``. A video outside its base is known by its bare name. Only the video
extension is removed, so names with dots (XD-Violence) survive. Two different videos with one id are an
error, as is the id ``manifest`` (the run manifest's name).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vadkit.data.lists import read_lines
from vadkit.errors import ValidationError
from vadkit.io import IMAGE_EXTENSIONS, natural_key

VIDEO_EXTENSIONS = (".avi", ".m4v", ".mkv", ".mov", ".mp4", ".webm")
"""Suffixes (any case) of the files taken as videos."""

RESERVED_IDS = ("manifest",)
"""Video ids that would collide with the run manifest."""


@dataclass(frozen=True)
class VideoSource:
    """One video to extract: its id (``/``-separated relative path without extension) and where it is."""

    video: str
    path: Path


def is_video_file(path: Path) -> bool:
    """Whether ``path`` has a video extension (the file itself is not opened)."""
    return path.suffix.lower() in VIDEO_EXTENSIONS


def _video_id(path: Path, base: Path | None) -> str:
    """``path`` relative to ``base`` (its bare name when outside), without a video extension."""
    relative = Path(path.name)
    if base is not None:
        try:
            relative = path.resolve().relative_to(base.resolve())
        except ValueError:
            relative = Path(path.name)
    name = relative.as_posix()
    return name[: -len(path.suffix)] if is_video_file(path) and path.suffix else name


def _visible(names: Iterable[str]) -> list[str]:
    return sorted((name for name in names if not name.startswith(".")), key=natural_key)


def _is_frame_folder(files: Iterable[str]) -> bool:
    suffixes = {Path(name).suffix.lower() for name in files}
    return bool(suffixes & set(IMAGE_EXTENSIONS)) and not suffixes & set(VIDEO_EXTENSIONS)


def find_videos(folder: str | Path) -> list[VideoSource]:
    """The videos and frame folders under ``folder``, in natural order, with ids relative to ``folder``.

    ``folder`` itself, when it is a frame folder, is one video named after it.
    """
    folder = Path(folder)
    found: list[VideoSource] = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = _visible(dirs)
        here = Path(current)
        names = _visible(files)
        if _is_frame_folder(names):
            dirs[:] = []
            found.append(VideoSource(_video_id(here, folder.parent if here == folder else folder), here))
            continue
        found += [VideoSource(_video_id(here / n, folder), here / n) for n in names if is_video_file(Path(n))]
    return sorted(found, key=lambda source: natural_key(source.video))


def read_list_file(list_file: str | Path, root: str | Path | None = None) -> list[VideoSource]:
    """The videos named by a list file, in its order; relative entries resolve against ``root`` (default:
    the list's folder), which is also the base of the ids."""
    list_file = Path(list_file)
    base = Path(root) if root is not None else list_file.parent
    sources = []
    for line in read_lines(list_file):
        entry = Path(line.text.strip())
        path = entry if entry.is_absolute() else base / entry
        sources.append(VideoSource(_video_id(path, base), path))
    if not sources:
        raise ValidationError(f"{list_file}: the list names no video")
    return sources


def _sources_of(entry: Path, root: Path | None) -> list[VideoSource]:
    if not entry.exists():
        raise ValidationError(f"{entry}: input does not exist (expected a folder, a video or a list file)")
    if entry.is_dir():
        sources = find_videos(entry)
        if not sources:
            raise ValidationError(
                f"{entry}: no video ({', '.join(VIDEO_EXTENSIONS)}) and no frame folder found in it"
            )
        return sources
    if is_video_file(entry):
        return [VideoSource(_video_id(entry, root), entry)]
    return read_list_file(entry, root)


def collect_videos(
    inputs: str | Path | Sequence[str | Path],
    *,
    root: str | Path | None = None,
    exclude: Sequence[str] = (),
) -> list[VideoSource]:
    """The unique videos of ``inputs`` (folders, videos, frame folders, list files), in input order.

    Args:
        inputs: one input or several (see the module docstring).
        root: base for the ids of named videos and for the relative entries of list files.
        exclude: glob patterns (``fnmatch``) on video ids to leave out, e.g. ``"*_gt"`` for Ped2's mask
            folders.

    Raises:
        ValidationError: an input that does not exist, a folder without videos, an empty list, two different
            videos with one id, the reserved id ``manifest``, or nothing left to extract.
    """
    entries = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    base = None if root is None else Path(root)
    by_id: dict[str, VideoSource] = {}
    for entry in entries:
        for source in _sources_of(Path(entry), base):
            if any(fnmatch.fnmatchcase(source.video, pattern) for pattern in exclude):
                continue
            known = by_id.setdefault(source.video, source)
            if known.path.resolve() != source.path.resolve():
                raise ValidationError(
                    f"{known.path} and {source.path} would both be written as {source.video}.npy; "
                    "give them distinct names or relative folders"
                )
    reserved = [video for video in by_id if video in RESERVED_IDS]
    if reserved:
        raise ValidationError(f"{by_id[reserved[0]].path}: the video id {reserved[0]!r} is reserved")
    if not by_id:
        raise ValidationError(f"no video to extract in {', '.join(str(e) for e in entries) or 'the inputs'}")
    return list(by_id.values())
