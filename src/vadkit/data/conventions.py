"""Frame conventions of benchmark annotations, made explicit.

Two independent choices shape a frame-level ground truth, and the reference implementations disagree on both
(docs/benchmark-formats.md §2.6):

* the **interval convention**: how an annotated pair ``(s, e)`` maps to frames. vadkit stores every interval
  0-based and half-open, ``[start, end)``; :class:`IntervalConvention` says whether the file's indices are
  0- or 1-based and whether its end is inclusive. Named presets reproduce the reference code:

  ============ ================== ==========================================================
  preset       file convention    0-based half-open
  ============ ================== ==========================================================
  ``sultani``  1-based inclusive  ``[s-1, e)`` (Sultani's MATLAB ``Evaluate_Anomaly_Detector.m``)
  ``ano_pred`` 1-based inclusive  ``[s-1, e)`` (``ped2.mat`` / ``UCSDped2.m`` as ano_pred applies them)
  ``rtfm``     0-based inclusive  ``[s, e+1)`` (RTFM ``make_gt_ucf.py``: ``gt[s:e+1] = 1``)
  ``xdviodet`` 0-based exclusive  ``[s, e)``   (XDVioDet ``make_gt.py``: ``gt[s:e] = 1``)
  ``vadclip``  0-based exclusive  ``[s, e)``   (VadCLIP ``make_gt_*.py``)
  ============ ================== ==========================================================

  Intervals reaching past the last frame (or before the first) are clamped, and intervals left empty by the
  clamp are dropped; :func:`to_events` counts both so a builder can record them.

* the **length rule**: how many frames a video contributes to the evaluated vector (:data:`LENGTH_RULES`),
  given its real frame count ``n`` and/or its snippet count ``T`` (snippets of ``snippet_length`` frames, 16
  by default):

  ============ ====================================== ============================================
  rule         length                                 used by
  ============ ====================================== ============================================
  ``frames``   ``n``                                  vadkit's own evaluation (the default)
  ``ceil16``   ``ceil(n/16)*16``, last label repeated RTFM ShanghaiTech (``gt-sh.npy``)
  ``snippets`` ``T*16``                               RTFM UCF-Crime, VadCLIP (T from the features)
  ``xdviodet`` ``floor((n-1)/16)*16``, tail dropped   XDVioDet ``make_gt.py``
  ============ ====================================== ============================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vadkit.errors import ValidationError
from vadkit.types import EventInterval

LENGTH_RULES: tuple[str, ...] = ("frames", "ceil16", "snippets", "xdviodet")
"""Names of the length rules, see the module docstring."""


@dataclass(frozen=True)
class IntervalConvention:
    """How a file writes an interval ``(s, e)``: the base of its frame indices (0 or 1, for both ends) and
    whether ``e`` is the last abnormal frame (inclusive) or the first normal one after it (exclusive)."""

    base: int
    inclusive_end: bool
    name: str = ""

    def __post_init__(self) -> None:
        if self.base not in (0, 1):
            raise ValidationError(f"IntervalConvention: base must be 0 or 1, got {self.base!r}")

    def to_half_open(self, start: int, end: int) -> tuple[int, int]:
        """``(s, e)`` as written in the file -> 0-based half-open ``[start, end)`` (not clamped)."""
        return start - self.base, end - self.base + int(self.inclusive_end)

    def describe(self) -> str:
        """E.g. ``"0-based inclusive (rtfm)"``; written into :attr:`GroundTruth.source`."""
        text = f"{self.base}-based {'inclusive' if self.inclusive_end else 'exclusive'}"
        return f"{text} ({self.name})" if self.name else text


CONVENTIONS: dict[str, IntervalConvention] = {
    "sultani": IntervalConvention(1, True, "sultani"),
    "ano_pred": IntervalConvention(1, True, "ano_pred"),
    "rtfm": IntervalConvention(0, True, "rtfm"),
    "xdviodet": IntervalConvention(0, False, "xdviodet"),
    "vadclip": IntervalConvention(0, False, "vadclip"),
}
"""The named presets of the table in the module docstring."""

_DESCRIPTIVE = re.compile(r"^([01])[-_ ]?based[-_ ]+(inclusive|exclusive)$")


def get_convention(spec: str | IntervalConvention) -> IntervalConvention:
    """A convention from a preset name (``"rtfm"``), a description (``"1-based inclusive"``) or itself."""
    if isinstance(spec, IntervalConvention):
        return spec
    key = str(spec).strip().lower()
    if key in CONVENTIONS:
        return CONVENTIONS[key]
    match = _DESCRIPTIVE.match(key)
    if match:
        return IntervalConvention(int(match.group(1)), match.group(2) == "inclusive")
    known = ", ".join(sorted(CONVENTIONS))
    raise ValidationError(
        f"unknown interval convention {spec!r}; use one of {known} or e.g. '1-based inclusive'"
    )


def get_length_rule(rule: str) -> str:
    """Validate a length-rule name (case-insensitive) and return it in canonical form."""
    key = str(rule).strip().lower()
    if key not in LENGTH_RULES:
        raise ValidationError(f"unknown length rule {rule!r}; use one of {', '.join(LENGTH_RULES)}")
    return key


@dataclass(frozen=True)
class ClampedEvents:
    """Events fitted into ``[0, num_frames)``: how many intervals were cut (``clamped``) or fell entirely
    outside the video and were removed (``dropped``)."""

    events: tuple[EventInterval, ...]
    clamped: int
    dropped: int


def to_events(
    intervals: Iterable[tuple[int, int, str | None]], convention: IntervalConvention, num_frames: int
) -> ClampedEvents:
    """Annotated ``(s, e, class)`` triples -> half-open events clamped to ``[0, num_frames)``.

    An interval reaching outside the video is cut to it and counted in ``clamped``; one left empty (or empty
    to begin with) is removed and counted in ``dropped``. Events keep the file's order.
    """
    events: list[EventInterval] = []
    clamped = dropped = 0
    for s, e, label in intervals:
        start, end = convention.to_half_open(s, e)
        fitted_start, fitted_end = max(start, 0), min(end, num_frames)
        if fitted_end <= fitted_start:
            dropped += 1
            continue
        clamped += int((fitted_start, fitted_end) != (start, end))
        events.append(EventInterval(fitted_start, fitted_end, label))
    return ClampedEvents(tuple(events), clamped, dropped)


def events_to_labels(events: Iterable[EventInterval], num_frames: int) -> np.ndarray:
    """A uint8 0/1 vector of ``num_frames`` frames with the frames of ``events`` set to 1."""
    labels = np.zeros(num_frames, dtype=np.uint8)
    for event in events:
        labels[event.start : event.end] = 1
    return labels


def labels_to_events(labels: np.ndarray) -> tuple[EventInterval, ...]:
    """The maximal runs of 1s of a 0/1 vector as half-open events (no class)."""
    padded = np.concatenate(([0], np.asarray(labels, dtype=np.int8) != 0, [0])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return tuple(EventInterval(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True))


def paint_length(
    rule: str, num_frames: int | None, num_snippets: int | None, snippet_length: int
) -> int | None:
    """Length of the vector on which a video's annotation is drawn before the length rule applies.

    ``n`` for ``frames``/``ceil16``/``xdviodet``; ``T*snippet_length`` for ``snippets`` (the annotation is
    drawn straight onto the snippet grid, as RTFM and VadCLIP do). ``ceil16`` falls back to
    ``T*snippet_length`` when ``n`` is unknown (the grid of features extracted with ceil rounding, as RTFM's
    ShanghaiTech ones). ``None`` when the counts the rule needs are missing.
    """
    if rule == "snippets" or (rule == "ceil16" and num_frames is None):
        return None if num_snippets is None else num_snippets * snippet_length
    return num_frames


def apply_length_rule(
    labels: np.ndarray, rule: str, num_snippets: int | None, snippet_length: int
) -> tuple[np.ndarray, int, int]:
    """Fit a video's frame labels (drawn on its real frames) to the length ``rule`` asks for.

    ``ceil16`` and ``snippets`` extend with the last label (RTFM's padding); ``xdviodet`` and a ``snippets``
    grid shorter than the video drop the tail. Returns ``(labels, padded, truncated)`` with the number of
    frames added and removed. ``num_snippets`` is needed by ``snippets`` only.
    """
    n = int(labels.shape[0])
    if rule == "frames":
        target = n
    elif rule == "ceil16":
        target = math.ceil(n / snippet_length) * snippet_length
    elif rule == "xdviodet":
        target = max(n - 1, 0) // snippet_length * snippet_length
    else:
        if num_snippets is None:
            raise ValidationError("length rule 'snippets' needs the snippet count T")
        target = num_snippets * snippet_length
    if target <= n:
        return labels[:target], 0, n - target
    fill = labels[-1] if n else 0
    return np.concatenate([labels, np.full(target - n, fill, dtype=labels.dtype)]), target - n, 0
