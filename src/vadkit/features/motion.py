"""The weight-free ``motion`` extractor: optical-flow and appearance statistics on a spatial grid, and moving
objects.

Each frame is turned to grey (ITU-R BT.601 luma, OpenCV's ``COLOR_RGB2GRAY``) at a small *working size*,
described cell by cell on a grid (default 4x4), and the descriptions are pooled per snippet (default 16
frames, stride 16, ``"ceil"``: T = ceil(n/16)). The settings, and why the defaults:

**Working size** (``max_side`` = 128). The longer side is 128 pixels, the other keeps the video's aspect;
each side is rounded (halves up) to a multiple of ``grid x flow_downscale`` = 8, so that cells are equal
integer blocks on the working and the flow image, and is at least ``max(4 px per cell, 12 x
flow_downscale)`` (only very elongated frames meet that floor). 224x224 works at 128x128 (cells of 32x32
pixels), 320x240 at 128x96, 640x360 at 128x72. The size follows the video's own size (``reader.info``),
whatever size the reader delivers. Fast path: open the reader at that size, ``open_video(path,
size=extractor.decode_size(info))``; FFmpeg then scales while converting to RGB. A reader at any other size
works too: each grey frame is then resized here with ``cv2.INTER_AREA``, which gives close, not
bit-identical, features. Why 128: the moving-object features need a pedestrian of a wide street view to
cover a few dozen working pixels (a person of 8x14 pixels in a 256x192 frame is 4x7 at 128, 1.5x2.6 at 48,
where it no longer forms an object). On vadkit's synthetic benchmark (``standard``), a logistic regression
fitted on frame-labelled snippets of four fifths of the test videos and scoring the rest (5 folds, grouped
by video) reaches an AUC of 0.65 with these features and 0.56 with the same features at 48 px (measured
with a pair at every frame).

**Flow** (``flow="dis"``, ``dis_preset="ultrafast"``, ``flow_downscale`` = 2, ``frame_step`` = 1,
``pair_stride`` = the snippet stride, 16). The working image is halved (area average; 64x64 for a square
video) and the dense flow of a frame pair ``(t - frame_step, t)`` is estimated there by OpenCV's DIS with the
``ultrafast`` patch parameters, to the finest level (:mod:`~vadkit.features.motion_flow`). A DIS patch is 8x8
flow pixels, so motion spreads into the cells next to a moving object, and small fast objects are
underestimated (a single pyramid level). ``dis_preset="medium"`` or ``flow="farneback"`` trade speed for
accuracy.

**Sampled pairs** (``pair_stride``). A pair starts every ``pair_stride`` frames, at frames 0,
``pair_stride``, 2 ``pair_stride``, ...: by default one pair per 16-frame snippet, its first two frames
``(16k, 16k + 1)``, much as the public CLIP features encode one frame per snippet. Only the frames of pairs
are converted and described (flow, objects and appearance); the others are decoded (a compressed video cannot
skip them) and counted. This is what makes the extractor fast (about 0.7 of decode-only throughput, against
0.16 with a pair at every frame, ``pair_stride=1``; ``benchmarks/bench_motion.py``), and on vadkit's
synthetic benchmark it loses nothing measurable: the supervised probe (``benchmarks/
probe_synthetic_features.py``, ``standard``) reaches a test AUC of 0.64 with one pair per snippet, 0.64 with
two (``pair_stride=8``) and 0.61 with fifteen (``pair_stride=1``). The price is temporal coverage: motion that
starts and ends between two sampled pairs (shorter than about a snippet) is not seen; ``pair_stride=1``
sees every pair.

**Camera shake** (``stabilise`` = True). A fixed camera sways; a shift of one pixel moves every textured
pixel of the frame as fast as a walking person. Each flow field's per-axis median displacement (the camera's
motion, as long as moving things cover less than half the frame) is subtracted before any statistic, and
the previous frame is moved by it before frames are differenced for the object features.

**Moving objects** (``objects`` = True, ``diff_threshold`` = 16 grey levels, ``min_object_area`` = 4 working
pixels): per pair, the connected regions of change wholly inside the frame, each with its size, speed and
shape, counted in whole-frame histograms (:mod:`~vadkit.features.motion_objects`). They tell a small thing
moving fast (a person running) from a large one (a car), wherever it is, which cell averages cannot.

**Speeds** are in frame widths per frame: |flow| / (flow image width x frame_step), so they do not depend on
the resolution or the step. The bin edges ``speed_edges`` = (0.005, 0.01, 0.02, 0.04) double from 0.005
(1.6 px/frame on a 320-pixel-wide video: a slow walk in UCF-Crime footage) to 0.04 (a car crossing the frame
in one second at 25 fps), giving 5 bins from "static" ``[0, 0.005)`` to "fast" ``[0.04, inf)``. A pixel
*moves* when its speed reaches the first edge; static H.264 footage with sensor noise of 8 grey levels stays
below it everywhere (the tests check it).

**Features** of cell ``(r, c)``, named ``cell(r,c).<what>``, in this order:

* ``speed[a-b)``, one per speed bin: mean over the snippet's pairs of the fraction of the cell's flow pixels
  whose speed is in ``[a, b)``; a cell's bins sum to 1 (0 without pairs). The mean moving fraction is
  ``1 - speed[0-0.005)``.
* ``dir.E``, ``dir.NE``, ``dir.N``, ``dir.NW``, ``dir.W``, ``dir.SW``, ``dir.S``, ``dir.SE``: 45-degree bins
  centred on the compass directions, north = up in the picture. Mean over the pairs of the speeds of the
  cell's moving pixels heading that way, summed and divided by the cell's pixel count (frame widths per
  frame): how much motion goes which way.
* ``moving.max``: the largest fraction of moving pixels in the cell over the snippet's pairs (brief motion,
  which the means dilute).
* ``intensity.mean``, ``intensity.std``: mean over the snippet's frames of the cell's mean grey level and of
  its population standard deviation, on a 0-1 scale.
* ``edges``: mean over the frames of the fraction of the cell's pixels whose gradient magnitude (3x3 Sobel
  / 8, intensity per working pixel) reaches ``edge_threshold`` = 0.05: a step of at least 0.1 (26 grey
  levels) between neighbouring working pixels; i.i.d. noise of 5 grey levels passes it at one pixel in 10**7.

That is 5 + 8 + 1 + 3 = 17 features per cell, laid out cell by cell (row-major), each cell's features in
the order above, then the 43 whole-frame object features (``objects.size[a-b).speed[c-d)`` for 5 sizes x 5
speeds, ``objects.size[a-b).shape[c-d)`` for 5 sizes x 3 shapes, ``objects.count``, ``objects.speed.max``,
``objects.size.max``; histograms and the count are means over the snippet's pairs, the two maxima are
maxima over them): **D = 272 + 43 = 315** for the 4x4 grid (272 with ``objects=False``).
:meth:`MotionExtractor.describe_dimension` gives a dimension's cell, kind and value.

**Snippets and pairs.** A pair belongs to the snippet windows that contain its later frame, and a frame's
appearance to the windows that contain it. By default each 16-frame window holds one pair, ``(16k, 16k +
1)``, and its appearance is the mean over those two frames. With ``pair_stride=1`` every frame ends a pair
except frame 0, so the first window pools 16 frames and 15 pairs (with ``frame_step`` k, pairs end at frames
k, 2k, ...). A window that passes the last frame (``rounding="ceil"``) pools only the frames the video has. A
window without a pair (a one-frame video, or by default a last window of one frame) has flow and object
features 0: no motion was seen. T is ``snippet.num_snippets(frames decoded)``.

**Streaming.** Frames are decoded and described a batch at a time (:data:`BATCH_PIXELS`); besides the output
(T x D float32) only that batch, the previous working and flow images and the per-frame statistics of one
snippet window are held.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from vadkit.errors import ValidationError
from vadkit.features.base import EXTRACTORS, Extractor
from vadkit.features.motion_flow import (
    DIS_PRESETS,
    FLOW_METHODS,
    MIN_FLOW_SIDE,
    FlowEstimator,
    make_flow_estimator,
)
from vadkit.features.motion_grid import DIRECTIONS, CellGrid
from vadkit.features.motion_objects import ObjectDescriber, camera_shift, object_feature_labels
from vadkit.io import Size, VideoReader, iter_snippet_windows
from vadkit.types import SnippetSpec, VideoInfo

DEFAULT_SPEED_EDGES = (0.005, 0.01, 0.02, 0.04)
"""Speed bin edges in frame widths per frame (see the module docstring)."""

MIN_CELL_SIDE = 4
"""Fewest working pixels along each side of a cell."""

MAX_SIDE = 512
"""Largest working side: the per-cell variance is computed exactly from integer sums held in float64, which
needs cells of fewer than about 600x600 pixels."""

BATCH_PIXELS = 8 * 64 * 64
"""Working pixels whose statistics are computed together (vectorised): per-call costs are shared by a batch,
and temporaries stay small enough to be reused without fresh page faults."""

APPEARANCE = (
    ("intensity.mean", "intensity", "mean"),
    ("intensity.std", "intensity", "std"),
    ("edges", "edges", "density"),
)
"""``(label, kind, value)`` of the per-cell appearance features, in the order of
:meth:`~vadkit.features.motion_grid.CellGrid.appearance_statistics`."""


@dataclass(frozen=True)
class FeatureDimension:
    """What one feature dimension measures.

    Attributes:
        index: position in the feature vector.
        name: e.g. ``"cell(2,3).dir.W"``.
        cell: ``(row, col)`` of the grid cell, ``(0, 0)`` at the top left; ``None`` for the whole-frame
            object features.
        kind: ``"speed"``, ``"direction"``, ``"moving"``, ``"intensity"`` or ``"edges"`` (cell features);
            ``"object_speed"``, ``"object_shape"`` or ``"objects"`` (object features,
            :mod:`~vadkit.features.motion_objects`).
        value: ``(low, high)`` in frame widths per frame for ``"speed"`` (``high`` may be ``inf``); a compass
            name of :data:`~vadkit.features.motion_grid.DIRECTIONS` for ``"direction"``; ``"max"`` for
            ``"moving"``; ``"mean"`` or ``"std"`` for ``"intensity"``; ``"density"`` for ``"edges"``;
            ``(size bin, speed bin)`` for ``"object_speed"`` and ``(size bin, shape bin)`` for
            ``"object_shape"`` (each bin ``(low, high)``); ``"count"``, ``"speed.max"`` or ``"size.max"`` for
            ``"objects"``.
    """

    index: int
    name: str
    cell: tuple[int, int] | None
    kind: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (bins become lists, an infinite bound ``None``)."""
        return {
            "index": self.index,
            "name": self.name,
            "cell": None if self.cell is None else list(self.cell),
            "kind": self.kind,
            "value": _json_value(self.value),
        }


def _json_value(value: Any) -> Any:
    """``value`` with tuples turned into lists and infinite floats into ``None``, recursively."""
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _integer(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValidationError(f"motion extractor: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValidationError(f"motion extractor: {name} must be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _grid(value: Any) -> tuple[int, int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValidationError(f"motion extractor: grid must be (rows, cols), got {value!r}")
    return _integer("grid rows", value[0], 1), _integer("grid cols", value[1], 1)


def _speed_edges(value: Any) -> tuple[float, ...]:
    try:
        edges = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        edges = ()
    if not edges or not all(math.isfinite(e) and e > 0 for e in edges) or list(edges) != sorted(set(edges)):
        raise ValidationError(
            "motion extractor: speed_edges must be a non-empty, strictly increasing sequence of positive "
            f"finite speeds (frame widths per frame), got {value!r}"
        )
    return edges


def _edge_threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValidationError(
            f"motion extractor: edge_threshold must be in (0, 1] (intensity per pixel), got {value!r}"
        )
    return float(value)


def _pair_stride(value: Any, frame_step: int, snippet: SnippetSpec) -> int:
    if value is None:
        return max(snippet.stride, frame_step)
    stride = _integer("pair_stride", value, 1)
    if stride < frame_step or stride > max(snippet.length, frame_step):
        raise ValidationError(
            f"motion extractor: pair_stride must be at least frame_step ({frame_step}) and at most the "
            f"snippet length ({snippet.length}), got {stride}"
        )
    return stride


def _snippet(value: SnippetSpec | Mapping[str, Any] | None) -> SnippetSpec:
    if value is None:
        return SnippetSpec()
    if isinstance(value, Mapping):
        try:
            value = SnippetSpec.from_dict(value)
        except TypeError as exc:
            raise ValidationError(f"motion extractor: snippet {dict(value)!r} is not a SnippetSpec") from exc
    if not isinstance(value, SnippetSpec):
        raise ValidationError(f"motion extractor: snippet must be a SnippetSpec or a mapping, got {value!r}")
    if value.crops != 1:
        raise ValidationError(
            f"motion extractor: snippet crops must be 1 (no spatial crops), got {value.crops}"
        )
    return value


@EXTRACTORS.register("motion")
class MotionExtractor(Extractor):
    """Optical-flow and appearance statistics per grid cell, pooled per snippet (see the module docstring).

    Args:
        max_side: longer side of the working image, in pixels.
        grid: ``(rows, cols)`` of cells.
        flow: ``"dis"`` or ``"farneback"``.
        dis_preset: DIS patch parameters: ``"ultrafast"``, ``"fast"`` or ``"medium"`` (``flow="dis"`` only).
        flow_downscale: the flow is estimated on the working image reduced by this factor.
        speed_edges: increasing speed bin edges, in frame widths per frame; the first is the motion threshold.
        edge_threshold: gradient magnitude (intensity per working pixel, in (0, 1]) that counts as an edge.
        frame_step: a pair is two frames ``frame_step`` apart, ``(t - frame_step, t)``.
        pair_stride: a pair starts every ``pair_stride`` frames, at 0, ``pair_stride``, ... (at least
            ``frame_step``, at most the snippet length; ``None``: the snippet stride, one pair per snippet;
            ``1``: every frame ends a pair).
        snippet: the snippet geometry (a :class:`~vadkit.types.SnippetSpec` or its ``to_dict`` form), by
            default 16 frames, stride 16, ``"ceil"``.

    Raises:
        ValidationError: a setting of the wrong type or out of range, named in the message.
    """

    name = "motion"

    def __init__(
        self,
        *,
        max_side: int = 128,
        grid: Sequence[int] = (4, 4),
        flow: str = "dis",
        dis_preset: str = "ultrafast",
        flow_downscale: int = 2,
        speed_edges: Sequence[float] = DEFAULT_SPEED_EDGES,
        edge_threshold: float = 0.05,
        frame_step: int = 1,
        pair_stride: int | None = None,
        stabilise: bool = True,
        objects: bool = True,
        diff_threshold: int = 16,
        min_object_area: int = 4,
        snippet: SnippetSpec | Mapping[str, Any] | None = None,
    ) -> None:
        self.rows, self.cols = _grid(grid)
        self.flow = _choice("flow", flow, FLOW_METHODS)
        self.dis_preset = _choice("dis_preset", dis_preset, tuple(DIS_PRESETS))
        self.flow_downscale = _integer("flow_downscale", flow_downscale, 1)
        smallest = max(MIN_CELL_SIDE * max(self.rows, self.cols), MIN_FLOW_SIDE * self.flow_downscale)
        self.max_side = _integer("max_side", max_side, 1)
        if self.max_side > MAX_SIDE:
            raise ValidationError(f"motion extractor: max_side must be <= {MAX_SIDE}, got {self.max_side}")
        if self.max_side < smallest:
            raise ValidationError(
                f"motion extractor: max_side must be >= {smallest} for a {self.rows}x{self.cols} grid "
                f"({MIN_CELL_SIDE} px per cell) and flow_downscale {self.flow_downscale} (a flow image of at "
                f"least {MIN_FLOW_SIDE} px), got {self.max_side}"
            )
        self.speed_edges = _speed_edges(speed_edges)
        self.edge_threshold = _edge_threshold(edge_threshold)
        self.frame_step = _integer("frame_step", frame_step, 1)
        self._snippet = _snippet(snippet)
        self.pair_stride = _pair_stride(pair_stride, self.frame_step, self._snippet)
        for name, flag in (("stabilise", stabilise), ("objects", objects)):
            if not isinstance(flag, bool):
                raise ValidationError(f"motion extractor: {name} must be true or false, got {flag!r}")
        self.stabilise, self.objects = stabilise, objects
        self.diff_threshold = _integer("diff_threshold", diff_threshold, 1)
        if self.diff_threshold > 255:
            raise ValidationError(
                f"motion extractor: diff_threshold must be <= 255 grey levels, got {self.diff_threshold}"
            )
        self.min_object_area = _integer("min_object_area", min_object_area, 1)
        self._object_labels = object_feature_labels(self.speed_edges) if objects else []
        self._dimensions = self._describe_all()

    @property
    def snippet(self) -> SnippetSpec:
        """The snippet geometry (T follows from it and the number of frames decoded)."""
        return self._snippet

    def config(self) -> dict[str, Any]:
        """Every setting, JSON-ready; ``create_extractor("motion", **config)`` rebuilds the extractor."""
        return {
            "max_side": self.max_side,
            "grid": [self.rows, self.cols],
            "flow": self.flow,
            "dis_preset": self.dis_preset,
            "flow_downscale": self.flow_downscale,
            "speed_edges": list(self.speed_edges),
            "edge_threshold": self.edge_threshold,
            "frame_step": self.frame_step,
            "pair_stride": self.pair_stride,
            "stabilise": self.stabilise,
            "objects": self.objects,
            "diff_threshold": self.diff_threshold,
            "min_object_area": self.min_object_area,
            "snippet": self._snippet.to_dict(),
        }

    def feature_names(self) -> list[str]:
        """The D names: ``cell(r,c).speed[a-b)``, ``cell(r,c).dir.E`` ... ``cell(r,c).moving.max``,
        ``cell(r,c).intensity.mean``, ``cell(r,c).intensity.std``, ``cell(r,c).edges`` for every cell, then
        (with ``objects``) ``objects.size[a-b).speed[c-d)``, ``objects.size[a-b).shape[c-d)``,
        ``objects.count``, ``objects.speed.max`` and ``objects.size.max``."""
        return [dimension.name for dimension in self._dimensions]

    def describe_dimension(self, index: int) -> FeatureDimension:
        """Cell, kind and value of feature dimension ``index`` (``0 <= index < D``)."""
        count = len(self._dimensions)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < count:
            raise ValidationError(f"motion extractor: dimension index must be in [0, {count}), got {index!r}")
        return self._dimensions[int(index)]

    def working_size(self, width: int, height: int) -> Size:
        """``(width, height)`` of the working image for a ``width`` x ``height`` video."""
        scale = self.max_side / max(width, height)

        def side(length: int, cells: int) -> int:
            step = cells * self.flow_downscale
            floor = max(MIN_CELL_SIDE * cells, MIN_FLOW_SIDE * self.flow_downscale)
            return max(math.floor(length * scale / step + 0.5), math.ceil(floor / step)) * step

        return side(width, self.cols), side(height, self.rows)

    def decode_size(self, info: VideoInfo) -> Size:
        """The working size of ``info``'s video: opening the reader at it makes FFmpeg scale while converting
        (the fast path; any other reader size is resized here)."""
        return self.working_size(info.width, info.height)

    def extract(self, reader: VideoReader) -> np.ndarray:
        """``(T, D)`` float32 features of the video behind ``reader``, in one streaming pass over its frames.

        Raises:
            VideoDecodeError: from the reader, as its decode policy says.
            ValidationError: the flow estimator produced non-finite values.
        """
        records = _FrameRecords(self, reader)
        pooled = [
            self._pool(window[: min(end, records.count) - start]).astype(np.float32)
            for _, start, end, window in iter_snippet_windows(records, self._snippet)
        ]
        features = np.asarray(pooled, dtype=np.float32).reshape(len(pooled), self.dim)
        if not np.isfinite(features).all():
            raise ValidationError(f"{reader.path}: motion features are not finite (flow estimation failed)")
        return features

    def _pool(self, records: np.ndarray) -> np.ndarray:
        """One snippet's ``(D,)`` features from the records (:class:`_FrameRecords`) of its real frames."""
        cells, flow_bins = self.rows * self.cols, len(self.speed_edges) + 1 + len(DIRECTIONS)
        objects = len(self._object_labels)
        pair_end = 2 + cells * (flow_bins + 1) + objects
        pairs = records[records[:, 1] > 0, 2:pair_end]
        flow, moving, found = np.zeros(cells * flow_bins), np.zeros(cells), np.zeros(objects)
        if len(pairs):
            flow = pairs[:, : cells * flow_bins].mean(axis=0)
            moving = pairs[:, cells * flow_bins : cells * (flow_bins + 1)].max(axis=0)
        if len(pairs) and objects:
            per_pair = pairs[:, cells * (flow_bins + 1) :]
            # Histograms and the count are means over the pairs; the largest speed and size are maxima.
            found = np.concatenate([per_pair[:, :-2].mean(axis=0), per_pair[:, -2:].max(axis=0)])
        seen = records[records[:, 0] > 0, pair_end:]
        appearance = seen.mean(axis=0) if len(seen) else np.zeros(records.shape[1] - pair_end)
        per_cell = [flow.reshape(cells, flow_bins), moving.reshape(cells, 1), appearance.reshape(cells, -1)]
        return np.concatenate([np.concatenate(per_cell, axis=1).ravel(), found])

    def _describe_all(self) -> list[FeatureDimension]:
        """Every dimension, in feature order."""
        bounds = (0.0, *self.speed_edges, math.inf)
        per_cell: list[tuple[str, str, Any]] = [
            (f"speed[{lo:g}-{hi:g})", "speed", (lo, hi)) for lo, hi in itertools.pairwise(bounds)
        ]
        per_cell += [(f"dir.{d}", "direction", d) for d in DIRECTIONS]
        per_cell += [("moving.max", "moving", "max"), *APPEARANCE]
        cells = [(r, c) for r in range(self.rows) for c in range(self.cols)]
        dimensions = [
            FeatureDimension(index, f"cell({r},{c}).{label}", (r, c), kind, value)
            for index, ((r, c), (label, kind, value)) in enumerate(itertools.product(cells, per_cell))
        ]
        return dimensions + [
            FeatureDimension(len(dimensions) + index, label, None, kind, value)
            for index, (label, kind, value) in enumerate(self._object_labels)
        ]


class _FrameRecords:
    """Per-frame statistics of a reader's frames as float64 records, a batch of frames at a time.

    A record is ``[described, has_pair, speed histogram and directions (cells x (speed bins + 8)), moving
    (cells), object statistics (with ``objects``), appearance (cells x 3)]``. Only the frames of pairs are
    converted and *described* (appearance); a frame that ends a pair also has the pair's statistics. The
    other records are zero. :attr:`count` is the number of frames seen so far, final once the iteration
    ends. A batch converts about :data:`BATCH_PIXELS` working pixels (2 frames at 128x128).
    """

    def __init__(self, extractor: MotionExtractor, reader: VideoReader) -> None:
        self._extractor = extractor
        self._reader = reader
        self.working = extractor.decode_size(reader.info)
        width, height = self.working
        rows, cols, downscale = extractor.rows, extractor.cols, extractor.flow_downscale
        self._appearance_grid = CellGrid(width, height, rows, cols)
        self._flow_grid = CellGrid(width // downscale, height // downscale, rows, cols)
        # Speeds in frame widths per frame are flow pixels / (flow width x frame step).
        self._pixels_per_speed = self._flow_grid.width * extractor.frame_step
        self._edges_px = (np.asarray(extractor.speed_edges) * self._pixels_per_speed).astype(np.float32)
        self._objects = (
            None
            if not extractor.objects
            else ObjectDescriber(
                width,
                height,
                downscale,
                self._edges_px,
                self._pixels_per_speed,
                extractor.diff_threshold,
                extractor.min_object_area,
            )
        )
        flow_part = self._flow_grid.cells * (len(extractor.speed_edges) + len(DIRECTIONS) + 2)
        self._pair_size = 2 + flow_part + (self._objects.dim if self._objects else 0)
        # A batch holds about BATCH_PIXELS converted pixels: 2 frames of every pair_stride are converted.
        converted = max(1, BATCH_PIXELS // (width * height))
        self._batch = max(1, converted * extractor.pair_stride // min(2, extractor.pair_stride))
        self.count = 0

    def _starts(self, index: int) -> bool:
        """Whether frame ``index`` starts a pair."""
        return index % self._extractor.pair_stride == 0

    def _ends(self, index: int) -> bool:
        """Whether frame ``index`` ends a pair (the one that started ``frame_step`` frames earlier)."""
        step = self._extractor.frame_step
        return index >= step and self._starts(index - step)

    def _wanted(self, index: int) -> bool:
        return self._starts(index) or self._ends(index)

    def __iter__(self) -> Iterator[np.ndarray]:
        estimate = make_flow_estimator(self._extractor.flow, self._extractor.dis_preset)
        previous: tuple[np.ndarray, np.ndarray] | None = None
        frames = iter(self._reader.iter_frames_where(self._wanted))
        while batch := list(itertools.islice(frames, self._batch)):
            records, previous = self._records(batch, self.count, estimate, previous)
            self.count += len(batch)
            yield from records

    def _greys(self, frames: list[np.ndarray]) -> np.ndarray:
        """``(N, height, width)`` uint8 grey frames at the working size."""
        stacked = np.stack(frames)
        count, height, width, _ = stacked.shape
        greys = cv2.cvtColor(stacked.reshape(count * height, width, 3), cv2.COLOR_RGB2GRAY)
        greys = greys.reshape(count, height, width)
        if (width, height) != self.working:
            greys = np.stack([cv2.resize(g, self.working, interpolation=cv2.INTER_AREA) for g in greys])
        return greys

    def _small(self, greys: np.ndarray) -> np.ndarray:
        """The frames reduced to the flow image (area average of ``flow_downscale`` squared pixels)."""
        if self._extractor.flow_downscale == 1:
            return greys
        count, height, width = greys.shape
        grid = self._flow_grid
        stacked = cv2.resize(
            greys.reshape(count * height, width),
            (grid.width, count * grid.height),
            interpolation=cv2.INTER_AREA,
        )
        return stacked.reshape(count, grid.height, grid.width)

    def _records(
        self,
        batch: list[np.ndarray | None],
        first: int,
        estimate: FlowEstimator,
        previous: tuple[np.ndarray, np.ndarray] | None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """Records of frames ``first``... (``batch``, ``None`` where a frame was not converted), and the
        (working, flow) images of the last frame that started a pair."""
        ex = self._extractor
        records = np.zeros((len(batch), self._pair_size + self._appearance_grid.cells * len(APPEARANCE)))
        described = [offset for offset, frame in enumerate(batch) if frame is not None]
        if not described:
            return records, previous
        greys = self._greys([batch[offset] for offset in described])
        appearance = self._appearance_grid.appearance_statistics(greys, ex.edge_threshold)
        records[described, 0] = 1.0
        records[described, self._pair_size :] = appearance.reshape(len(described), -1)
        small = self._small(greys)
        ends, flows, objects = [], [], []
        for row, offset in enumerate(described):
            if previous is not None and self._ends(first + offset):
                flow = estimate(previous[1], small[row])
                shift = camera_shift(flow) if ex.stabilise else np.zeros(2, np.float32)
                flow -= shift
                if self._objects is not None:
                    aligned = self._objects.aligned(previous[0], shift)
                    objects.append(self._objects.describe(aligned, greys[row], flow))
                ends.append(offset)
                flows.append(flow)
            if self._starts(first + offset):
                previous = (greys[row], small[row])
        if flows:
            stats = self._flow_grid.flow_statistics(np.stack(flows), self._edges_px)
            per_cell = np.concatenate(
                [stats.speed_histogram, stats.direction / self._pixels_per_speed], axis=2
            )
            records[ends, 1] = 1.0
            records[ends, 2 : self._pair_size] = np.concatenate(
                [per_cell.reshape(len(ends), -1), stats.moving, *([np.stack(objects)] if objects else [])],
                axis=1,
            )
        return records, previous
