"""The scripted behaviour of each anomaly class: which agents act, how they move, and the frames in which the
behaviour is abnormal (before it is cut to the frames where the agents are in view).

Every script takes a :class:`Context` and returns a :class:`Scripted`, or ``None`` when the random draw does
not fit the scene (the caller draws again). The exact ground-truth rule of each class is in its docstring.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from vadkit.synth.agents import Agent, bag, pedestrian, vehicle, vehicle_look
from vadkit.synth.layouts import Layout
from vadkit.synth.motion import Leg, Pause, follow
from vadkit.synth.routes import direction, entry_u, exit_u, kerb_v, point_along, walk_v, walker
from vadkit.synth.rules import (
    BENCH_STOP_S,
    CROSSING_MAX_WAIT_S,
    ENTRY_MARGIN,
    FALL_FRAMES,
    FPS,
    GET_UP_FRAMES,
    JAYWALK_MIN_DISTANCE,
    NORMAL_DWELL_MAX_S,
    RUN_FACTOR,
    UNATTENDED_RADIUS,
    UNATTENDED_S,
    VEHICLE_SPEED,
    WALK_SPEED,
    seconds,
)
from vadkit.synth.traffic import Traffic, Trip, lane_window


@dataclass(frozen=True)
class Context:
    """What a script needs: the scene's layout, the traffic (read only), the video's random generator, the
    video length and the frames ``[lo, hi)`` in which the behaviour's key moment is to fall."""

    layout: Layout
    traffic: Traffic
    rng: np.random.Generator
    num_frames: int
    window: tuple[int, int]

    def key_time(self) -> float:
        """A time (fractional frame) uniform in the window."""
        return float(self.rng.uniform(self.window[0], max(self.window[1], self.window[0] + 1)))


@dataclass(frozen=True)
class Scripted:
    """The outcome of a script.

    Attributes:
        agents: the agents taking part (their ``role`` is the class name).
        boxed: indices into ``agents`` of those whose boxes are the event's ground truth.
        behaviour: frames ``[start, end)`` in which the behaviour is abnormal.
        details: facts for the description (colour names, place, direction...).
        trips: vehicles on the road lanes, added to the traffic so that pedestrians wait for them.
        clear: ``(lane, t_lo, t_hi)`` windows of the road to clear of normal traffic.
    """

    agents: tuple[Agent, ...]
    boxed: tuple[int, ...]
    behaviour: tuple[int, int]
    details: Mapping[str, object]
    trips: tuple[Trip, ...] = ()
    clear: tuple[tuple[int, float, float], ...] = field(default=())


def _flagged(flags: np.ndarray, start: int) -> tuple[int, int] | None:
    """``[first, last + 1)`` of the frames where ``flags`` (indexed from frame ``start``) is true."""
    where = np.flatnonzero(flags)
    return None if where.size == 0 else (start + int(where[0]), start + int(where[-1]) + 1)


def running(ctx: Context) -> Scripted:
    """A pedestrian walks along a sidewalk, then runs at 3-4 times their walking speed (faster gait) until
    they leave; some enter already running. Abnormal: every frame at running speed."""
    layout, rng = ctx.layout, ctx.rng
    sidewalk, d = layout.sidewalks[int(rng.integers(2))], direction(rng)
    look, walk = walker(rng)
    run = walk * float(rng.uniform(*RUN_FACTOR))
    line, origin_u = walk_v(rng, sidewalk), entry_u(layout, d)
    run_u = origin_u if rng.random() < 0.3 else point_along(layout, d, float(rng.uniform(0.15, 0.5)))
    t_run = ctx.key_time()
    path = follow(
        t_run - abs(run_u - origin_u) / walk,
        (origin_u, line),
        [Leg((run_u, line), walk), Leg((exit_u(layout, d), line), run)],
    )
    details = {
        "shirt": look.shirt.name,
        "direction": layout.direction_words(d),
        "place": sidewalk.name,
        "speed_ratio": round(run / walk, 2),
    }
    return Scripted((pedestrian(path, look, "Running"),), (0,), (math.ceil(path.knots[0]), path.end), details)


def _erratic(agent: Agent, rng: np.random.Generator, layout: Layout, start: int, end: int) -> Agent:
    """``agent`` shoved around erratically in frames ``[start, end)``: jumps of up to 2 pixels, body angles of
    up to 25 degrees and fast leg movement, each changing every other frame."""
    lo, hi = start - agent.start, end - agent.start
    count = hi - lo
    pairs = (count + 1) // 2
    shove = np.repeat(rng.integers(-2, 3, size=(pairs, 2)), 2, axis=0)[:count]
    du, dv = layout.image_step(shove[:, 0], shove[:, 1])
    u, v, tilt, phase = agent.u.copy(), agent.v.copy(), agent.tilt.copy(), agent.phase.copy()
    u[lo:hi] += du
    v[lo:hi] += dv
    tilt[lo:hi] = np.repeat(rng.uniform(-25, 25, size=pairs), 2)[:count]
    phase[lo:hi] += np.cumsum(rng.uniform(0.1, 0.4, size=count))
    phase[hi:] += phase[hi - 1] - agent.phase[hi - 1]
    return dataclasses.replace(agent, u=u, v=v, tilt=tilt, phase=phase)


def fighting(ctx: Context) -> Scripted:
    """Two pedestrians walk towards each other along a sidewalk, meet, shove each other erratically for 2-6 s,
    then each goes back the way they came. Abnormal: from the frame they meet until they part; both are
    boxed."""
    layout, rng = ctx.layout, ctx.rng
    sidewalk = layout.sidewalks[int(rng.integers(2))]
    meet_u, line = point_along(layout, 1, float(rng.uniform(0.3, 0.7))), walk_v(rng, sidewalk)
    t_meet, fight = ctx.key_time(), seconds(rng.uniform(2.0, 6.0))
    start, end = math.ceil(t_meet), math.ceil(t_meet + fight)
    people, shirts = [], []
    for d, offset in ((1, -4.0), (-1, 4.0)):
        look, speed = walker(rng)
        spot, origin = (meet_u + offset, line), (entry_u(layout, d), line)
        t0 = t_meet - abs(spot[0] - origin[0]) / speed
        path = follow(t0, origin, [Leg(spot, speed), Pause(fight), Leg(origin, speed)])
        people.append(_erratic(pedestrian(path, look, "Fighting"), rng, layout, start, end))
        shirts.append(look.shirt.name)
    details = {"shirt_a": shirts[0], "shirt_b": shirts[1], "place": sidewalk.name}
    return Scripted(tuple(people), (0, 1), (start, end), details)


def wrong_way(ctx: Context) -> Scripted:
    """A vehicle drives along a lane against the lane's direction, with the look and speed distribution of
    normal traffic; its lane is cleared of oncoming traffic. Abnormal: every frame it is in view."""
    layout, rng = ctx.layout, ctx.rng
    lane_index = int(rng.integers(len(layout.lanes)))
    lane = layout.lanes[lane_index]
    look, speed = vehicle_look(rng), float(rng.uniform(*VEHICLE_SPEED))
    trip = Trip(lane_index, -lane.direction, speed, ctx.key_time(), look, "WrongWay")
    agent = trip.agent(layout)
    details = {
        "colour": look.body.name,
        "direction": layout.direction_words(-lane.direction),
        "lane": lane.name,
        "lane_direction": layout.direction_words(lane.direction),
    }
    clear = ((lane_index, *lane_window(layout, trip)),)
    return Scripted((agent,), (0,), (agent.start, agent.end), details, (trip,), clear)


def jaywalking(ctx: Context) -> Scripted | None:
    """A pedestrian walks along a sidewalk and crosses the road at normal walking speed at least
    :data:`~vadkit.synth.rules.JAYWALK_MIN_DISTANCE` pixels from every crosswalk, waiting for a gap in the
    traffic as everyone does. Abnormal: the frames in which their feet are on the road."""
    layout, rng = ctx.layout, ctx.rng
    candidates = np.arange(16, layout.length - 16)
    allowed = candidates[[layout.crosswalk_distance(float(u)) >= JAYWALK_MIN_DISTANCE for u in candidates]]
    if allowed.size == 0:
        return None
    u = float(allowed[int(rng.integers(allowed.size))])
    first = int(rng.integers(2))
    start, end = layout.sidewalks[first], layout.sidewalks[1 - first]
    d, (look, speed) = direction(rng), walker(rng)
    line_in, line_out = walk_v(rng, start), walk_v(rng, end)
    origin = (entry_u(layout, d), line_in)
    t_kerb = ctx.key_time()
    t0 = t_kerb - (abs(u - origin[0]) + abs(kerb_v(start) - line_in)) / speed
    leave = ctx.traffic.crossing_start(
        u, kerb_v(start), kerb_v(end), speed, t_kerb, seconds(CROSSING_MAX_WAIT_S)
    )
    if leave is None:
        return None
    steps = [
        Leg((u, line_in), speed),
        Leg((u, kerb_v(start)), speed),
        Pause(leave - t_kerb),
        Leg((u, kerb_v(end)), speed),
        Leg((u + 8 * d, line_out), speed),
        Leg((exit_u(layout, d), line_out), speed),
    ]
    path = follow(t0, origin, steps)
    on_road = _flagged(layout.on_road(path.v), path.start)
    if on_road is None:
        return None
    details = {
        "shirt": look.shirt.name,
        "from": start.name,
        "to": end.name,
        "distance": round(layout.crosswalk_distance(u)),
    }
    return Scripted((pedestrian(path, look, "Jaywalking"),), (0,), on_road, details)


def loitering(ctx: Context) -> Scripted:
    """A pedestrian who looks and moves like everyone else (normal walking speed, short pauses) enters and
    wanders slowly around one spot of a sidewalk (often a bench) until well past the normal dwell limit,
    then leaves. Abnormal: from the first frame after :data:`~vadkit.synth.rules.NORMAL_DWELL_MAX_S` seconds
    in the scene (the 301st frame of their track at 15 fps) until they are gone."""
    layout, rng = ctx.layout, ctx.rng
    sidewalk_index = int(rng.integers(2))
    sidewalk, d = layout.sidewalks[sidewalk_index], direction(rng)
    look, _ = walker(rng)
    speed = float(rng.uniform(WALK_SPEED[0], WALK_SPEED[0] + 0.2))
    benches = [bench for bench in layout.benches if bench.sidewalk == sidewalk_index]
    line = walk_v(rng, sidewalk)
    origin = (entry_u(layout, d), line)
    if benches and rng.random() < 0.6:
        centre, place = benches[0].spot, f"near the bench on the {sidewalk.name}"
    else:
        centre, place = (
            (point_along(layout, d, float(rng.uniform(0.3, 0.7))), line),
            f"on the {sidewalk.name}",
        )
    t_enter = ctx.key_time()
    leave_at = t_enter + seconds(NORMAL_DWELL_MAX_S) + seconds(rng.uniform(4.0, 10.0))
    steps: list[Leg | Pause] = [Leg(centre, speed)]
    here, clock = centre, t_enter + abs(centre[0] - origin[0]) / speed
    while clock < leave_at:
        if rng.random() < 0.4:
            pause = seconds(rng.uniform(*BENCH_STOP_S))
            steps.append(Pause(pause))
            clock += pause
        else:
            target_u = float(np.clip(centre[0] + rng.uniform(-30, 30), 10, layout.length - 10))
            target = (target_u, walk_v(rng, sidewalk))
            steps.append(Leg(target, speed))
            clock += math.hypot(target[0] - here[0], target[1] - here[1]) / speed
            here = target
    steps.append(Leg((exit_u(layout, direction(rng)), line), speed))
    path = follow(t_enter, origin, steps)
    abnormal_from = path.start + seconds(NORMAL_DWELL_MAX_S)
    details = {"shirt": look.shirt.name, "place": place, "threshold_s": NORMAL_DWELL_MAX_S}
    return Scripted((pedestrian(path, look, "Loitering"),), (0,), (abnormal_from, path.end), details)


def abandoned_object(ctx: Context) -> Scripted:
    """A pedestrian carrying a bag stops (often at a bench), puts the bag down and walks away; the bag stays.
    Abnormal: from the frame at which the bag has been unattended (owner farther than
    :data:`~vadkit.synth.rules.UNATTENDED_RADIUS` pixels, or gone) for
    :data:`~vadkit.synth.rules.UNATTENDED_S` seconds, to the end of the video; the bag is boxed."""
    layout, rng = ctx.layout, ctx.rng
    sidewalk_index = int(rng.integers(2))
    sidewalk, d = layout.sidewalks[sidewalk_index], direction(rng)
    look, speed = walker(rng, bag_probability=1.0)
    assert look.bag is not None
    line = walk_v(rng, sidewalk)
    benches = [bench for bench in layout.benches if bench.sidewalk == sidewalk_index]
    if benches and rng.random() < 0.5:
        spot = benches[0].spot
    else:
        spot = (point_along(layout, d, float(rng.uniform(0.25, 0.6))), line)
    origin = (entry_u(layout, d), line)
    t_arrive = ctx.key_time()
    t0 = t_arrive - (abs(spot[0] - 10 * d - origin[0]) + math.hypot(10, spot[1] - line)) / speed
    stop = seconds(rng.uniform(1.0, 2.0))
    steps = [
        Leg((spot[0] - 10 * d, line), speed),
        Leg(spot, speed),
        Pause(stop),
        Leg((spot[0] + 10 * d, line), speed),
        Leg((exit_u(layout, d), line), speed),
    ]
    path = follow(t0, origin, steps)
    owner = pedestrian(path, look, "AbandonedObject")
    put = math.ceil(path.knots[1]) + stop // 2
    carrying = owner.carrying.copy()
    carrying[put - owner.start :] = False
    du, dv = layout.image_step(6, 0)
    at = (spot[0] + du, spot[1] + dv)
    left = bag(put, max(ctx.num_frames, put + 1), at, look.bag, "AbandonedObject")
    near = np.hypot(owner.u - at[0], owner.v - at[1]) <= UNATTENDED_RADIUS
    near[: put - owner.start] = True
    away_from = owner.start + int(np.flatnonzero(near)[-1]) + 1
    details = {
        "shirt": look.shirt.name,
        "bag": look.bag.name,
        "place": sidewalk.name,
        "put_s": f"{put / FPS:.1f}",
    }
    return Scripted(
        (dataclasses.replace(owner, carrying=carrying), left),
        (1,),
        (away_from + seconds(UNATTENDED_S), ctx.num_frames),
        details,
    )


def falling(ctx: Context) -> Scripted:
    """A walking pedestrian falls (the body rotates to lying in :data:`~vadkit.synth.rules.FALL_FRAMES`
    frames), lies still for 3-6 s and then gets up and walks on, or stays down. Abnormal: from the first frame
    of the fall until the frame the person starts getting up (or until they are gone)."""
    layout, rng = ctx.layout, ctx.rng
    sidewalk, d = layout.sidewalks[int(rng.integers(2))], direction(rng)
    look, speed = walker(rng)
    line = walk_v(rng, sidewalk)
    origin = (entry_u(layout, d), line)
    fall_u = point_along(layout, d, float(rng.uniform(0.25, 0.75)))
    t_fall = ctx.key_time()
    lie, gets_up = seconds(rng.uniform(3.0, 6.0)), bool(rng.random() < 0.6)
    # someone who stays down lies until the end of the video
    down = (
        FALL_FRAMES + lie + GET_UP_FRAMES if gets_up else max(ctx.num_frames - t_fall, FALL_FRAMES + lie) + 1
    )
    steps: list[Leg | Pause] = [Leg((fall_u, line), speed), Pause(down)]
    if gets_up:
        steps.append(Leg((exit_u(layout, d), line), speed))
    path = follow(t_fall - abs(fall_u - origin[0]) / speed, origin, steps)
    agent = pedestrian(path, look, "Falling")
    # forwards on a horizontal sidewalk; away from the road on a vertical one
    side = d if layout.axis == "h" else sidewalk.side
    fall = math.ceil(path.knots[0])
    i = fall - agent.start
    tilt = np.zeros(agent.duration)
    tilt[i : i + FALL_FRAMES] = np.linspace(0, 90, FALL_FRAMES + 1)[1:][: agent.duration - i]
    end = agent.end
    if gets_up:
        end = fall + FALL_FRAMES + lie
        j = end - agent.start
        tilt[i + FALL_FRAMES : j] = 90
        tilt[j : j + GET_UP_FRAMES] = np.linspace(90, 0, GET_UP_FRAMES + 1)[1:][: max(agent.duration - j, 0)]
    else:
        tilt[i + FALL_FRAMES :] = 90
    details = {"shirt": look.shirt.name, "place": sidewalk.name}
    return Scripted((dataclasses.replace(agent, tilt=side * tilt),), (0,), (fall, end), details)


def vehicle_on_sidewalk(ctx: Context) -> Scripted | None:
    """A vehicle with the look and speed distribution of normal traffic drives along a sidewalk in the
    direction of the adjacent lane, either entering on the sidewalk or swerving onto it from that lane.
    Abnormal: the frames in which its centre is over the sidewalk."""
    layout, rng = ctx.layout, ctx.rng
    sidewalk_index = int(rng.integers(2))
    sidewalk = layout.sidewalks[sidewalk_index]
    lane_index = 0 if sidewalk.side < 0 else len(layout.lanes) - 1
    lane = layout.lanes[lane_index]
    d, look = lane.direction, vehicle_look(rng)
    speed = float(rng.uniform(*VEHICLE_SPEED))
    centre = (sidewalk.v0 + min(sidewalk.v1, sidewalk.v0 + 36)) / 2
    reach = look.length / 2 + ENTRY_MARGIN
    origin_u, end_u = entry_u(layout, d, reach), exit_u(layout, d, reach)
    t_enter = ctx.key_time()
    if rng.random() < 0.5:
        origin, steps = (origin_u, centre), [Leg((end_u, centre), speed)]
    else:
        turn = point_along(layout, d, float(rng.uniform(0.1, 0.4)))
        origin = (origin_u, lane.centre)
        steps = [
            Leg((turn, lane.centre), speed),
            Leg((turn + 30 * d, centre), speed),
            Leg((end_u, centre), speed),
        ]
    path = follow(t_enter, origin, steps)
    agent = vehicle(path, look, d, "VehicleOnSidewalk")
    over = _flagged((path.v >= sidewalk.v0) & (path.v < sidewalk.v1), path.start)
    if over is None:
        return None
    details = {"colour": look.body.name, "direction": layout.direction_words(d), "place": sidewalk.name}
    clear = ((lane_index, t_enter - seconds(2.0), path.end + seconds(2.0)),)
    return Scripted((agent,), (0,), over, details, (), clear)
