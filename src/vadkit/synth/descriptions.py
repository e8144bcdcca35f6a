"""Text descriptions of events: a few templates per class, filled with the event's details and time span.

Times are the event's ground-truth span in seconds (start frame / fps to end frame / fps, one decimal).
"""

from __future__ import annotations

from collections.abc import Mapping

TEMPLATES: Mapping[str, tuple[str, ...]] = {
    "Running": (
        "A person in a {shirt} shirt runs {direction} along the {place} between {start_s} s and {end_s} s.",
        "Someone wearing {shirt} breaks into a run on the {place}, moving {direction}, from {start_s} s to "
        "{end_s} s.",
    ),
    "Fighting": (
        "Two people, one in {shirt_a} and one in {shirt_b}, meet on the {place} and fight from {start_s} s "
        "to {end_s} s.",
        "A person in {shirt_a} and a person in {shirt_b} shove each other on the {place} between {start_s} s "
        "and {end_s} s.",
    ),
    "WrongWay": (
        "A {colour} car drives {direction} in the {lane}, whose traffic goes {lane_direction}, from "
        "{start_s} s to {end_s} s.",
        "A {colour} vehicle goes the wrong way in the {lane} ({direction}, against traffic going "
        "{lane_direction}) between {start_s} s and {end_s} s.",
    ),
    "Jaywalking": (
        "A person in a {shirt} shirt crosses the road from the {from} to the {to} about {distance} px away "
        "from the crosswalk, between {start_s} s and {end_s} s.",
        "Someone wearing {shirt} walks across the road outside the crosswalk ({distance} px from it), from "
        "the {from} to the {to}, from {start_s} s to {end_s} s.",
    ),
    "Loitering": (
        "A person in a {shirt} shirt lingers {place} for far longer than passers-by; past "
        "{threshold_s:.0f} s in the scene they are loitering, from {start_s} s to {end_s} s.",
        "Someone wearing {shirt} keeps wandering {place}; they have stayed over "
        "{threshold_s:.0f} s by {start_s} s and remain until {end_s} s.",
    ),
    "AbandonedObject": (
        "A person in a {shirt} shirt puts down a {bag} bag on the {place} at {put_s} s and walks away; the "
        "bag is left unattended from {start_s} s to {end_s} s.",
        "A {bag} bag is abandoned on the {place}: its owner, wearing {shirt}, leaves it at {put_s} s and it "
        "stays alone from {start_s} s to {end_s} s.",
    ),
    "Falling": (
        "A person in a {shirt} shirt falls down on the {place} at {start_s} s and lies on the ground until "
        "{end_s} s.",
        "Someone wearing {shirt} collapses on the {place}, on the ground from {start_s} s to {end_s} s.",
    ),
    "VehicleOnSidewalk": (
        "A {colour} car drives {direction} on the {place} from {start_s} s to {end_s} s.",
        "A {colour} vehicle is driven along the {place}, moving {direction}, between {start_s} s and "
        "{end_s} s.",
    ),
}
"""Description templates per anomaly class."""


def _seconds(frame: int, fps: float) -> str:
    return f"{frame / fps:.1f}"


def describe(
    label: str, details: Mapping[str, object], start: int, end: int, fps: float, template: int
) -> str:
    """A description of an event of class ``label`` spanning frames ``[start, end)``: the class's template
    number ``template`` (modulo their count) filled with ``details`` and the span in seconds."""
    templates = TEMPLATES[label]
    span = {"start_s": _seconds(start, fps), "end_s": _seconds(end, fps)}
    return templates[template % len(templates)].format(**span, **details)
