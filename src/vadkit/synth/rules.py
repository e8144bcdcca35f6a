"""The rules of the synthetic world: frame geometry, speeds, sizes and the thresholds that define anomalies.

Every number the generator and its ground truth depend on lives here, so the dataset card, the ground-truth
rules and the tests all read the same values. Distances are in pixels, times in frames at :data:`FPS`
(15 frames per second) unless a name ends in ``_S`` (seconds).
"""

from __future__ import annotations

FPS = 15
"""Frame rate of every video."""

WIDTH, HEIGHT = 256, 192
"""Frame size in pixels (even, as H.264 4:2:0 needs)."""

CANVAS_PAD = 3
"""Margin drawn around the frame so that camera jitter never shows an undrawn border."""

MAX_JITTER = 2
"""Largest camera shake, in pixels along each image axis."""

WALK_SPEED = (1.0, 1.5)
"""Normal walking speed range, pixels per frame (uniform). Loiterers and jaywalkers use it too."""

RUN_FACTOR = (3.0, 4.0)
"""A runner moves at its own walking speed times a factor drawn from this range."""

WALK_STRIDE = 14.0
"""Pixels travelled per gait cycle when walking; running uses :data:`RUN_STRIDE`."""

RUN_STRIDE = 24.0
"""Pixels per gait cycle when running (speed above :data:`RUN_SPEED_MIN`): the legs cycle about twice as
often as when walking."""

RUN_SPEED_MIN = 2.5
"""Speeds at or above this (pixels per frame) are drawn with the running gait."""

VEHICLE_SPEED = (2.2, 3.6)
"""Speed range of every vehicle, normal or not (pixels per frame, uniform)."""

VEHICLE_LENGTH = (24, 32)
"""Vehicle length range along its direction of travel (pixels)."""

VEHICLE_WIDTH = (12, 15)
"""Vehicle width range (pixels)."""

VEHICLE_HEADWAY = 10.0
"""Smallest bumper-to-bumper gap between vehicles of one lane (pixels)."""

ENTRY_MARGIN = 10.0
"""Agents enter and leave this far outside the frame edge (on top of their half size), so they appear
gradually."""

PEDESTRIAN_HALF_WIDTH = 4
"""Half width of a pedestrian's torso (pixels)."""

NORMAL_DWELL_MAX_S = 20.0
"""No normal pedestrian stays in the scene longer than this (their whole track, from entering at a frame edge
to leaving, is at most this long). A person still in the scene after it is loitering."""

BENCH_STOP_S = (1.0, 3.0)
"""How long a normal pedestrian stops at a bench (seconds)."""

MEET_STOP_S = (1.0, 3.0)
"""How long two normal pedestrians who meet stand together (seconds)."""

CROSSING_MAX_WAIT_S = 4.0
"""Longest a pedestrian waits at the kerb for a gap in the traffic (seconds)."""

UNATTENDED_RADIUS = 40.0
"""An object is unattended while its owner's feet are farther than this from it (pixels) or out of view."""

UNATTENDED_S = 2.0
"""An object left unattended this long (seconds) is abandoned."""

JAYWALK_MIN_DISTANCE = 40.0
"""A jaywalker crosses at least this far (pixels) from the nearest edge of every crosswalk."""

FALL_FRAMES = 6
"""Frames a falling person takes to go from upright to lying."""

GET_UP_FRAMES = 10
"""Frames a fallen person takes to get up again."""

MIN_EVENT_FRAMES = 8
"""Every annotated event lasts at least this many frames inside the video."""

WARM_UP_S = 20.0
"""The world runs this long before the first frame, so the scene is already populated when the video
starts."""


def seconds(value: float) -> int:
    """``value`` seconds as a whole number of frames at :data:`FPS` (rounded)."""
    return round(value * FPS)
