"""Moving objects of a frame pair: connected regions of change, described by size, speed and shape.

The grid statistics (:mod:`~vadkit.features.motion_grid`) say how much moves where; they cannot tell a small
thing moving fast from a large one moving slowly, and a small object's motion is diluted in its cell. This
module describes the moving *objects* of a pair wherever they are in the frame:

1. **Mask.** A working pixel changes when its grey level differs from the previous frame's by at least
   ``diff_threshold`` grey levels (the previous frame is first shifted by the camera motion, see
   :func:`camera_shift`); the mask is dilated by a 3x3 square so that the two halves of a moving object
   (leading and trailing edges) join.
2. **Objects.** The 8-connected components of the mask with at least ``min_area`` pixels whose bounding box
   does not touch the frame border: a car half inside the frame is not a small object.
3. **Description** of each object: its *size* (pixel count over the frame's pixel count), its *speed* (mean
   flow speed over its changed pixels, before dilation, where the flow of a moving object is strongest; in
   frame widths per frame, the unit of the grid's speed bins) and its *shape* (the height over the width of
   its bounding box).

Per pair the objects are counted in a size x speed histogram and a size x shape histogram; with the object
count, the largest object speed and the largest object size that is :data:`OBJECT_STATISTICS` values.

Size bins :data:`SIZE_EDGES` are fractions of the frame: a 256x192 frame's pedestrian of 8x14 pixels covers
0.0023, a car of 30x14 pixels 0.0085. Shape bins :data:`ASPECT_EDGES` split wide (< 0.7), square and tall
(>= 1.4) boxes: a person upright is tall, lying is wide.
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np

SIZE_EDGES = (0.0005, 0.00125, 0.003, 0.008)
"""Object size bin edges, in fractions of the frame's pixels (5 bins, each about 2.5 times the last)."""

ASPECT_EDGES = (0.7, 1.4)
"""Bounding-box height / width bin edges: wide, square, tall."""

OBJECT_SUMMARIES = ("count", "speed.max", "size.max")
"""The per-pair scalars after the histograms: object count, largest object speed, largest object size."""


def _bin_labels(edges: tuple[float, ...]) -> list[tuple[float, float]]:
    return list(itertools.pairwise((0.0, *edges, math.inf)))


def object_feature_labels(speed_edges: tuple[float, ...]) -> list[tuple[str, str, object]]:
    """``(label, kind, value)`` of every object feature, in order (see :data:`OBJECT_SUMMARIES`)."""
    labels: list[tuple[str, str, object]] = []
    sizes = _bin_labels(SIZE_EDGES)
    for size, speed in itertools.product(sizes, _bin_labels(speed_edges)):
        name = f"objects.size[{size[0]:g}-{size[1]:g}).speed[{speed[0]:g}-{speed[1]:g})"
        labels.append((name, "object_speed", (size, speed)))
    for size, shape in itertools.product(sizes, _bin_labels(ASPECT_EDGES)):
        name = f"objects.size[{size[0]:g}-{size[1]:g}).shape[{shape[0]:g}-{shape[1]:g})"
        labels.append((name, "object_shape", (size, shape)))
    labels += [(f"objects.{summary}", "objects", summary) for summary in OBJECT_SUMMARIES]
    return labels


def camera_shift(flow: np.ndarray) -> np.ndarray:
    """The camera's motion in a flow field: the per-axis median displacement ``(dx, dy)`` (float32).

    A fixed camera's shake moves the whole picture; as long as moving things cover less than half the frame,
    the median is the shake and subtracting it leaves the motion of the things.
    """
    return np.median(flow.reshape(-1, 2), axis=0).astype(np.float32)


class ObjectDescriber:
    """Moving-object statistics of frame pairs of one video (module docstring).

    Args:
        width, height: working image size (pixels).
        flow_downscale: the flow image is the working image reduced by this factor.
        speed_edges_px: speed bin edges in flow pixels per pair (the grid's edges in those units).
        pixels_per_speed: flow pixels per pair that make one frame width per frame.
        diff_threshold: grey-level change that marks a pixel as changed.
        min_area: fewest working pixels of an object.
    """

    def __init__(
        self,
        width: int,
        height: int,
        flow_downscale: int,
        speed_edges_px: np.ndarray,
        pixels_per_speed: float,
        diff_threshold: int,
        min_area: int,
    ) -> None:
        self.size = (width, height)
        self._flow_downscale = flow_downscale
        self._speed_edges_px = np.asarray(speed_edges_px, dtype=np.float64)
        self._pixels_per_speed = float(pixels_per_speed)
        self._size_edges = np.asarray(SIZE_EDGES) * (width * height)
        self._aspect_edges = np.asarray(ASPECT_EDGES)
        self._diff_threshold = diff_threshold
        self._min_area = min_area
        self._speed_bins = len(speed_edges_px) + 1
        self._kernel = np.ones((3, 3), np.uint8)
        sizes = len(SIZE_EDGES) + 1
        self.dim = sizes * self._speed_bins + sizes * (len(ASPECT_EDGES) + 1) + len(OBJECT_SUMMARIES)

    def describe(self, previous: np.ndarray, current: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """``(dim,)`` statistics of one pair.

        Args:
            previous, current: ``(height, width)`` uint8 working grey frames; ``previous`` already moved by
                the camera motion (:meth:`aligned`).
            flow: the pair's ``(height / flow_downscale, width / flow_downscale, 2)`` flow, camera motion
                already removed.
        """
        changed = cv2.compare(cv2.absdiff(previous, current), self._diff_threshold - 1, cv2.CMP_GT)
        mask = cv2.dilate(changed, self._kernel)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        row = np.zeros(self.dim)
        left, top = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
        width, height = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
        area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
        inside = (left > 0) & (top > 0) & (left + width < self.size[0]) & (top + height < self.size[1])
        keep = (area >= self._min_area) & inside
        if not keep.any():
            return row
        speed = cv2.magnitude(np.ascontiguousarray(flow[..., 0]), np.ascontiguousarray(flow[..., 1]))
        if self._flow_downscale > 1:
            speed = cv2.resize(speed, self.size, interpolation=cv2.INTER_NEAREST)
        on_change = labels.ravel() * (changed.ravel() > 0)
        sums = np.bincount(on_change, weights=speed.ravel(), minlength=count)[1:]
        changed_pixels = np.bincount(on_change, minlength=count)[1:]
        speeds = (sums / np.maximum(changed_pixels, 1))[keep]
        area = area[keep]
        aspect = height[keep] / width[keep]
        size_bin = np.searchsorted(self._size_edges, area, side="right")
        speed_bin = np.searchsorted(self._speed_edges_px, speeds, side="right")
        shape_bin = np.searchsorted(self._aspect_edges, aspect, side="right")
        sizes = len(SIZE_EDGES) + 1
        np.add.at(row, size_bin * self._speed_bins + speed_bin, 1.0)
        np.add.at(row, sizes * self._speed_bins + size_bin * (len(ASPECT_EDGES) + 1) + shape_bin, 1.0)
        row[-3] = area.size
        row[-2] = speeds.max() / self._pixels_per_speed
        row[-1] = area.max() / (self.size[0] * self.size[1])
        return row

    def aligned(self, previous: np.ndarray, shift: np.ndarray) -> np.ndarray:
        """``previous`` moved by the camera motion ``shift`` (flow pixels, ``(dx, dy)``), so that differencing
        it with the current frame shows what moved in the scene, not the shake (borders replicated)."""
        dx, dy = (float(v) * self._flow_downscale for v in shift)
        if abs(dx) < 0.25 and abs(dy) < 0.25:
            return previous
        matrix = np.float32([[1, 0, dx], [0, 1, dy]])
        return cv2.warpAffine(
            previous, matrix, self.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
