"""``vadkit.synth.generate``: write a synthetic benchmark to a folder.

Videos are independent (each seeded by the master seed and its index in the plan), so they are rendered in
any order, optionally by a process pool; the dataset-level files are written once from all records, sorted,
so the output is byte-identical whatever ``workers`` is.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from vadkit.data.synthetic import METADATA
from vadkit.errors import ValidationError
from vadkit.synth.card import write_card
from vadkit.synth.manifest import SyntheticManifest, VideoRecord
from vadkit.synth.plan import VideoPlan, plan_videos
from vadkit.synth.presets import Preset, resolve_preset
from vadkit.synth.scenes import make_scene, make_scenes
from vadkit.synth.simulate import simulate
from vadkit.synth.truth import video_truth
from vadkit.synth.writer import GENERATOR, remove_owned, write_index, write_video_files

Job = tuple[str, VideoPlan, Preset, int]


def make_video(job: Job) -> VideoRecord:
    """Simulate, render and write one video (runs in a worker process); returns its record."""
    root, plan, preset, seed = job
    scene = make_scene(int(plan.scene_id), preset.num_scenes, preset.held_out_scenes, seed)
    world = simulate(plan, scene, seed)
    truth = video_truth(world)
    write_video_files(Path(root), world, truth, plan.split, plan.label, preset.crf)
    return VideoRecord(plan.name, plan.split, plan.label, plan.scene_id, plan.num_frames, truth.events)


def _previous(root: Path) -> dict[str, object] | None:
    """The metadata of a previous generation in ``root``, if there is one."""
    try:
        data = json.loads((root / METADATA).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("generator") == GENERATOR else None


def _prepare(root: Path, preset: Preset, seed: int, overwrite: bool) -> None:
    """Make ``root`` ready: created if missing; a previous generation's files removed when it was the same
    preset (with the same overrides) and seed, or when ``overwrite``; any other non-empty folder refused."""
    if root.exists() and not root.is_dir():
        raise ValidationError(f"{root}: exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    if not any(root.iterdir()):
        return
    previous = _previous(root)
    same = (
        previous is not None and previous.get("preset") == preset.to_dict() and previous.get("seed") == seed
    )
    if not (same or overwrite):
        what = "a generation of another preset or seed" if previous else "not a vadkit synth dataset"
        raise ValidationError(
            f"{root}: folder is not empty and is {what}; choose an empty folder or pass overwrite=True "
            "(--overwrite), which replaces the files a generation writes and leaves others alone"
        )
    remove_owned(root)


def generate(
    out_dir: str | Path,
    preset: str | Preset = "small",
    seed: int = 0,
    workers: int = 1,
    *,
    overwrite: bool = False,
    progress: Callable[[VideoRecord], None] | None = None,
    **overrides: object,
) -> SyntheticManifest:
    """Generate a synthetic benchmark into ``out_dir`` (layout: :mod:`vadkit.data.synthetic`).

    Args:
        out_dir: the dataset folder; created if missing. A non-empty folder is accepted only if it holds a
            previous generation of the same preset (same overrides) and seed, or with ``overwrite``.
        preset: ``"tiny"``, ``"small"``, ``"standard"`` or a :class:`~vadkit.synth.presets.Preset`.
        seed: master seed; every random choice derives from it.
        workers: processes rendering videos in parallel (1: in this process).
        overwrite: replace the files of a generation in a folder that holds something else.
        progress: called with each video's record as it is finished (in completion order).
        **overrides: preset fields to change, e.g. ``test_abnormal=16``.

    Returns:
        The manifest: folder, resolved preset, seed, scenes and video records in plan order.

    Raises:
        ValidationError: bad preset, override, seed or worker count, or a folder that may not be written.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValidationError(f"workers must be a positive integer, got {workers!r}")
    resolved = resolve_preset(preset, **overrides)
    root = Path(out_dir)
    _prepare(root, resolved, seed, overwrite)
    scenes = make_scenes(resolved.num_scenes, resolved.held_out_scenes, seed)
    plans = plan_videos(resolved, scenes, seed)
    jobs = [
        (str(root), plan, resolved, seed) for plan in sorted(plans, key=lambda p: (-p.num_frames, p.index))
    ]
    records: dict[str, VideoRecord] = {}
    if workers == 1:
        for job in jobs:
            record = make_video(job)
            records[record.name] = record
            if progress is not None:
                progress(record)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for future in as_completed([pool.submit(make_video, job) for job in jobs]):
                record = future.result()
                records[record.name] = record
                if progress is not None:
                    progress(record)
    manifest = SyntheticManifest(root, resolved, seed, scenes, tuple(records[plan.name] for plan in plans))
    write_index(manifest)
    write_card(manifest)
    return manifest
