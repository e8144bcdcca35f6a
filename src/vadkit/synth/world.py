"""One video's simulated world: the scene, every agent's track, the scripted events and the camera."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vadkit.synth.agents import Agent
from vadkit.synth.camera import Camera
from vadkit.synth.scenes import Scene


@dataclass(frozen=True)
class Event:
    """A scripted anomaly: its class, the indices (into :attr:`World.agents`) of the agents boxed in its
    ground truth, the frames ``[start, end)`` of its abnormal behaviour (before cutting to the frames where
    those agents are in view), the facts its description uses and which description template it uses."""

    label: str
    agents: tuple[int, ...]
    behaviour: tuple[int, int]
    details: Mapping[str, object]
    template: int


@dataclass(frozen=True)
class World:
    """Everything needed to render one video and derive its ground truth."""

    name: str
    scene: Scene
    num_frames: int
    agents: tuple[Agent, ...]
    events: tuple[Event, ...]
    camera: Camera
