"""``vadkit demo``: what vadkit can do today, end to end, on clips it renders itself.

The demo renders a few short clips of a textured scene in which one pedestrian walks across; in the abnormal
clips the pedestrian runs for a while. It writes them as H.264 ``.mp4`` files, decodes them again with
:func:`vadkit.io.open_video`, scores every 16-frame snippet with a weight-free **motion-energy baseline**
(mean absolute difference between consecutive frames; no learning, no model), writes the snippet scores as
``<video>.npy`` files the way any method's outputs are evaluated, builds frame ground truth from what was
drawn, evaluates with :func:`vadkit.eval.evaluate`, and writes ``metrics.json``, a score plot and an HTML
report.

It stands in until the synthetic benchmark, the extractors and the methods land; the baseline is a sanity
check of the pipeline, not a detector anyone should use.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vadkit.eval import Protocol, evaluate, load_score_dir
from vadkit.io import open_video, write_video
from vadkit.report import write_eval_report
from vadkit.types import EvalReport, EventInterval, GroundTruth, save_npy

FPS = 25.0
SIZE = (160, 120)  # width, height
NUM_FRAMES = 200
WALK_SPEED = 1.0  # pixels per frame
RUN_SPEED = 6.0
SNIPPET_LENGTH = 16  # the I3D/CLIP convention; T = ceil(n / 16)

NOTE = (
    "Clips rendered by vadkit (a pedestrian walks; in run_* clips it runs for a while), encoded as H.264, "
    "decoded back, and scored per 16-frame snippet by a weight-free motion-energy baseline (mean absolute "
    "difference of consecutive frames). No learned method is involved yet."
)

DEMO_PROTOCOL = Protocol(
    name="demo",
    dataset="synthetic",
    metrics=("auc_micro", "auc_macro", "ap_sklearn", "ap_pr_trapz"),
    headline="auc_micro",
    description="vadkit demo clips: frame-level metrics of the motion-energy baseline",
)


@dataclass(frozen=True)
class DemoClip:
    """One rendered clip: its name, a seed for its scene, and its abnormal frames ``[start, end)`` if any."""

    name: str
    seed: int
    anomaly: tuple[int, int] | None


DEMO_CLIPS = (
    DemoClip("walk_01", 1, None),
    DemoClip("walk_02", 2, None),
    DemoClip("run_01", 3, (70, 130)),
    DemoClip("run_02", 4, (110, 170)),
)


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote its outputs, and what it measured."""

    out_dir: Path
    report_path: Path
    metrics_path: Path
    report: EvalReport


def render_clip(clip: DemoClip, num_frames: int = NUM_FRAMES) -> Iterator[np.ndarray]:
    """Frames ``(H, W, 3)`` uint8 of ``clip``: a smooth random background, sensor noise, and a pedestrian
    (a 10x22 px figure whose legs alternate) walking left to right, running inside ``clip.anomaly``."""
    width, height = SIZE
    rng = np.random.default_rng(clip.seed)
    coarse = rng.uniform(80, 180, size=(height // 8 + 1, width // 8 + 1))
    background = np.kron(coarse, np.ones((8, 8)))[:height, :width]
    colour = rng.uniform(10, 40, size=3)
    top = int(rng.integers(30, height - 40))
    x = 0.0
    for index in range(num_frames):
        running = clip.anomaly is not None and clip.anomaly[0] <= index < clip.anomaly[1]
        x = (x + (RUN_SPEED if running else WALK_SPEED)) % (width - 10)
        frame = background[:, :, None] + rng.normal(0, 2.0, size=(height, width, 1))
        frame = np.repeat(frame, 3, axis=2)
        left = int(x)
        frame[top : top + 14, left : left + 10] = colour  # body
        stride = 2 if (index // 4) % 2 else -2  # legs alternate every 4 frames
        frame[top + 14 : top + 22, left + 2 + stride : left + 4 + stride] = colour
        frame[top + 14 : top + 22, left + 6 - stride : left + 8 - stride] = colour
        yield np.clip(frame, 0, 255).astype(np.uint8)


def ground_truth(clip: DemoClip, num_frames: int = NUM_FRAMES) -> GroundTruth:
    """Frame labels of ``clip`` from what :func:`render_clip` draws."""
    labels = np.zeros(num_frames, dtype=np.uint8)
    events: tuple[EventInterval, ...] = ()
    if clip.anomaly is not None:
        labels[clip.anomaly[0] : clip.anomaly[1]] = 1
        events = (EventInterval(*clip.anomaly, label="running"),)
    return GroundTruth(
        clip.name,
        labels,
        events,
        label="running" if clip.anomaly else "normal",
        source="vadkit demo renderer",
    )


def motion_energy(video: Path, snippet_length: int = 16) -> np.ndarray:
    """Per snippet of ``snippet_length`` frames (the last one may be shorter), the mean over its frames of
    the mean absolute difference to the previous grey frame: a weight-free baseline, read back through
    :func:`vadkit.io.open_video`. The first frame takes the second frame's difference."""
    per_frame = []
    previous = None
    with open_video(video) as reader:
        for frame in reader.iter_frames():
            grey = frame.astype(np.float32).mean(axis=2)
            if previous is not None:
                per_frame.append(float(np.abs(grey - previous).mean()))
            previous = grey
    energy = np.asarray(per_frame[:1] + per_frame)
    starts = np.arange(0, energy.shape[0], snippet_length)
    return np.add.reduceat(energy, starts) / np.diff(np.append(starts, energy.shape[0]))


def run_demo(out_dir: str | Path = "vadkit-demo") -> DemoResult:
    """Render, encode, decode, score, evaluate and report; returns where everything went.

    Layout of ``out_dir``: ``videos/*.mp4``, ``scores/<video>.npy`` (one score per 16-frame snippet, scaled so
    the largest is 1), ``gt/<video>.npy|json``, ``metrics.json``, ``scores.png`` and ``report.html``.
    """
    out = Path(out_dir)
    for sub in ("videos", "scores", "gt"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    truth: dict[str, GroundTruth] = {}
    raw: dict[str, np.ndarray] = {}
    for clip in DEMO_CLIPS:
        video = out / "videos" / f"{clip.name}.mp4"
        write_video(video, render_clip(clip), FPS)
        raw[clip.name] = motion_energy(video, SNIPPET_LENGTH)
        truth[clip.name] = ground_truth(clip)
        truth[clip.name].save(out / "gt" / clip.name)
    scale = max(float(s.max()) for s in raw.values()) or 1.0
    for name, energies in raw.items():
        save_npy(out / "scores" / f"{name}.npy", energies / scale)
    scores = load_score_dir(out / "scores")
    report = evaluate(DEMO_PROTOCOL, truth, scores)
    metrics_path = report.save(out / "metrics.json")
    report_path = write_eval_report(
        out, report, truth, scores, SNIPPET_LENGTH, FPS, title="vadkit demo", note=NOTE
    )
    return DemoResult(out, report_path, metrics_path, report)
