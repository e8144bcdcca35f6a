"""Words for the weight-free evidence: phrases for motion dimensions, names of frame regions, and the sentence
composed from an :class:`~vadkit.explain.evidence.Evidence` when no vision-language model describes the event.

Every phrase says where (``cell (r,c)`` or ``whole frame``), what (the dimension in words, e.g. ``fast motion
(speed >= 0.04 frame widths/frame)``, ``motion heading west``, ``darker (mean intensity)``) and how much
(``6.1 sd above normal``). The sentence (:func:`compose_description`) always ends with
:data:`COMPOSED_TAG`, so a reader knows no model looked at the frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vadkit.explain.evidence import Evidence, KindDeviation
    from vadkit.features.motion import FeatureDimension

COMPASS = {
    "E": "east",
    "NE": "north-east",
    "N": "north",
    "NW": "north-west",
    "W": "west",
    "SW": "south-west",
    "S": "south",
    "SE": "south-east",
}
"""The direction bins of the ``motion`` extractor in words (north is up in the picture)."""

COMPOSED_TAG = "[composed from motion evidence; no vision-language model]"
"""The last words of every composed sentence."""

COMPOSED_TAG_WITH_CLASS = "[composed from motion evidence and the predicted class; no vision-language model]"
"""The last words of a composed sentence that names a class."""

MOST_OF_THE_FRAME = 0.5
"""A region covering more than this fraction of the frame is called "most of the frame"."""

LISTED_CELLS = 4
"""At most this many cells are listed in a sentence, then ``...``."""


def _bin(low: float, high: float, unit: str) -> str:
    if math.isinf(high):
        return f">= {low:g}{unit}"
    if low == 0:
        return f"< {high:g}{unit}"
    return f"{low:g}-{high:g}{unit}"


def _size(bounds: tuple[float, float]) -> str:
    """An object size bin (fractions of the frame) in percent."""
    low, high = bounds
    if math.isinf(high):
        return f"over {100 * low:g}% of the frame"
    if low == 0:
        return f"under {100 * high:g}% of the frame"
    return f"{100 * low:g}-{100 * high:g}% of the frame"


def _shape(bounds: tuple[float, float]) -> str:
    """An aspect bin (box height / width) in words."""
    low, high = bounds
    return "wide" if low == 0 else "tall" if math.isinf(high) else "square"


def dimension_label(dimension: FeatureDimension, z: float) -> tuple[str, str]:
    """``(label, qualifier)`` of a motion dimension deviating by ``z``: the label in plain words (signed for
    the appearance dimensions: ``"darker"`` for a negative z of the mean intensity), the qualifier the
    measured quantity (may be empty). E.g. ``("fast motion", "speed >= 0.04 frame widths/frame")``."""
    kind, value = dimension.kind, dimension.value
    up = z >= 0
    if kind == "speed":
        low, high = value
        bounds = _bin(low, high, " frame widths/frame")
        if low == 0:
            return "no motion", f"speed {bounds}"
        if math.isinf(high):
            return "fast motion", f"speed {bounds}"
        return f"motion at {bounds}", ""
    if kind == "direction":
        return f"motion heading {COMPASS[value]}", "speed-weighted share of the cell"
    if kind == "moving":
        return "amount of motion", "largest fraction of moving pixels"
    if kind == "intensity" and value == "mean":
        return ("brighter" if up else "darker"), "mean intensity"
    if kind == "intensity":
        return ("more contrast" if up else "less contrast"), "intensity spread"
    if kind == "edges":
        return ("more edges" if up else "fewer edges"), "edge density"
    if kind == "object_speed":
        size, speed = value
        return f"moving objects of {_size(size)} at {_bin(*speed, ' frame widths/frame')}", ""
    if kind == "object_shape":
        size, shape = value
        return f"{_shape(shape)} moving objects of {_size(size)}", "box height/width " + _bin(*shape, "")
    return {
        "count": ("number of moving objects", ""),
        "speed.max": ("speed of the fastest moving object", ""),
        "size.max": ("size of the largest moving object", ""),
    }[value]


def sd_words(z: float) -> str:
    """``"6.1 sd above normal"`` or ``"2.0 sd below normal"``."""
    return f"{abs(z):.1f} sd {'above' if z >= 0 else 'below'} normal"


def dimension_phrase(dimension: FeatureDimension, z: float) -> str:
    """E.g. ``"cell (2,3): fast motion (speed >= 0.04 frame widths/frame), 6.1 sd above normal"``."""
    where = "whole frame" if dimension.cell is None else "cell ({},{})".format(*dimension.cell)
    label, qualifier = dimension_label(dimension, z)
    return f"{where}: {label}{f' ({qualifier})' if qualifier else ''}, {sd_words(z)}"


def region_name(cells: Sequence[tuple[int, int]], grid: tuple[int, int]) -> str:
    """Where the rectangle around ``cells`` lies: ``"most of the frame"`` when it covers more than
    :data:`MOST_OF_THE_FRAME` of it, else its centre's third of the frame, vertically (upper, middle,
    lower) and horizontally (left, centre, right): ``"lower left"``, ``"upper centre"``, ``"centre"``."""
    rows, cols = grid
    top, bottom = min(r for r, _ in cells), max(r for r, _ in cells) + 1
    left, right = min(c for _, c in cells), max(c for _, c in cells) + 1
    if (bottom - top) * (right - left) / (rows * cols) > MOST_OF_THE_FRAME:
        return "most of the frame"
    centre_y, centre_x = (top + bottom) / (2 * rows), (left + right) / (2 * cols)
    vertical = ("upper", "middle", "lower")[min(int(3 * centre_y), 2)]
    horizontal = ("left", "centre", "right")[min(int(3 * centre_x), 2)]
    if (vertical, horizontal) == ("middle", "centre"):
        return "centre"
    return f"{vertical} {horizontal}"


def _cells_words(cells: Sequence[tuple[int, int]]) -> str:
    listed = ",".join(f"({r},{c})" for r, c in cells[:LISTED_CELLS])
    more = ",..." if len(cells) > LISTED_CELLS else ""
    return f"cell{'s' if len(cells) > 1 else ''} {listed}{more}"


def _where(kind: KindDeviation, grid: tuple[int, int]) -> str:
    if not kind.cells:
        return f"across the whole frame ({sd_words(kind.z)})"
    region = region_name(kind.cells, grid)
    place = "across most of the frame" if region == "most of the frame" else f"in the {region} of the frame"
    return f"{place} ({_cells_words(kind.cells)}; {sd_words(kind.z)})"


def _headline(evidence: Evidence, main: KindDeviation) -> str:
    """What deviates, in words, for the strongest kind ``main``; speed and direction deviating in a shared
    cell are told together (``"unusual fast motion heading west"``)."""
    kinds = {kind.kind: kind for kind in evidence.kinds}
    speed, direction = kinds["speed"], kinds["direction"]
    if main.kind in ("speed", "direction"):
        together = speed.sd >= evidence.threshold and direction.sd >= evidence.threshold
        if together and set(speed.cells) & set(direction.cells):
            return f"unusual {speed.label} heading {direction.direction}"
        return f"unusual {main.label}"
    if main.kind == "static foreground":
        return f"a possible still object appearing, leaving or stopping ({main.label}, no unusual motion)"
    if main.kind == "appearance change":
        return f"unusual appearance change ({main.label})"
    return f"unusual {main.label}"


def compose_description(
    evidence: Evidence, class_name: str | None = None, confidence: float | None = None
) -> str:
    """One sentence describing the event from its motion evidence (and class, when given), saying so.

    E.g. ``"Unusual fast motion in the lower left of the frame (cells (3,0),(3,1); 6.1 sd above normal) from
    12.3 s to 15.0 s, peak at 13.1 s. [composed from motion evidence; no vision-language model]"``; with a
    class: ``"Possible Fighting (confidence 0.82): unusual fast motion ..."``. The headline is the strongest
    deviation kind, with its cells, region (:func:`region_name`) and size; speed and direction that both reach
    the threshold in a shared cell are told together (``"unusual fast motion heading west"``). An event whose
    features stay within ``evidence.threshold`` sd of normal everywhere says that, with its largest deviation.

    Args:
        evidence: the event's evidence (:func:`~vadkit.explain.evidence.explain_event`).
        class_name: the predicted class, if any.
        confidence: the class's score, shown with two decimals when given with a class.
    """
    main = evidence.kinds[0]
    if evidence.kind is None:
        body = f"no part of the frame deviates from normal motion by {evidence.threshold:g} sd or more"
        if evidence.dimensions:
            body += f" (largest: {evidence.dimensions[0].phrase})"
    else:
        body = f"{_headline(evidence, main)} {_where(main, evidence.grid)}"
    when = f"from {evidence.start / evidence.fps:.1f} s to {evidence.end / evidence.fps:.1f} s"
    if evidence.peak_frame is not None:
        when += f", peak at {evidence.peak_frame / evidence.fps:.1f} s"
    head, tag = "", COMPOSED_TAG
    if class_name:
        shown = "" if confidence is None else f" (confidence {confidence:.2f})"
        head, tag = f"Possible {class_name}{shown}: ", COMPOSED_TAG_WITH_CLASS
    sentence = f"{head}{body} {when}."
    return f"{sentence[0].upper()}{sentence[1:]} {tag}"
