"""VadCLIP's fine-grained ground truth for mAP@IoU: ``gt_segment*.npy`` and ``gt_label*.npy`` (docs §1.4).

Both files are object arrays with one entry per test video, in the order of the test CSV
(``ucf_CLIP_rgbtest.csv``, ``xd_CLIP_rgbtest.csv``): ``segments[i]`` is a list of ``[start, end]`` pairs
(strings such as ``'165'`` for abnormal videos, ints ``[0, T*16]`` for normal ones) and ``labels[i]`` the
class of each pair (``'Abuse'``… for UCF-Crime, ``'B1'``… for XD-Violence, and ``'A'`` for normal videos in
both). VadCLIP compares a prediction ``[s, e)`` with ``range(start, end)``, so the pairs are read as
half-open frame intervals; they are kept exactly as written (not clamped), labels included, so that the
``compat="vadclip"`` mAP sees the same ground truth as the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vadkit.data.lists import read_video_list
from vadkit.data.object_npy import load_object_npy
from vadkit.errors import AnnotationError, ValidationError
from vadkit.types import EventInterval


def _frame_index(value: Any, path: Path, where: str) -> int:
    """An ``int``/numpy integer, or a decimal string such as ``'165'``, as an int."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise AnnotationError(path, f"{where}: expected a frame index, got {value!r}")


def _video_events(
    segments: Any, labels: Any, paths: tuple[Path, Path], where: str
) -> tuple[EventInterval, ...]:
    segment_file, label_file = paths
    if not isinstance(segments, (list, tuple, np.ndarray)) or not isinstance(
        labels, (list, tuple, np.ndarray)
    ):
        raise AnnotationError(segment_file, f"{where}: expected lists, got {type(segments).__name__}")
    if len(segments) != len(labels):
        raise AnnotationError(
            label_file, f"{where}: {len(segments)} segments in {segment_file.name} but {len(labels)} labels"
        )
    events = []
    for j, (pair, label) in enumerate(zip(segments, labels, strict=True)):
        if len(pair) != 2 or not isinstance(label, str):
            raise AnnotationError(
                segment_file, f"{where}, segment {j}: expected [start, end] and a class name"
            )
        start, end = (_frame_index(value, segment_file, f"{where}, segment {j}") for value in pair)
        try:
            events.append(EventInterval(start, end, str(label)))
        except ValidationError as error:
            raise AnnotationError(segment_file, f"{where}, segment {j}: {error}") from None
    return tuple(events)


def read_vadclip_segments(
    segment_file: str | Path, label_file: str | Path, list_file: str | Path
) -> dict[str, tuple[EventInterval, ...]]:
    """``{video: events}`` of VadCLIP's fine-grained ground truth, in the order of ``list_file``.

    Args:
        segment_file: ``gt_segment_ucf.npy`` or ``gt_segment.npy``, read with
            :func:`~vadkit.data.object_npy.load_object_npy` (never a bare ``allow_pickle=True``).
        label_file: the matching ``gt_label_ucf.npy`` or ``gt_label.npy``.
        list_file: the test CSV giving the videos of the entries, in order.

    Returns:
        One tuple of :class:`~vadkit.types.EventInterval` per video: ``[start, end)`` as written, with the
        label as written (``'A'`` marks the single whole-video segment of a normal video).

    Raises:
        ValidationError: an unsafe or unreadable ``.npy`` file (from the loader).
        AnnotationError: naming the file and video: lengths that differ between the three files, a pair that
            is not two frame indices, or an empty or reversed segment.
    """
    paths = (Path(segment_file), Path(label_file))
    names = read_video_list(list_file)
    segments, labels = (load_object_npy(path) for path in paths)
    for path, array in zip(paths, (segments, labels), strict=True):
        if array.ndim != 1 or array.shape[0] != len(names):
            raise AnnotationError(
                path,
                f"expected one entry per video of {Path(list_file).name} ({len(names)}), got {array.shape}",
            )
    return {
        name: _video_events(segments[i], labels[i], paths, f"entry {i} ({name})")
        for i, name in enumerate(names)
    }
