"""XD-Violence temporal annotations and frame-level ground truth (docs/benchmark-formats.md §1.3, §1.4).

* ``annotations.txt`` (XDVioDet; UR-DMU ``XD_Annotation.txt``): ``<name>[.mp4] s1 e1 [s2 e2 …]``, the 500
  violent test videos; VadCLIP's copy appends ``.mp4`` to 14 names.
* ``annotations_multiclasses.txt`` (VadCLIP): ``<name> <cls> s e <cls> s e …`` with classes ``B1`` … ``G``
  (:data:`XD_CLASS_NAMES`). Its intervals differ from ``annotations.txt`` for a few videos (split or added
  events), so the file used is written into ``source``.

Names look like ``<Movie>__#<hh-mm-ss_hh-mm-ss>_label_<TAGS>``; ``TAGS`` is ``A`` (normal) or up to three
class codes joined by ``-`` and padded with ``0`` (``B2-0-0``, ``G-B2-B6``).
"""

from __future__ import annotations

from pathlib import Path

from vadkit.data.conventions import IntervalConvention
from vadkit.data.counts import CountSource, CountTable
from vadkit.data.framing import Framing, Interval, IntervalAnnotation, build_from_intervals
from vadkit.data.lists import is_integer, parse_int, read_lines, video_name
from vadkit.errors import AnnotationError
from vadkit.types import GroundTruth

XD_CLASS_NAMES: dict[str, str] = {
    "A": "normal",
    "B1": "fighting",
    "B2": "shooting",
    "B4": "riot",
    "B5": "abuse",
    "B6": "car accident",
    "G": "explosion",
}
"""XD-Violence class codes and their readable names (VadCLIP's label map, docs §1.4)."""


def xd_video_label(name: str) -> str:
    """The class tag of an XD-Violence video name without its ``0`` padding: ``…_label_B2-0-0`` -> ``"B2"``,
    ``…_label_G-B2-B6`` -> ``"G-B2-B6"``, ``…_label_A`` -> ``"A"``. ``ValueError`` for other names."""
    head, sep, tags = name.rpartition("_label_")
    codes = [code for code in tags.split("-") if code != "0"]
    if not sep or not head or not codes or any(code not in XD_CLASS_NAMES for code in codes):
        raise ValueError(
            f"{name!r} is not an XD-Violence name ('<video>_label_<tags>', tags in {list(XD_CLASS_NAMES)})"
        )
    return "-".join(codes)


def _intervals(fields: list[str], path: Path, line: int) -> tuple[Interval, ...]:
    """``s e s e …`` (binary file) or ``cls s e cls s e …`` (multi-class file) -> ``(s, e, cls)``."""
    if not fields:
        raise AnnotationError(path, f"line {line}: no interval after the video name")
    classed = not is_integer(fields[0])
    step = 3 if classed else 2
    if len(fields) % step:
        form = "'<cls> <s> <e>' triples" if classed else "'<s> <e>' pairs"
        raise AnnotationError(path, f"line {line}: expected {form}, got {len(fields)} fields")
    intervals = []
    for i in range(0, len(fields), step):
        label = fields[i] if classed else None
        if classed and (label not in XD_CLASS_NAMES or label == "A"):
            raise AnnotationError(path, f"line {line}: unknown violence class {label!r}")
        s, e = (parse_int(token, path, line) for token in fields[i + step - 2 : i + step])
        intervals.append((s, e, label))
    return tuple(intervals)


def read_xd_violence_annotation(source: str | Path) -> dict[str, IntervalAnnotation]:
    """Every video of ``annotations.txt`` or ``annotations_multiclasses.txt`` (recognised per line), in file
    order, with intervals as written and the video's class tag (:func:`xd_video_label`) as label.

    Raises :class:`AnnotationError` naming the file and line on a malformed line, a bad name, an unknown class
    or a duplicate video.
    """
    path = Path(source)
    annotations: dict[str, IntervalAnnotation] = {}
    first_line: dict[str, int] = {}
    for line in read_lines(path):
        fields = line.text.split()
        name = video_name(fields[0])
        try:
            label = xd_video_label(name)
        except ValueError as error:
            raise AnnotationError(path, f"line {line.number}: {error}") from None
        if name in annotations:
            raise AnnotationError(
                path, f"line {line.number}: {name} already annotated at line {first_line[name]}"
            )
        first_line[name] = line.number
        annotations[name] = IntervalAnnotation(name, label, _intervals(fields[1:], path, line.number))
    if not annotations:
        raise AnnotationError(path, "no annotation lines")
    return annotations


def build_xd_violence_gt(
    source: str | Path,
    *,
    list_file: str | Path | None = None,
    convention: str | IntervalConvention = "xdviodet",
    length: str = "frames",
    frame_counts: CountSource | CountTable | None = None,
    snippet_counts: CountSource | CountTable | None = None,
    snippet_length: int | str = 16,
    check_counts: bool = True,
) -> dict[str, GroundTruth]:
    """Frame-level ground truth of the XD-Violence test videos.

    Args:
        source: ``annotations.txt`` (binary events) or ``annotations_multiclasses.txt`` (events with classes).
        list_file: the test list fixing videos and order (XDVioDet ``rgb_test.list``/``audio_test.list``,
            UR-DMU ``XD_Test.list``, VadCLIP ``xd_CLIP_rgbtest.csv``); its normal (``_label_A``) videos get
            all-zero labels. Default: the annotated videos in file order.
        convention: default ``"xdviodet"`` (0-based, exclusive end: ``gt[s:e] = 1`` in ``make_gt.py``).
        length: ``"frames"`` (n, default), ``"xdviodet"`` (``floor((n-1)/16)*16``, the frames ``make_gt.py``
            keeps), ``"snippets"`` (T*16, VadCLIP's ``make_gt_xd.py``) or ``"ceil16"``.
        frame_counts: n per video (mapping, JSON file or ``<video> <n>`` text file); annotations carry none.
        snippet_counts: T per video (mapping or JSON file), for ``length="snippets"``.
        snippet_length: frames per snippet (16).
        check_counts: check ``list_file`` has the 500 violent + 300 normal videos of the test split.

    Returns:
        ``{video: GroundTruth}``; ``label`` is the name's class tag (``"A"`` for normal videos), event labels
        are class codes with the multi-class file and ``None`` with the binary one.

    Raises:
        AnnotationError: malformed annotation or list, a listed violent video without annotation, a missing
            frame/snippet count, or list counts that differ from the split.
    """
    annotations = read_xd_violence_annotation(source)
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
        dataset="xd_violence",
        list_file=list_file,
        check_counts=check_counts,
        normal_label=xd_video_label,
    )
