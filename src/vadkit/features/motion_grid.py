"""Per-cell statistics of batches of flow fields and grey frames on a grid of equal cells.

An image of ``width`` x ``height`` pixels (multiples of the grid) is cut into ``rows * cols`` cells of
``width/cols`` x ``height/rows`` pixels, numbered row-major: cell ``(r, c)`` is number ``r * cols + c``,
``(0, 0)`` at the top left. Every statistic is computed for all cells at once: ``np.bincount`` over a
precomputed pixel-to-cell map, or summed-area tables read at the cell corners.

Directions are compass directions in the picture: north is up (towards row 0), east is right. Image y grows
downwards, so a flow ``(dx, dy)`` points at the compass angle ``atan2(-dy, dx)`` (0 = E, 90 = N).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DIRECTIONS = ("E", "NE", "N", "NW", "W", "SW", "S", "SE")
"""The direction bins, counter-clockwise from east; bin ``k`` covers compass angles ``[45k - 22.5, 45k +
22.5)`` degrees."""

SOBEL_GAIN = 8.0
"""OpenCV's 3x3 Sobel response to a ramp rising 1 per pixel (central difference 2, smoothing weights 4)."""


@dataclass(frozen=True)
class FlowStatistics:
    """Flow statistics of P frame pairs, per cell (row-major), speeds in pixels per frame.

    Attributes:
        speed_histogram: ``(P, cells, len(edges) + 1)``: fraction of the cell's pixels whose speed falls in
            each bin ``[0, e0), [e0, e1), ..., [e_last, inf)``.
        direction: ``(P, cells, 8)``: the speeds of the cell's moving pixels (speed >= e0) summed per
            direction bin of :data:`DIRECTIONS` and divided by the cell's pixel count.
        moving: ``(P, cells)``: fraction of the cell's pixels that move (speed >= e0).
    """

    speed_histogram: np.ndarray
    direction: np.ndarray
    moving: np.ndarray


class CellGrid:
    """A ``width`` x ``height`` image cut into ``rows`` x ``cols`` equal cells.

    The statistics take a batch of images (or flow fields) at once, stacked on a first axis, so that the
    per-call costs of NumPy and OpenCV are paid once per batch rather than once per frame.

    Raises:
        ValueError: a side the grid does not divide.
    """

    def __init__(self, width: int, height: int, rows: int, cols: int) -> None:
        if width % cols or height % rows:
            raise ValueError(f"a {width}x{height} image cannot be cut into {rows}x{cols} equal cells")
        self.width, self.height, self.rows, self.cols = width, height, rows, cols
        self.cells = rows * cols
        self.cell_area = (width // cols) * (height // rows)
        row_of = np.arange(height) // (height // rows)
        col_of = np.arange(width) // (width // cols)
        self._cell_of_pixel = (row_of[:, None] * cols + col_of[None, :]).ravel()
        # Index arrays per batch size (batches repeat their size), built on first use.
        self._offsets: dict[tuple[int, int], np.ndarray] = {}
        self._corners: dict[int, tuple[np.ndarray, ...]] = {}

    def cell_sums(self, integral: np.ndarray) -> np.ndarray:
        """``(N, cells)`` sums over each cell of ``N`` stacked images, from their summed-area table.

        ``integral`` is ``cv2.integral`` of the images stacked as one ``(N * height, width)`` image: an
        ``(N * height + 1, width + 1)`` table, whose values at the cell corners give every cell's sum (cells
        never straddle two images, so stacking changes nothing).
        """
        count = (integral.shape[0] - 1) // self.height
        if count not in self._corners:
            rows = np.arange(0, count * self.height + 1, self.height // self.rows)
            self._corners[count] = np.ix_(rows, np.arange(0, self.width + 1, self.width // self.cols))
        corners = integral[self._corners[count]]
        return np.diff(np.diff(corners, axis=0), axis=1).reshape(count, self.cells)

    def _bin_offsets(self, count: int, bins: int) -> np.ndarray:
        """``(count, height * width)``: the first histogram slot of every pixel's cell, per image, for
        ``count`` images of ``bins`` bins per cell."""
        key = (count, bins)
        if key not in self._offsets:
            per_image = np.arange(count)[:, None] * (self.cells * bins)
            self._offsets[key] = per_image + self._cell_of_pixel * bins
        return self._offsets[key]

    def _histograms(self, slots: np.ndarray, bins: int, weights: np.ndarray | None = None) -> np.ndarray:
        """``(N, cells, bins)`` pixel counts (or weight sums) per cell and bin, divided by the cell area,
        from the histogram slot of every pixel (``(N, height * width)``)."""
        count = slots.shape[0]
        sums = np.bincount(slots.ravel(), weights=weights, minlength=count * self.cells * bins)
        return sums.reshape(count, self.cells, bins) / self.cell_area

    def flow_statistics(self, flows: np.ndarray, speed_edges: np.ndarray) -> FlowStatistics:
        """Speed histogram, speed-weighted direction histogram and moving fraction of every cell.

        Args:
            flows: ``(P, height, width, 2)`` float32 displacements ``(dx, dy)``, image y down.
            speed_edges: increasing float32 bin edges in the flow's units; a pixel moves when its speed (the
                length of its displacement) reaches ``speed_edges[0]``.
        """
        count, bins = flows.shape[0], speed_edges.size + 1
        pairs = flows.reshape(-1, 2)
        speed, angle = cv2.cartToPolar(
            np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1]), angleInDegrees=True
        )
        speed, angle = speed.reshape(count, -1), angle.reshape(count, -1)
        is_moving = speed >= speed_edges[0]
        slots = self._bin_offsets(count, bins) + is_moving
        for edge in speed_edges[1:]:
            slots += speed >= edge
        speed_histogram = self._histograms(slots, bins)
        # cartToPolar measures from +x towards +y (down); the compass angle is its mirror image, 360 - angle,
        # and bin k starts at 45k - 22.5 degrees: k = floor((360 - angle + 22.5) / 45) mod 8.
        direction_bin = ((382.5 - angle) * (1.0 / 45.0)).astype(np.intp) % len(DIRECTIONS)
        slots = self._bin_offsets(count, len(DIRECTIONS)) + direction_bin
        direction = self._histograms(slots, len(DIRECTIONS), (speed * is_moving).ravel())
        return FlowStatistics(speed_histogram, direction, 1.0 - speed_histogram[:, :, 0])

    def appearance_statistics(self, greys: np.ndarray, edge_threshold: float) -> np.ndarray:
        """``(N, cells, 3)``: intensity mean, intensity standard deviation and edge density of every cell.

        Intensities are grey levels divided by 255 (0 = black, 1 = white); the standard deviation is the
        population one of the cell's pixels. Edge density is the fraction of the cell's pixels whose
        gradient magnitude (3x3 Sobel divided by :data:`SOBEL_GAIN`, in intensity per pixel, each image's
        borders reflected) reaches ``edge_threshold``. Sums are exact (integer summed-area tables).

        Args:
            greys: ``(N, height, width)`` uint8 frames.
            edge_threshold: gradient magnitude, in intensity per pixel, that counts as an edge.
        """
        count = greys.shape[0]
        stacked = greys.reshape(count * self.height, self.width)
        sums, squares = cv2.integral2(stacked, sdepth=cv2.CV_32S, sqdepth=cv2.CV_64F)
        area = float(self.cell_area)
        total = self.cell_sums(sums).astype(np.float64)
        # Integers below 2**53 (cells of at most 512x512 pixels): the variance is exact, 0 for a flat cell.
        variance = (area * self.cell_sums(squares) - total * total) / (area * 255.0) ** 2
        mean, std = total / (area * 255.0), np.sqrt(variance)
        magnitude = np.empty((count, self.height, self.width), dtype=np.float32)
        for grey, out in zip(greys, magnitude, strict=True):
            dx, dy = cv2.spatialGradient(grey)
            cv2.magnitude(dx.astype(np.float32), dy.astype(np.float32), out)
        is_edge = (magnitude >= edge_threshold * SOBEL_GAIN * 255.0).view(np.uint8)
        edge_counts = cv2.integral(is_edge.reshape(count * self.height, self.width), sdepth=cv2.CV_32S)
        edges = self.cell_sums(edge_counts) / self.cell_area
        return np.stack([mean, std, edges], axis=2)
