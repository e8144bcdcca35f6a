"""Turning one video's annotation into a :class:`~vadkit.types.GroundTruth`, the same way for every benchmark.

Every builder describes a video either by annotated intervals (UCF-Crime, XD-Violence, Ped2; a normal video
has none) or by a per-frame mask (ShanghaiTech, Avenue). :class:`Framing` holds the choices that turn either
into frame labels (interval convention, length rule, snippet length, frame and snippet counts) and writes
them, with what happened to the video (events clamped or dropped, frames padded or truncated), into
``GroundTruth.source``, e.g. ``"Temporal_Anomaly_Annotation.txt; 0-based inclusive (rtfm); frames, n from
UCF_Annotation.txt; clamped=1"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vadkit.data.conventions import (
    IntervalConvention,
    apply_length_rule,
    events_to_labels,
    get_convention,
    get_length_rule,
    labels_to_events,
    paint_length,
    to_events,
)
from vadkit.data.counts import CountSource, CountTable, read_counts
from vadkit.data.lists import is_abnormal_name, read_split
from vadkit.errors import AnnotationError, ValidationError
from vadkit.types import EventInterval, GroundTruth

Interval = tuple[int, int, str | None]
"""An annotated ``(s, e, class)`` as written in the file (convention not yet applied)."""


@dataclass(frozen=True)
class IntervalAnnotation:
    """One video of an interval annotation file: its class, its intervals as written (``(s, e, class)``,
    no convention applied, "no event" markers such as ``-1 -1`` removed) and its frame count if the file
    has it."""

    name: str
    label: str | None
    intervals: tuple[Interval, ...]
    num_frames: int | None = None


def _snippet_length(value: int | str) -> int:
    """``value`` (an int, or its decimal string from the command line) checked to be a positive integer."""
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, bool) or not (isinstance(value, int) or (text and text.isdigit())):
        raise ValidationError(f"snippet_length must be a positive integer, got {value!r}")
    length = int(value)
    if length < 1:
        raise ValidationError(f"snippet_length must be a positive integer, got {value!r}")
    return length


@dataclass(frozen=True)
class Framing:
    """The frame conventions of one ground-truth build.

    ``annotation`` is the path of the file or folder the annotation came from (its name goes into ``source``).
    ``frame_counts`` give n per video, ``snippet_counts`` T per video; which ones a video needs depends on the
    length rule (see :mod:`vadkit.data.conventions`).
    """

    annotation: Path
    convention: IntervalConvention | None
    rule: str
    snippet_length: int
    frame_counts: CountTable | None
    snippet_counts: CountTable | None

    @classmethod
    def create(
        cls,
        annotation: str | Path,
        *,
        convention: str | IntervalConvention | None,
        length: str,
        snippet_length: int | str,
        frame_counts: CountSource | CountTable | None,
        snippet_counts: CountSource | CountTable | None,
    ) -> Framing:
        """Resolve string options (as given on the command line) into a :class:`Framing`; ``convention`` is
        ``None`` for mask-only sources."""
        return cls(
            Path(annotation),
            None if convention is None else get_convention(convention),
            get_length_rule(length),
            _snippet_length(snippet_length),
            None if frame_counts is None else read_counts(frame_counts),
            None if snippet_counts is None else read_counts(snippet_counts),
        )

    def _counts(self, video: str, num_frames: int | None) -> tuple[int | None, int | None]:
        n = num_frames
        if n is None and self.frame_counts is not None:
            n = self.frame_counts.get(video)
        t = None if self.snippet_counts is None else self.snippet_counts.get(video)
        return n, t

    def _paint_length(self, video: str, n: int | None, t: int | None) -> int:
        length = paint_length(self.rule, n, t, self.snippet_length)
        if length is None:
            raise self._missing_count(video)
        return length

    def _missing_count(self, video: str) -> AnnotationError:
        need = {
            "snippets": "snippet count T (snippet_counts=...)",
            "ceil16": "frame count (frame_counts=...) or snippet count T (snippet_counts=...)",
        }.get(self.rule, "frame count (frame_counts=...)")
        return AnnotationError(self.annotation, f"{video}: length rule {self.rule!r} needs its {need}")

    def _length_note(self, n_origin: str | None) -> str:
        """How the length was found: ``n_origin`` names where n came from (``None``: n unknown, T used)."""
        if self.rule == "snippets" or n_origin is None:
            t_origin = self.snippet_counts.origin if self.snippet_counts else "?"
            return f"{self.rule} (T*{self.snippet_length}, T from {t_origin})"
        return f"{self.rule} (n from {n_origin})"

    def _n_origin(self, n: int | None, from_annotation: bool) -> str | None:
        if n is None:
            return None
        if from_annotation or self.frame_counts is None:
            return self.annotation.name
        return self.frame_counts.origin

    def _finish(
        self,
        video: str,
        labels: np.ndarray,
        events: Sequence[EventInterval],
        num_snippets: int | None,
        label: str | None,
        head: str,
        notes: Mapping[str, int],
    ) -> GroundTruth:
        labels, padded, truncated = apply_length_rule(labels, self.rule, num_snippets, self.snippet_length)
        if truncated:
            kept = labels.shape[0]
            events = [EventInterval(e.start, min(e.end, kept), e.label) for e in events if e.start < kept]
        notes = {**notes, "padded": padded, "truncated": truncated}
        tail = "".join(f"; {key}={value}" for key, value in notes.items() if value)
        return GroundTruth(video=video, labels=labels, events=tuple(events), label=label, source=head + tail)

    def from_intervals(
        self, video: str, intervals: Iterable[Interval], *, label: str | None, num_frames: int | None = None
    ) -> GroundTruth:
        """Ground truth of a video annotated by intervals (an empty list for an annotated normal video).

        ``num_frames`` overrides the frame-count table (for annotation files that carry n themselves).
        Raises :class:`AnnotationError` naming the video when the counts its length rule needs are missing.
        """
        if self.convention is None:
            raise ValidationError(f"{video}: an interval annotation needs an interval convention")
        n, t = self._counts(video, num_frames)
        length = self._paint_length(video, n, t)
        fitted = to_events(intervals, self.convention, length)
        note = self._length_note(self._n_origin(n, num_frames is not None))
        head = f"{self.annotation.name}; {self.convention.describe()}; {note}"
        labels = events_to_labels(fitted.events, length)
        notes = {"clamped": fitted.clamped, "dropped": fitted.dropped}
        return self._finish(video, labels, fitted.events, t, label, head, notes)

    def unannotated(self, video: str, *, label: str | None, reason: str) -> GroundTruth:
        """All-zero ground truth of a normal video that the annotation does not list; ``reason`` says why it
        is normal (written into ``source``). Needs the same counts as :meth:`from_intervals`."""
        n, t = self._counts(video, None)
        length = self._paint_length(video, n, t)
        head = f"{reason}; {self._length_note(self._n_origin(n, False))}"
        return self._finish(video, np.zeros(length, dtype=np.uint8), (), t, label, head, {})

    def from_mask(self, video: str, mask: np.ndarray, *, label: str | None, origin: str) -> GroundTruth:
        """Ground truth of a video given by a 0/1 mask over its real frames; events are the runs of 1s.

        ``origin`` names the mask file in ``source``. Raises :class:`AnnotationError` when the rule is
        ``snippets`` and the video has no snippet count.
        """
        _, t = self._counts(video, None)
        if self.rule == "snippets" and t is None:
            raise self._missing_count(video)
        labels = np.asarray(mask, dtype=np.uint8)
        head = f"{origin}; frame mask; {self._length_note('the mask')}"
        return self._finish(video, labels, labels_to_events(labels), t, label, head, {})


def concatenate_labels(gts: Mapping[str, GroundTruth], order: Sequence[str] | None = None) -> np.ndarray:
    """The videos' labels end to end (float64, like the reference ``gt-*.npy`` files), in ``order`` (default:
    the mapping's order). Raises :class:`AnnotationError` naming a video of ``order`` that ``gts`` lacks."""
    names = list(gts) if order is None else list(order)
    missing = [name for name in names if name not in gts]
    if missing:
        raise AnnotationError("concatenate_labels", f"no ground truth for video {missing[0]}")
    parts = [gts[name].labels for name in names]
    return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0, dtype=np.float64)


def build_from_intervals(
    framing: Framing,
    annotations: Mapping[str, IntervalAnnotation],
    *,
    dataset: str,
    list_file: str | Path | None,
    check_counts: bool,
    normal_label: Callable[[str], str],
) -> dict[str, GroundTruth]:
    """Ground truth of every video of ``list_file``, in its order (default: the annotated videos, file order).

    A listed video missing from the annotation is normal when its name says so (all-zero labels, class
    ``normal_label(name)``); otherwise an :class:`AnnotationError` names it. A frame count in the annotation
    itself is used unless ``framing.frame_counts`` has the video. The list is checked against the known counts
    of the dataset's test split unless ``check_counts`` is false.
    """
    if list_file is None:
        names: Sequence[str] = list(annotations)
    else:
        names = read_split(list_file, dataset, split="test", check_counts=check_counts).names
    gts: dict[str, GroundTruth] = {}
    for name in names:
        annotation = annotations.get(name)
        if annotation is not None:
            in_table = framing.frame_counts is not None and framing.frame_counts.get(name) is not None
            n = None if in_table else annotation.num_frames
            gts[name] = framing.from_intervals(
                name, annotation.intervals, label=annotation.label, num_frames=n
            )
        elif not is_abnormal_name(dataset, name):
            reason = f"{framing.annotation.name}: not annotated, normal by name"
            gts[name] = framing.unannotated(name, label=normal_label(name), reason=reason)
        else:
            raise AnnotationError(
                str(list_file),
                f"unknown video {name}: abnormal by its name but not in {framing.annotation.name}",
            )
    return gts
