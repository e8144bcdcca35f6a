"""Weight-free evidence for an event: where and how its ``motion`` features deviate from normal.

:func:`explain_event` compares the :class:`~vadkit.features.motion.MotionExtractor` features of an event's
snippets with :class:`~vadkit.explain.normal_statistics.NormalStatistics` of normal training videos and
returns an :class:`Evidence`: the grid cells involved and a box around them in frame pixels, the kind of
deviation and its size in standard deviations, the most deviating named dimensions in words, and the key
frames to look at.

**Snippets.** Snippet ``i`` covers frames ``[i * stride, i * stride + length)`` of the extractor's
:class:`~vadkit.types.SnippetSpec`; the event's snippets are those that overlap its frames ``[start, end)``
(and exist: ``i < T``).

**z-scores.** ``z = (x - center) / scale`` per snippet and dimension (signed; scale floored, see
:mod:`~vadkit.explain.normal_statistics`). The *size* of a deviation, ``sd``, is what is ranked:

* for motion and object dimensions, the positive part ``max(z, 0)``: more (or faster) motion than normal is
  the evidence; less motion than normal is not, because normal videos routinely have quiet moments, and an
  object that stops shows up as an appearance change without motion instead (static foreground, below);
* for appearance dimensions (intensity, edges), ``|z|``: darker and brighter, more and fewer edges are both
  changes (lights off, an object removed).

Over the event, a dimension's size is its largest over the event's snippets (its ``z`` is taken at that
snippet).

**Deviation kinds** (:data:`DEVIATION_KINDS`), from the dimensions' kinds
(:meth:`~vadkit.features.motion.MotionExtractor.describe_dimension`):

* ``"speed"``: how much moves how fast: the moving speed bins ``speed[a-b)`` with ``a > 0`` (the static bin
  ``speed[0-e0)`` is one minus the moving fraction, so it adds nothing and is left out), ``moving.max``, the
  whole-frame object size x speed histogram and ``objects.speed.max``;
* ``"direction"``: ``dir.*``; the evidence names the compass direction of the most deviating one
  (``"west"`` for ``dir.W``; north is up in the picture);
* ``"static foreground"``: an appearance change (intensity mean or spread, edges) in a cell *without*
  unusual motion (no speed or direction dimension of that cell at ``threshold`` sd in that snippet), as long
  as it is local (at most half the cells change appearance in that snippet). This is what a new still thing
  looks like to these features: a bag left behind, a car that parks, a person who stops and stands. What it
  cannot see: a still object that looks like the background it covers (same brightness, contrast and edge
  density), a thing too small to move its cell's averages by ``threshold`` normal spreads, and the
  difference between appearing, leaving and stopping (a thing removed changes the cell as much); by default
  the appearance of a snippet is the mean of two frames, so it is seen from the first snippet it is in;
* ``"appearance change"``: every other appearance deviation: in a cell that also moves unusually (a moving
  thing changing the picture), or when more than half the cells change at once (lighting, a covered lens);
* ``"objects"``: the other whole-frame moving-object dimensions: the size x shape histogram,
  ``objects.count`` and ``objects.size.max``.

**Cells and box.** A cell's size is the largest of its dimensions' over the event's snippets; the cells whose
size reaches ``threshold`` are the *involved* cells, and the box is the smallest rectangle holding them, in
frame pixels: cell ``(r, c)`` of a ``rows x cols`` grid on a ``W x H`` frame covers ``x`` in
``[c W // cols, (c + 1) W // cols)`` and ``y`` in ``[r H // rows, (r + 1) H // rows)`` (half-open; the
extractor's cells are equal blocks of its working image, which is the whole frame resized). Object
dimensions have no cell; they are whole-frame evidence (:attr:`KindDeviation.whole_frame`).

**Key frames.** The event's peak frame (``event.peak_frame``; when unknown, the middle frame of the snippet
with the largest deviation, kept inside the event), and by default its first and last frames
(``key_frames=("start", "peak", "end")``); :mod:`vadkit.explain.key_frames` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vadkit.errors import ValidationError
from vadkit.explain.evidence_text import COMPASS, dimension_label, dimension_phrase
from vadkit.explain.normal_statistics import NormalStatistics, feature_rows
from vadkit.types import Event

if TYPE_CHECKING:
    from vadkit.features.motion import FeatureDimension, MotionExtractor

DEVIATION_KINDS: tuple[str, ...] = ("speed", "direction", "static foreground", "appearance change", "objects")
"""The kinds of deviation, in the order that breaks ties (module docstring)."""

KEY_FRAME_ROLES: tuple[str, ...] = ("start", "peak", "end")
"""Key frames an evidence may hold: the event's first frame, its peak frame and its last frame."""

Box = tuple[int, int, int, int]
"""``(x0, y0, x1, y1)`` in pixels, half-open: ``x0 <= x < x1``, ``y0 <= y < y1``."""

_SPEED, _DIRECTION, _STATIC, _APPEARANCE, _OBJECTS = range(1, 6)
"""Codes of :data:`DEVIATION_KINDS` (0: a dimension that is no evidence, the static speed bin)."""


def _group(dimension: FeatureDimension) -> int:
    """The deviation kind code of a dimension; appearance dimensions get ``_APPEARANCE`` (the
    static-foreground split is per snippet and cell)."""
    kind, value = dimension.kind, dimension.value
    if kind == "speed":
        return _SPEED if value[0] > 0 else 0
    if kind in ("moving", "object_speed") or (kind == "objects" and value == "speed.max"):
        return _SPEED
    if kind == "direction":
        return _DIRECTION
    if kind in ("intensity", "edges"):
        return _APPEARANCE
    return _OBJECTS


def cell_box(cells: Sequence[tuple[int, int]], grid: tuple[int, int], frame_size: tuple[int, int]) -> Box:
    """The smallest pixel rectangle holding ``cells`` of a ``(rows, cols)`` grid on a ``(width, height)``
    frame (module docstring)."""
    rows, cols = grid
    width, height = frame_size
    top, bottom = min(r for r, _ in cells), max(r for r, _ in cells) + 1
    left, right = min(c for _, c in cells), max(c for _, c in cells) + 1
    return left * width // cols, top * height // rows, right * width // cols, bottom * height // rows


def _box_list(box: Box | None) -> list[int] | None:
    return None if box is None else list(box)


def _box_tuple(value: Sequence[int] | None) -> Box | None:
    return None if value is None else (int(value[0]), int(value[1]), int(value[2]), int(value[3]))


def _cell_tuple(value: Sequence[int] | None) -> tuple[int, int] | None:
    return None if value is None else (int(value[0]), int(value[1]))


@dataclass(frozen=True)
class DimensionDeviation:
    """One named dimension's deviation over the event.

    Attributes:
        index: its position in the feature vector.
        name: e.g. ``"cell(2,3).speed[0.04-inf)"``.
        cell: ``(row, col)``, ``None`` for a whole-frame object dimension.
        kind: its deviation kind (:data:`DEVIATION_KINDS`) in the snippet where it deviates most.
        sd: size of the deviation (module docstring), ``>= 0``.
        z: signed z-score in that snippet.
        value: the feature's value there.
        normal: the normal center of the dimension.
        scale: its normal scale (floored).
        snippet: that snippet's index.
        phrase: e.g. ``"cell (2,3): fast motion (speed >= 0.04 frame widths/frame), 6.1 sd above normal"``.
    """

    index: int
    name: str
    cell: tuple[int, int] | None
    kind: str
    sd: float
    z: float
    value: float
    normal: float
    scale: float
    snippet: int
    phrase: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "index": self.index,
            "name": self.name,
            "cell": None if self.cell is None else list(self.cell),
            "kind": self.kind,
            "sd": self.sd,
            "z": self.z,
            "value": self.value,
            "normal": self.normal,
            "scale": self.scale,
            "snippet": self.snippet,
            "phrase": self.phrase,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DimensionDeviation:
        """Inverse of :meth:`to_dict`."""
        return cls(**{**dict(data), "cell": _cell_tuple(data["cell"])})


@dataclass(frozen=True)
class CellDeviation:
    """One grid cell's largest deviation over the event.

    Attributes:
        cell: ``(row, col)``, ``(0, 0)`` at the top left.
        sd: size of its largest deviation.
        z: signed z-score of that deviation.
        kind: its deviation kind.
        box: the cell's rectangle in frame pixels (:data:`Box`).
    """

    cell: tuple[int, int]
    sd: float
    z: float
    kind: str
    box: Box

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"cell": list(self.cell), "sd": self.sd, "z": self.z, "kind": self.kind, "box": list(self.box)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CellDeviation:
        """Inverse of :meth:`to_dict`."""
        cell, box = _cell_tuple(data["cell"]), _box_tuple(data["box"])
        assert cell is not None and box is not None
        return cls(cell=cell, sd=float(data["sd"]), z=float(data["z"]), kind=str(data["kind"]), box=box)


@dataclass(frozen=True)
class KindDeviation:
    """One deviation kind over the event.

    Attributes:
        kind: one of :data:`DEVIATION_KINDS`.
        sd: size of its largest deviation (0 when none of its dimensions is above normal).
        z: signed z-score of that deviation.
        dimension: the name of the dimension that deviates most.
        label: that dimension in words (``"fast motion"``, ``"motion heading west"``, ``"darker"``).
        cells: the cells where this kind reaches ``threshold`` sd, largest first.
        box: the rectangle around those cells in frame pixels; ``None`` without cells.
        whole_frame: whether a whole-frame object dimension of this kind reaches ``threshold`` sd.
        direction: for ``"direction"``, the compass direction of :attr:`dimension` (``"west"``), else
            ``None``.
    """

    kind: str
    sd: float
    z: float
    dimension: str
    label: str
    cells: tuple[tuple[int, int], ...]
    box: Box | None
    whole_frame: bool
    direction: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "kind": self.kind,
            "sd": self.sd,
            "z": self.z,
            "dimension": self.dimension,
            "label": self.label,
            "cells": [list(cell) for cell in self.cells],
            "box": _box_list(self.box),
            "whole_frame": self.whole_frame,
            "direction": self.direction,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KindDeviation:
        """Inverse of :meth:`to_dict`."""
        cells = tuple((int(r), int(c)) for r, c in data["cells"])
        return cls(**{**dict(data), "cells": cells, "box": _box_tuple(data["box"])})


@dataclass(frozen=True)
class KeyFrame:
    """A frame to look at: its role (``"start"``, ``"peak"`` or ``"end"``), index and time in seconds."""

    role: str
    frame: int
    time_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"role": self.role, "frame": self.frame, "time_s": self.time_s}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyFrame:
        """Inverse of :meth:`to_dict`."""
        return cls(role=str(data["role"]), frame=int(data["frame"]), time_s=float(data["time_s"]))


@dataclass(frozen=True)
class Evidence:
    """Where and how an event deviates from normal motion (module docstring).

    Attributes:
        video: the event's video.
        start, end: the event's frames ``[start, end)``.
        fps: the video's frame rate.
        peak_frame: the event's peak frame, if known.
        snippets: the indices of the event's snippets.
        frame_size: ``(width, height)`` of the video, the frame of the pixel boxes.
        grid: ``(rows, cols)`` of the extractor's cells.
        threshold: the size in sd from which a cell, kind or object dimension counts as deviating.
        config_hash: the motion extractor's config hash.
        kinds: every deviation kind of :data:`DEVIATION_KINDS`, largest ``sd`` first.
        cells: the most deviating cells (at most ``top_cells``, ``sd > 0``), largest first.
        box_cells: every cell whose size reaches ``threshold``, row-major: the involved cells.
        box: the rectangle around :attr:`box_cells` in frame pixels; ``None`` when no cell reaches it.
        dimensions: the most deviating named dimensions (at most ``top_dimensions``, ``sd > 0``), largest
            first.
        key_frames: the frames to look at.
    """

    video: str
    start: int
    end: int
    fps: float
    peak_frame: int | None
    snippets: tuple[int, ...]
    frame_size: tuple[int, int]
    grid: tuple[int, int]
    threshold: float
    config_hash: str
    kinds: tuple[KindDeviation, ...]
    cells: tuple[CellDeviation, ...]
    box_cells: tuple[tuple[int, int], ...]
    box: Box | None
    dimensions: tuple[DimensionDeviation, ...]
    key_frames: tuple[KeyFrame, ...]

    @property
    def kind(self) -> str | None:
        """The strongest deviation kind when it reaches :attr:`threshold`, else ``None``."""
        return self.kinds[0].kind if self.kinds[0].sd >= self.threshold else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (:meth:`from_dict` inverts it; fits :attr:`vadkit.types.Event.evidence`)."""
        return {
            "video": self.video,
            "start_frame": self.start,
            "end_frame": self.end,
            "fps": self.fps,
            "peak_frame": self.peak_frame,
            "snippets": list(self.snippets),
            "frame_size": list(self.frame_size),
            "grid": list(self.grid),
            "threshold": self.threshold,
            "config_hash": self.config_hash,
            "kind": self.kind,
            "kinds": [kind.to_dict() for kind in self.kinds],
            "cells": [cell.to_dict() for cell in self.cells],
            "box_cells": [list(cell) for cell in self.box_cells],
            "box": _box_list(self.box),
            "dimensions": [dimension.to_dict() for dimension in self.dimensions],
            "key_frames": [frame.to_dict() for frame in self.key_frames],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        """Inverse of :meth:`to_dict`."""
        width, height = data["frame_size"]
        rows, cols = data["grid"]
        return cls(
            video=str(data["video"]),
            start=int(data["start_frame"]),
            end=int(data["end_frame"]),
            fps=float(data["fps"]),
            peak_frame=None if data["peak_frame"] is None else int(data["peak_frame"]),
            snippets=tuple(int(i) for i in data["snippets"]),
            frame_size=(int(width), int(height)),
            grid=(int(rows), int(cols)),
            threshold=float(data["threshold"]),
            config_hash=str(data["config_hash"]),
            kinds=tuple(KindDeviation.from_dict(kind) for kind in data["kinds"]),
            cells=tuple(CellDeviation.from_dict(cell) for cell in data["cells"]),
            box_cells=tuple((int(r), int(c)) for r, c in data["box_cells"]),
            box=_box_tuple(data["box"]),
            dimensions=tuple(DimensionDeviation.from_dict(d) for d in data["dimensions"]),
            key_frames=tuple(KeyFrame.from_dict(frame) for frame in data["key_frames"]),
        )


def event_snippets(event: Event, snippet_length: int, snippet_stride: int, num_snippets: int) -> np.ndarray:
    """Indices of the snippets (of ``snippet_length`` frames every ``snippet_stride``) that overlap the
    event's frames and exist (``< num_snippets``).

    Raises:
        ValidationError: no snippet overlaps the event (features shorter than the video).
    """
    first = max(0, (event.start - snippet_length) // snippet_stride + 1)
    last = min(num_snippets - 1, (event.end - 1) // snippet_stride)
    if first > last:
        raise ValidationError(
            f"{event.video}: no snippet of the features (T={num_snippets}) overlaps the event's frames "
            f"[{event.start}, {event.end}); are they this video's features?"
        )
    return np.arange(first, last + 1)


def _kind_codes(
    z: np.ndarray, groups: np.ndarray, cell_of: np.ndarray, cells: int, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(deviation sizes, kind codes)``, both ``(S, D)``: the sizes of the module docstring, and per snippet
    and dimension its kind, appearance split into static foreground and appearance change."""
    appearance = groups == _APPEARANCE
    sizes = np.where(appearance, np.abs(z), np.maximum(z, 0.0)) * (groups > 0)
    moving = np.isin(groups, (_SPEED, _DIRECTION)) & (cell_of >= 0)
    still = np.ones((z.shape[0], cells), dtype=bool)
    changed = np.zeros((z.shape[0], cells), dtype=bool)
    for cell in range(cells):
        mine = cell_of == cell
        still[:, cell] = ~(sizes[:, mine & moving] >= threshold).any(axis=1)
        changed[:, cell] = (sizes[:, mine & appearance] >= threshold).any(axis=1)
    local = changed.sum(axis=1) <= cells / 2
    static = still[:, np.maximum(cell_of, 0)] & local[:, None]
    codes = np.where(appearance, np.where(static, _STATIC, _APPEARANCE), groups)
    return sizes, codes


def explain_event(
    event: Event,
    features: np.ndarray,
    extractor: MotionExtractor | Mapping[str, Any],
    statistics: NormalStatistics,
    *,
    frame_size: tuple[int, int],
    threshold: float = 3.0,
    top_cells: int = 4,
    top_dimensions: int = 5,
    key_frames: Sequence[str] = KEY_FRAME_ROLES,
) -> Evidence:
    """The weight-free evidence of one event (module docstring for every definition).

    Args:
        event: the event (frames ``[start, end)``, fps, peak frame) of one video.
        features: that video's ``(T, D)`` (or ``(T, 1, D)``) motion features.
        extractor: the :class:`~vadkit.features.motion.MotionExtractor` that made them, or its config (a
            ``vadkit extract`` record's ``config``); its snippet spec maps frames to snippets.
        statistics: the normal statistics, fitted on features of the same configuration.
        frame_size: ``(width, height)`` of the video (``reader.info``), the frame of the pixel boxes.
        threshold: the size in sd from which a cell, kind or object dimension counts as deviating.
        top_cells: how many of the most deviating cells to list.
        top_dimensions: how many of the most deviating dimensions to list.
        key_frames: which of :data:`KEY_FRAME_ROLES` to keep, in the order given.

    Raises:
        ValidationError: statistics of another configuration, features of another D or not overlapping the
            event, a bad frame size, threshold or key frame role.
    """
    extractor = statistics.check_extractor(extractor)
    width, height = frame_size
    if isinstance(width, bool) or isinstance(height, bool) or not (int(width) > 0 and int(height) > 0):
        raise ValidationError(
            f"{event.video}: frame_size must be positive (width, height), got {frame_size!r}"
        )
    if not threshold > 0:
        raise ValidationError(f"{event.video}: threshold must be positive, got {threshold!r}")
    unknown = [role for role in key_frames if role not in KEY_FRAME_ROLES]
    if unknown:
        raise ValidationError(f"{event.video}: unknown key frame roles {unknown}; known: {KEY_FRAME_ROLES}")
    rows_of_video = feature_rows(features, statistics.dim, event.video)
    spec = extractor.snippet
    snippets = event_snippets(event, spec.length, spec.stride, rows_of_video.shape[0])
    values = rows_of_video[snippets]
    z = (values - statistics.center) / statistics.scale
    rows, cols = extractor.rows, extractor.cols
    dimensions = [extractor.describe_dimension(index) for index in range(extractor.dim)]
    groups = np.array([_group(dimension) for dimension in dimensions])
    cell_of = np.array([-1 if d.cell is None else d.cell[0] * cols + d.cell[1] for d in dimensions])
    sizes, codes = _kind_codes(z, groups, cell_of, rows * cols, threshold)
    grid, size = (rows, cols), (int(width), int(height))

    def kind_deviation(code: int) -> KindDeviation:
        name = DEVIATION_KINDS[code - 1]
        ours = codes == code
        if not ours.any():  # e.g. "objects" without object features (objects=False)
            return KindDeviation(name, 0.0, 0.0, "", "", (), None, False, None)
        # -1 elsewhere: the argmax is one of this kind's dimensions even when none is above normal.
        snippet, index = np.unravel_index(int(np.argmax(np.where(ours, sizes, -1.0))), sizes.shape)
        per_dimension = np.where(ours, sizes, 0.0).max(axis=0)
        per_cell = [per_dimension[cell_of == cell].max(initial=0.0) for cell in range(rows * cols)]
        order = np.argsort(-np.asarray(per_cell), kind="stable")  # largest first, ties row-major
        cells = tuple(divmod(int(cell), cols) for cell in order if per_cell[cell] >= threshold)
        dimension, signed = dimensions[index], float(z[snippet, index])
        return KindDeviation(
            kind=name,
            sd=float(sizes[snippet, index]),
            z=signed,
            dimension=dimension.name,
            label=dimension_label(dimension, signed)[0],
            cells=cells,
            box=cell_box(cells, grid, size) if cells else None,
            whole_frame=bool((per_dimension[cell_of < 0] >= threshold).any()),
            direction=COMPASS[dimension.value] if dimension.kind == "direction" else None,
        )

    kinds = sorted((kind_deviation(code) for code in range(1, 6)), key=lambda kind: -kind.sd)
    strongest = np.argmax(sizes, axis=0)  # per dimension, the snippet where it deviates most
    columns = np.arange(sizes.shape[1])
    dimension_sd = sizes[strongest, columns]
    dimension_z = z[strongest, columns]
    cell_list = []
    for cell in range(rows * cols):
        mine = np.flatnonzero(cell_of == cell)
        best = mine[np.argmax(dimension_sd[mine])]
        cell_list.append((float(dimension_sd[best]), cell, best))
    cell_list.sort(key=lambda item: (-item[0], item[1]))
    cell_deviations = tuple(
        CellDeviation(
            cell=divmod(cell, cols),
            sd=sd,
            z=float(dimension_z[best]),
            kind=DEVIATION_KINDS[codes[strongest[best], best] - 1],
            box=cell_box([divmod(cell, cols)], grid, size),
        )
        for sd, cell, best in cell_list[:top_cells]
        if sd > 0
    )
    box_cells = tuple(sorted(divmod(cell, cols) for sd, cell, _ in cell_list if sd >= threshold))
    ranked = np.argsort(-dimension_sd, kind="stable")[:top_dimensions]
    normal = statistics.center
    dimension_deviations = tuple(
        DimensionDeviation(
            index=int(index),
            name=dimensions[index].name,
            cell=dimensions[index].cell,
            kind=DEVIATION_KINDS[codes[strongest[index], index] - 1],
            sd=float(dimension_sd[index]),
            z=float(dimension_z[index]),
            value=float(values[strongest[index], index]),
            normal=float(normal[index]),
            scale=float(statistics.scale[index]),
            snippet=int(snippets[strongest[index]]),
            phrase=dimension_phrase(dimensions[index], float(dimension_z[index])),
        )
        for index in ranked
        if dimension_sd[index] > 0
    )
    peak = event.peak_frame
    if peak is None:
        top = int(snippets[np.unravel_index(int(np.argmax(sizes)), sizes.shape)[0]])
        peak = min(max(top * spec.stride + spec.length // 2, event.start), event.end - 1)
    frames = {"start": event.start, "peak": peak, "end": event.end - 1}
    return Evidence(
        video=event.video,
        start=event.start,
        end=event.end,
        fps=event.fps,
        peak_frame=event.peak_frame,
        snippets=tuple(int(i) for i in snippets),
        frame_size=size,
        grid=grid,
        threshold=float(threshold),
        config_hash=statistics.config_hash,
        kinds=tuple(kinds),
        cells=cell_deviations,
        box_cells=box_cells,
        box=cell_box(box_cells, grid, size) if box_cells else None,
        dimensions=dimension_deviations,
        key_frames=tuple(KeyFrame(role, frames[role], frames[role] / event.fps) for role in key_frames),
    )
