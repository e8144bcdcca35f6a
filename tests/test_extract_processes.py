"""The runner across real processes, with the ``motion`` extractor: a CLI run killed with SIGKILL and
resumed, and the Ray backend on a local Ray instance, each compared byte for byte with an uninterrupted
in-process run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import ray

import vadkit.features.motion  # noqa: F401  (registers "motion")
from vadkit.features.runner import run_extraction
from vadkit.io import write_video

CLI = (
    "import typer, vadkit.features.motion; from vadkit.cli.extract_cmd import extract; "
    "app = typer.Typer(); app.callback()(lambda: None); app.command('extract')(extract); app()"
)
"""``vadkit extract`` in a fresh interpreter (the verb is wired into vadkit's own app by the integrator)."""

NUM_VIDEOS = 10
NUM_FRAMES = 120


@pytest.fixture(scope="module")
def moving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten 160x120 H.264 clips of a texture drifting at a different speed each."""
    root = tmp_path_factory.mktemp("moving")
    base = np.random.default_rng(5).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    for index in range(NUM_VIDEOS):
        frames = (np.roll(base, (index + 1) * t, axis=1) for t in range(NUM_FRAMES))
        write_video(root / f"clip{index:02d}.mp4", frames, 25)
    return root


@pytest.fixture(scope="module")
def reference(moving: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run in this process (one worker)."""
    out = tmp_path_factory.mktemp("reference")
    summary = run_extraction(moving, out, "motion", progress=False)
    assert summary.count("ok") == NUM_VIDEOS
    return out


def arrays(out: Path) -> dict[str, bytes]:
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*.npy"))}


def records(out: Path) -> dict[str, dict[str, Any]]:
    """Every record of the manifest without wall time and host (which differ between runs)."""
    videos = json.loads((out / "manifest.json").read_text())["videos"]
    return {
        video: {k: v for k, v in r.items() if k not in ("seconds", "host")} for video, r in videos.items()
    }


def start_cli(moving: Path, out: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", CLI, "extract", str(moving), "--out", str(out), "-e", "motion"]
    with open(log, "ab") as stream:
        return subprocess.Popen(
            [*command, "--workers", "2", "--no-progress"],
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill reaches the pool workers too
        )


def kill_after_outputs(process: subprocess.Popen[bytes], out: Path, count: int) -> int:
    """SIGKILL ``process`` and its workers once ``count`` arrays exist; returns the arrays there then."""
    deadline = time.monotonic() + 120
    while len(list(out.rglob("*.npy"))) < count and process.poll() is None:
        assert time.monotonic() < deadline, "no output appeared"
        time.sleep(0.002)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return len(list(out.rglob("*.npy")))


def test_a_killed_run_resumes_to_the_uninterrupted_result(
    moving: Path, reference: Path, tmp_path: Path
) -> None:
    out, log = tmp_path / "features", tmp_path / "cli.log"
    first_kill = kill_after_outputs(start_cli(moving, out, log), out, 1)
    assert 1 <= first_kill < NUM_VIDEOS, log.read_text()
    kill_after_outputs(start_cli(moving, out, log), out, first_kill + 2)
    final = start_cli(moving, out, log)
    assert final.wait(timeout=120) == 0, log.read_text()
    assert arrays(out) == arrays(reference)
    assert records(out) == records(reference)
    assert [path for path in out.rglob("*") if ".tmp" in path.name] == []


@pytest.fixture
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_ray_backend_writes_the_local_bytes(
    moving: Path, reference: Path, tmp_path: Path, local_ray: None
) -> None:
    listing = tmp_path / "videos.txt"
    listing.write_text("".join(f"{path}\n" for path in sorted(moving.glob("*.mp4"))) + "broken.mp4\n")
    (tmp_path / "broken.mp4").write_bytes(b"\x00" * 4096)
    out = tmp_path / "features"
    summary = run_extraction(listing, out, "motion", backend="ray", progress=False)
    assert summary.count("ok") == NUM_VIDEOS and summary.exit_code == 1
    assert "cannot be opened as a video" in summary.failures[0].reason
    assert arrays(out) == arrays(reference)
    assert {video: r for video, r in records(out).items() if video != "broken"} == records(reference)
    assert ray.is_initialized()  # the runner leaves alone an instance it did not start


def test_ray_backend_starts_and_stops_its_own_local_instance(
    moving: Path, reference: Path, tmp_path: Path
) -> None:
    assert not ray.is_initialized()
    out = tmp_path / "features"
    summary = run_extraction(moving, out, "motion", backend="ray", workers=2, shard="1/3", progress=False)
    assert [r.video for r in summary.extracted] == ["clip01", "clip04", "clip07"]
    assert arrays(out) == {name: data for name, data in arrays(reference).items() if name in arrays(out)}
    assert len(arrays(out)) == 3
    assert not ray.is_initialized()
