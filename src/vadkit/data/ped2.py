"""UCSD Ped2 frame-level ground truth from ``ped2.mat`` or ``UCSDped2.m`` (docs/benchmark-formats.md §1.5).

* ``ped2.mat`` (ano_pred's ``Codes/evaluate.py``): variable ``gt``, a (1, 12) cell of (2, K) arrays, row 0 the
  starts and row 1 the ends of K ranges, 1-based inclusive.
* ``UCSDped2.m`` (the official release, in ``UCSDped2/Test/``): one line per test video,
  ``TestVideoFile{end+1}.gt_frame = [61:180];``, possibly several ranges ``[1:15, 45:113]``, 1-based
  inclusive.

The two disagree on 7 of the 12 videos, so ``source`` records which one was used. Neither carries frame
counts: they come from the ``Test001/`` … frame folders (counting image files), a mapping, or the published
counts (:data:`PED2_TEST_FRAME_COUNTS`). Videos are named ``Test001`` … in file order.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vadkit.data.conventions import IntervalConvention
from vadkit.data.counts import CountSource, CountTable, read_counts
from vadkit.data.framing import Framing, Interval, IntervalAnnotation, build_from_intervals
from vadkit.data.lists import read_lines
from vadkit.data.matfiles import load_mat_variable, numeric_array
from vadkit.errors import AnnotationError
from vadkit.types import GroundTruth

PED2_TEST_FRAME_COUNTS: dict[str, int] = {
    f"Test{i:03d}": n
    for i, n in enumerate((180, 180, 150, 180, 150, 180, 180, 180, 120, 150, 180, 180), start=1)
}
"""Frames of the 12 Ped2 test clips as published (2010 in all); ``frame_counts="published"`` selects them."""

_PUBLISHED = CountTable(PED2_TEST_FRAME_COUNTS, "published Ped2 counts")
_GT_LINE = re.compile(r"gt_frame\s*=\s*\[([^\]]*)\]")
_RANGE = re.compile(r"^(\d+)(?::(\d+))?$")


def _video(index: int) -> str:
    return f"Test{index:03d}"


def _from_mat(path: Path) -> list[tuple[Interval, ...]]:
    cells = load_mat_variable(path, "gt")
    if not isinstance(cells, np.ndarray) or cells.dtype != object:
        raise AnnotationError(path, "'gt' must be a cell array of (2, K) range arrays")
    videos = []
    for index, cell in enumerate(cells.ravel(), start=1):
        ranges = numeric_array(cell, path, f"gt entry {index}")
        if ranges.size == 2:
            ranges = ranges.reshape(2, 1)
        if ranges.ndim != 2 or ranges.shape[0] != 2:
            raise AnnotationError(path, f"gt entry {index} must have shape (2, K), got {ranges.shape}")
        videos.append(tuple((int(s), int(e), None) for s, e in ranges.T))
    return videos


def _from_m(path: Path) -> list[tuple[Interval, ...]]:
    videos = []
    for line in read_lines(path):
        if "gt_frame" not in line.text or line.text.lstrip().startswith("%"):
            continue
        match = _GT_LINE.search(line.text)
        if not match:
            raise AnnotationError(
                path, f"line {line.number}: expected 'gt_frame = [s:e, …];', got {line.text!r}"
            )
        intervals = []
        for part in filter(None, (p.strip() for p in match.group(1).split(","))):
            bounds = _RANGE.match(part.replace(" ", ""))
            if not bounds:
                raise AnnotationError(path, f"line {line.number}: bad range {part!r}")
            start = int(bounds.group(1))
            intervals.append((start, int(bounds.group(2) or start), None))
        videos.append(tuple(intervals))
    return videos


def read_ped2_annotation(source: str | Path) -> dict[str, IntervalAnnotation]:
    """The ranges of every Ped2 test video (``Test001`` …) from ``ped2.mat`` or the ``UCSDped2.m`` text, as
    written (1-based inclusive). Raises :class:`AnnotationError` for a malformed file or one with no video."""
    path = Path(source)
    videos = _from_mat(path) if path.suffix.lower() == ".mat" else _from_m(path)
    if not videos:
        raise AnnotationError(path, "no test video ranges found")
    return {
        _video(i): IntervalAnnotation(_video(i), "Abnormal" if v else "Normal", v)
        for i, v in enumerate(videos, start=1)
    }


def _frame_counts(source: Path, frame_counts: CountSource | CountTable | None) -> CountTable:
    """The explicit counts; else the frame folders beside the annotation (``Test001/``); else published."""
    if isinstance(frame_counts, str) and frame_counts == "published":
        return _PUBLISHED
    if frame_counts is not None:
        return read_counts(frame_counts)
    if (source.parent / "Test001").is_dir():
        return read_counts(source.parent)
    return _PUBLISHED


def build_ped2_gt(
    source: str | Path,
    *,
    convention: str | IntervalConvention = "ano_pred",
    length: str = "frames",
    frame_counts: CountSource | CountTable | None = None,
    snippet_counts: CountSource | CountTable | None = None,
    snippet_length: int | str = 16,
) -> dict[str, GroundTruth]:
    """Frame-level ground truth of the UCSD Ped2 test clips.

    Args:
        source: ``ped2.mat`` (any ``.mat``) or the ``UCSDped2.m`` text (any other suffix).
        convention: default ``"ano_pred"`` (1-based inclusive, ``gt[s-1:e] = 1``).
        length: ``"frames"`` (default) or another length rule.
        frame_counts: n per clip: a mapping, a JSON file, a folder of frame folders (``Test001/*.tif`` …), or
            ``"published"`` (:data:`PED2_TEST_FRAME_COUNTS`). Default: the frame folders next to ``source``
            when ``Test001/`` is there (the official layout of ``UCSDped2.m``), else the published counts;
            ``source`` of each result says which.
        snippet_counts: T per clip, for ``length="snippets"``.
        snippet_length: frames per snippet (16).

    Returns:
        ``{"Test001": GroundTruth, …}`` in file order; ``label`` ``"Abnormal"`` (all 12 real clips) or
        ``"Normal"`` for a clip without ranges.
    """
    path = Path(source)
    annotations = read_ped2_annotation(path)
    framing = Framing.create(
        path,
        convention=convention,
        length=length,
        snippet_length=snippet_length,
        frame_counts=_frame_counts(path, frame_counts),
        snippet_counts=snippet_counts,
    )
    return build_from_intervals(
        framing,
        annotations,
        dataset="ped2",
        list_file=None,
        check_counts=False,
        normal_label=lambda name: "Normal",
    )
