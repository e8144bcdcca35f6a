"""The eight anomaly classes: their cue, their exact ground-truth rule, their script and their constraints.

Each class needs high-level semantics rather than unusual pixels: the anomalous agents look like normal ones
(same palettes, sizes and, except for running, speeds), and normal videos contain the same ingredients in
their normal form (crossings at the crosswalk, brief stops at benches, people who meet, bags put down and
picked up, traffic both ways).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vadkit.synth import behaviours
from vadkit.synth.behaviours import Context, Scripted
from vadkit.synth.rules import NORMAL_DWELL_MAX_S, UNATTENDED_RADIUS, UNATTENDED_S

NORMAL_LABEL = "Normal"
"""Class of the videos without anomaly (and their folder name)."""


@dataclass(frozen=True)
class AnomalyClass:
    """An anomaly class.

    Attributes:
        name: class and folder name (``"WrongWay"``).
        cue: what distinguishes it from normal activity.
        rule: the ground-truth rule, in words (also on the dataset card).
        script: builds one event (see :mod:`vadkit.synth.behaviours`).
        min_length_s: shortest video that can hold the event.
        enters_at_start: the key moment is the agent's entry, within the first second of the video
            (loitering needs the whole stay in view); otherwise it falls within 10-45 % of the video.
        repeatable: a video may hold two events of the class.
    """

    name: str
    cue: str
    rule: str
    script: Callable[[Context], Scripted | None]
    min_length_s: float
    enters_at_start: bool = False
    repeatable: bool = False


LOITERING_LENGTH_S = (NORMAL_DWELL_MAX_S + 7.0, NORMAL_DWELL_MAX_S + 11.0)
"""Length range of loitering videos (and of as many long normal videos in the same split)."""

ANOMALY_CLASSES: tuple[AnomalyClass, ...] = (
    AnomalyClass(
        "Running",
        "speed: 3-4x the person's walking speed, faster gait",
        "frames in which the person moves at running speed and is in view",
        behaviours.running,
        3.0,
        repeatable=True,
    ),
    AnomalyClass(
        "Fighting",
        "interaction: two people meet and shove each other erratically",
        "from the frame the two meet until they part; both are boxed",
        behaviours.fighting,
        4.0,
        repeatable=True,
    ),
    AnomalyClass(
        "WrongWay",
        "direction: normal look and speed, driving against its lane's direction",
        "every frame in which the vehicle is in view",
        behaviours.wrong_way,
        3.0,
        repeatable=True,
    ),
    AnomalyClass(
        "Jaywalking",
        "location: crossing the road away from the crosswalk at walking speed",
        "frames in which the person's feet are on the road (between the kerbs)",
        behaviours.jaywalking,
        4.0,
        repeatable=True,
    ),
    AnomalyClass(
        "Loitering",
        f"long-range time: moves like others but stays longer than {NORMAL_DWELL_MAX_S:.0f} s",
        f"from the first frame after {NORMAL_DWELL_MAX_S:.0f} s in the scene until the person is gone",
        behaviours.loitering,
        LOITERING_LENGTH_S[0],
        enters_at_start=True,
    ),
    AnomalyClass(
        "AbandonedObject",
        "object left behind: a bag stays after its owner walked away",
        f"from the frame the bag has been unattended (owner > {UNATTENDED_RADIUS:g} px away or gone) for "
        f"{UNATTENDED_S:g} s to the end; the bag is boxed",
        behaviours.abandoned_object,
        9.0,
    ),
    AnomalyClass(
        "Falling",
        "pose: a walking person falls and lies on the ground",
        "from the first frame of the fall until the person starts getting up (or is gone)",
        behaviours.falling,
        4.0,
        repeatable=True,
    ),
    AnomalyClass(
        "VehicleOnSidewalk",
        "location: a normal-looking vehicle driving on the sidewalk",
        "frames in which the vehicle's centre is over the sidewalk and it is in view",
        behaviours.vehicle_on_sidewalk,
        3.0,
        repeatable=True,
    ),
)
"""The anomaly classes, in card order."""

CLASS_NAMES: tuple[str, ...] = tuple(anomaly.name for anomaly in ANOMALY_CLASSES)
"""Names of the anomaly classes."""

_BY_NAME = {anomaly.name: anomaly for anomaly in ANOMALY_CLASSES}


def anomaly_class(name: str) -> AnomalyClass:
    """The class called ``name``; ``KeyError`` listing the classes otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown anomaly class {name!r}; known: {', '.join(CLASS_NAMES)}") from None
