"""Road traffic: vehicle trips per lane that never catch up with each other, and gaps for crossing.

Every trip drives at constant speed along its lane, from :data:`~vadkit.synth.rules.ENTRY_MARGIN` beyond one
frame edge to as far beyond the other. Trips of one lane are spaced so that a faster vehicle never comes
within :data:`~vadkit.synth.rules.VEHICLE_HEADWAY` of a slower one ahead while both are on the road (the gap
is linear in time, so it is enough to check it when the follower enters and when the leader leaves).
Pedestrians cross only when no vehicle is over their crossing line while they are in its lane
(:meth:`Traffic.crossing_start`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vadkit.synth.agents import NORMAL, Agent, VehicleLook, vehicle, vehicle_look
from vadkit.synth.layouts import Layout
from vadkit.synth.motion import Leg, follow
from vadkit.synth.rules import ENTRY_MARGIN, VEHICLE_HEADWAY, VEHICLE_SPEED, seconds

CROSSING_CLEARANCE = 6.0
"""Pixels kept between a crossing pedestrian's line and a vehicle's body, along the road."""


@dataclass(frozen=True)
class Trip:
    """One vehicle driving the full length of lane ``lane`` in ``direction``; its centre is at its entry point
    at time ``t0`` (frames, fractional)."""

    lane: int
    direction: int
    speed: float
    t0: float
    look: VehicleLook
    role: str = NORMAL

    def entry(self, layout: Layout) -> float:
        """``u`` of the centre at ``t0``: beyond the frame edge the vehicle comes from."""
        reach = self.look.length / 2 + ENTRY_MARGIN
        return -reach if self.direction > 0 else layout.length + reach

    def duration(self, layout: Layout) -> float:
        """Frames from entry to exit."""
        return (layout.length + self.look.length + 2 * ENTRY_MARGIN) / self.speed

    def occupancy(self, layout: Layout, u_lo: float, u_hi: float) -> tuple[float, float]:
        """Times ``(t_a, t_b)`` during which the body overlaps ``[u_lo, u_hi]`` along the road."""
        half, entry = self.look.length / 2, self.entry(layout)
        if self.direction > 0:
            return self.t0 + (u_lo - half - entry) / self.speed, self.t0 + (u_hi + half - entry) / self.speed
        return self.t0 + (entry - u_hi - half) / self.speed, self.t0 + (entry - u_lo + half) / self.speed

    def agent(self, layout: Layout) -> Agent:
        """The trip as a vehicle track."""
        lane = layout.lanes[self.lane]
        exit_u = self.entry(layout) + self.direction * self.speed * self.duration(layout)
        path = follow(self.t0, (self.entry(layout), lane.centre), [Leg((exit_u, lane.centre), self.speed)])
        return vehicle(path, self.look, self.direction, self.role)


def _next_entry(layout: Layout, leader: Trip, look: VehicleLook, speed: float) -> float:
    """Earliest ``t0`` of a trip behind ``leader`` in its lane that keeps the headway while both are on the
    road. Measured along the direction of travel from the frame edge, a centre starts at ``-(length / 2 +
    margin)``; the centres must stay ``(length_leader + length) / 2 + headway`` apart when the follower enters
    and when the leader leaves (at ``length + length_leader / 2 + margin``)."""
    gap = (leader.look.length + look.length) / 2 + VEHICLE_HEADWAY
    at_entry = leader.t0 + (gap + (leader.look.length - look.length) / 2) / leader.speed
    reach = layout.length + (leader.look.length + look.length) / 2 + 2 * ENTRY_MARGIN
    at_leader_exit = leader.t0 + leader.duration(layout) - (reach - gap) / speed
    return max(at_entry, at_leader_exit)


def schedule_lane(
    layout: Layout, lane: int, rng: np.random.Generator, t_from: float, t_to: float, mean_gap_s: float
) -> list[Trip]:
    """Normal trips of ``lane`` entering between ``t_from`` and ``t_to``: exponential gaps of mean
    ``mean_gap_s`` seconds, speeds uniform in :data:`~vadkit.synth.rules.VEHICLE_SPEED`, spaced by
    :func:`_next_entry`."""
    direction = layout.lanes[lane].direction
    trips: list[Trip] = []
    t = t_from
    while True:
        look, speed = vehicle_look(rng), float(rng.uniform(*VEHICLE_SPEED))
        t += rng.exponential(seconds(mean_gap_s))
        if trips:
            t = max(t, _next_entry(layout, trips[-1], look, speed))
        if t >= t_to:
            return trips
        trips.append(Trip(lane, direction, speed, t, look))


@dataclass
class Traffic:
    """All trips of one video."""

    layout: Layout
    trips: list[Trip] = field(default_factory=list)

    @classmethod
    def generate(
        cls, layout: Layout, rng: np.random.Generator, t_from: float, t_to: float, mean_gap_s: float
    ) -> Traffic:
        """Normal traffic on every lane."""
        trips = [
            trip
            for lane in range(len(layout.lanes))
            for trip in schedule_lane(layout, lane, rng, t_from, t_to, mean_gap_s)
        ]
        return cls(layout, trips)

    def clear_lane(self, lane: int, t_lo: float, t_hi: float) -> None:
        """Remove the normal trips of ``lane`` that are on the road at any time in ``[t_lo, t_hi]``."""
        self.trips = [
            trip
            for trip in self.trips
            if trip.lane != lane
            or trip.role != NORMAL
            or trip.t0 > t_hi
            or trip.t0 + trip.duration(self.layout) < t_lo
        ]

    def crossing_start(
        self, u: float, v_from: float, v_to: float, speed: float, t_arrive: float, max_wait: float
    ) -> float | None:
        """Earliest time ``>= t_arrive`` at which a pedestrian can leave ``v_from`` and walk straight across
        the road to ``v_to`` at ``u`` and ``speed`` without any vehicle over its line while it is in that
        vehicle's lane; ``None`` if that means waiting longer than ``max_wait`` frames."""
        u_lo, u_hi = u - CROSSING_CLEARANCE, u + CROSSING_CLEARANCE
        sign, total = math.copysign(1.0, v_to - v_from), abs(v_to - v_from)
        blocked = []
        for trip in self.trips:
            centre = self.layout.lanes[trip.lane].centre
            half = trip.look.width / 2 + CROSSING_CLEARANCE
            x1, x2 = sorted(((centre - half - v_from) * sign, (centre + half - v_from) * sign))
            if x2 < 0 or x1 > total:
                continue
            t_a, t_b = trip.occupancy(self.layout, u_lo, u_hi)
            blocked.append((t_a - min(x2, total) / speed, t_b - max(x1, 0.0) / speed))
        start = t_arrive
        for lo, hi in sorted(blocked):
            if hi <= start:
                continue
            if lo >= start:
                break
            start = hi
        return start if start - t_arrive <= max_wait else None

    def agents(self) -> list[Agent]:
        """Every trip as a vehicle track, in trip order."""
        return [trip.agent(self.layout) for trip in self.trips]


def lane_window(layout: Layout, trip: Trip, margin_s: float = 2.0) -> tuple[float, float]:
    """The time ``trip`` spends on the road, widened by ``margin_s`` seconds on each side."""
    margin = seconds(margin_s)
    return trip.t0 - margin, trip.t0 + math.ceil(trip.duration(layout)) + margin
