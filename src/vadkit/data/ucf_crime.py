"""UCF-Crime temporal annotations and frame-level ground truth (docs/benchmark-formats.md §1.1, §2.6).

Three annotation forms carry the same 290 test videos:

* the official ``Temporal_Anomaly_Annotation[_for_Testing_Videos].txt``: ``<video>[.mp4]  <Class>  s1  e1  s2
  e2`` (two-space separated, trailing spaces, ``-1 -1`` = no second event, sorted alphabetically);
* UR-DMU's ``UCF_Annotation.txt`` (shipped here as ``UCF_Annotation_with_frame_counts.txt``):
  ``<Class>/<video>.mp4 <n_frames> <Class> s1 e1 s2 e2``, the only file with frame counts;
* RTFM's ``Matlab_formate/<video>.mat``: a struct ``Annotation_file`` with ``VideoName``, ``Anno`` ((K, 2)
  uint8/uint16 ``[start, end]`` rows) and ``EventName``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vadkit.data.conventions import IntervalConvention
from vadkit.data.counts import CountSource, CountTable
from vadkit.data.framing import Framing, Interval, IntervalAnnotation, build_from_intervals
from vadkit.data.lists import is_integer, parse_int, read_lines, video_name
from vadkit.data.matfiles import load_mat_variable, numeric_array
from vadkit.errors import AnnotationError
from vadkit.types import GroundTruth

UCF_CLASSES: tuple[str, ...] = (
    "Normal",
    "Abuse",
    "Arrest",
    "Arson",
    "Assault",
    "Burglary",
    "Explosion",
    "Fighting",
    "RoadAccidents",
    "Robbery",
    "Shooting",
    "Shoplifting",
    "Stealing",
    "Vandalism",
)
"""The 14 classes in VadCLIP's order (docs §1.4)."""


def _pairs(values: list[int], label: str | None, path: Path, where: str) -> tuple[Interval, ...]:
    """``s1 e1 s2 e2 …`` -> intervals, skipping ``-1 -1`` (no event); ``where`` locates errors."""
    if len(values) % 2:
        raise AnnotationError(path, f"{where}: odd number of frame indices ({len(values)})")
    intervals = []
    for s, e in zip(values[::2], values[1::2], strict=True):
        if s < 0 and e < 0:
            continue
        if s < 0 or e < 0:
            raise AnnotationError(path, f"{where}: half-missing interval ({s}, {e})")
        intervals.append((s, e, label))
    return tuple(intervals)


def _parse_text(path: Path) -> dict[str, IntervalAnnotation]:
    annotations: dict[str, IntervalAnnotation] = {}
    first_line: dict[str, int] = {}
    for line in read_lines(path):
        fields = line.text.split()
        with_count = len(fields) >= 3 and is_integer(fields[1])
        name_field, label_at = fields[0], 2 if with_count else 1
        if len(fields) <= label_at or is_integer(fields[label_at]):
            raise AnnotationError(
                path,
                f"line {line.number}: expected '<video> <Class> s1 e1 …' or "
                f"'<Class>/<video>.mp4 <n> <Class> s1 e1 …', "
                f"got {line.text!r}",
            )
        name, label = video_name(name_field), fields[label_at]
        values = [parse_int(token, path, line.number) for token in fields[label_at + 1 :]]
        if name in annotations:
            raise AnnotationError(
                path, f"line {line.number}: {name} already annotated at line {first_line[name]}"
            )
        first_line[name] = line.number
        num_frames = int(fields[1]) if with_count else None
        annotations[name] = IntervalAnnotation(
            name, label, _pairs(values, label, path, f"line {line.number}"), num_frames
        )
    if not annotations:
        raise AnnotationError(path, "no annotation lines")
    return annotations


def _text_field(value: object) -> str:
    return str(np.asarray(value).squeeze()) if np.asarray(value).size else ""


def _parse_mat(path: Path) -> IntervalAnnotation:
    record = load_mat_variable(path, "Annotation_file", squeeze=True)
    fields = getattr(record, "_fieldnames", [])
    if "Anno" not in fields:
        raise AnnotationError(
            path, f"Annotation_file has no field 'Anno' (fields: {', '.join(fields) or 'none'})"
        )
    anno = numeric_array(record.Anno, path, "Anno").astype(np.int64)
    name = video_name(path.name)
    written = _text_field(getattr(record, "VideoName", ""))
    if written and video_name(written) != name:
        raise AnnotationError(path, f"VideoName {written!r} does not match the file name")
    label = _text_field(getattr(record, "EventName", "")) or None
    values = [int(v) for v in anno.ravel()]
    return IntervalAnnotation(name, label, _pairs(values, label, path, "Anno"))


def read_ucf_crime_annotation(source: str | Path) -> dict[str, IntervalAnnotation]:
    """Every video of a UCF-Crime annotation, in file order (``.mat`` folder: sorted file names).

    ``source`` is the official text file, the UR-DMU text file (the form is recognised per line: an integer
    second field is a frame count), a folder of RTFM per-video ``.mat`` files, or one such file. Intervals are
    returned as written; ``-1`` pairs are removed. Raises :class:`AnnotationError` naming the file and line on
    a malformed line, a duplicate video, a missing file or an unreadable ``.mat``.
    """
    path = Path(source)
    if path.is_dir():
        files = sorted(path.glob("*.mat"))
        if not files:
            raise AnnotationError(path, "folder holds no .mat annotation files")
        return {a.name: a for a in map(_parse_mat, files)}
    if path.suffix.lower() == ".mat":
        annotation = _parse_mat(path)
        return {annotation.name: annotation}
    return _parse_text(path)


def build_ucf_crime_gt(
    source: str | Path,
    *,
    list_file: str | Path | None = None,
    convention: str | IntervalConvention = "rtfm",
    length: str = "frames",
    frame_counts: CountSource | CountTable | None = None,
    snippet_counts: CountSource | CountTable | None = None,
    snippet_length: int | str = 16,
    check_counts: bool = True,
) -> dict[str, GroundTruth]:
    """Frame-level ground truth of the UCF-Crime test videos.

    Args:
        source: the annotation, in any form :func:`read_ucf_crime_annotation` reads.
        list_file: a test list fixing the videos and their order (RTFM ``ucf-i3d-test.list``, UR-DMU
            ``UCF_Test.list``, VadCLIP ``ucf_CLIP_rgbtest.csv``, ``Anomaly_Test.txt``); listed normal videos
            missing from the annotation get all-zero labels. Default: every annotated video in file order.
        convention: how ``s e`` map to frames (:data:`~vadkit.data.conventions.CONVENTIONS`). Default
            ``"rtfm"`` (0-based start, inclusive end, as ``make_gt_ucf.py`` builds ``gt-ucf.npy``);
            ``"sultani"`` is the official MATLAB evaluation's 1-based inclusive reading.
        length: ``"frames"`` (n, default), ``"ceil16"``, ``"snippets"`` (T*16, as RTFM and VadCLIP do with T
            from the features) or ``"xdviodet"``.
        frame_counts: n per video: a mapping, a JSON file, or a text file ``<video> <n> …`` such as
            ``UCF_Annotation_with_frame_counts.txt``. A UR-DMU-form ``source`` brings its own counts; this
            option takes precedence for the videos it has.
        snippet_counts: T per video (mapping or JSON file), for ``length="snippets"``.
        snippet_length: frames per snippet (16).
        check_counts: check ``list_file`` has the 140 abnormal + 150 normal videos of the test split.

    Returns:
        ``{video: GroundTruth}`` in list (or annotation) order; events carry the video's class; ``label`` is
        the class (``"Normal"`` for normal videos).

    Raises:
        AnnotationError: malformed annotation or list, a listed abnormal video without annotation, a video
            without the frame/snippet count its length rule needs, or list counts that differ from the split.
    """
    annotations = read_ucf_crime_annotation(source)
    framing = Framing.create(
        source,
        convention=convention,
        length=length,
        snippet_length=snippet_length,
        frame_counts=frame_counts,
        snippet_counts=snippet_counts,
    )
    return build_from_intervals(
        framing,
        annotations,
        dataset="ucf_crime",
        list_file=list_file,
        check_counts=check_counts,
        normal_label=lambda name: "Normal",
    )
