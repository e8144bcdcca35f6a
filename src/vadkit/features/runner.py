"""The extraction runner: features for every video of a folder or list, resumable, sharded, local or on Ray.

One ``.npy`` per video in the public layout and one record per video (see :mod:`vadkit.features.store` for
the files and :class:`~vadkit.features.manifest.VideoRecord` for the record), then ``manifest.json``
rebuilt from every record in the output folder.

**Skip-existing.** A video is skipped when its record was made by the same extractor with the same config
hash, says ``ok`` (or ``partial`` under ``on_error="partial"``), and its array has the recorded shape and
dtype. The vadkit version is recorded but does not force re-extraction. Anything else (no record, another
config, a failed or, outside ``"partial"``, partial record) is extracted again and overwritten.

**Kills.** Files appear under their final names only when complete, and a record is written after its
array; a run killed at any point leaves at worst an array without record or temporary files. The next run
removes the temporaries of its own outputs, extracts what is incomplete, and ends with the arrays of an
uninterrupted run.

**Bad videos** (``on_error``). A video that cannot be opened, or whose extraction raises, is recorded
``failed`` with the reason and the batch goes on, whatever the policy. Then:

* ``"raise"`` (default): a video decoding fewer frames than it declares is ``failed`` too; the run's
  :attr:`ExtractionSummary.exit_code` is 1 if any video failed;
* ``"partial"``: such a video keeps the features of the frames decoded, recorded ``partial`` with the
  shortfall as reason (not a failure); the exit code is 1 if any video failed;
* ``"skip"``: as ``"raise"``, but failures are accepted: the exit code is 0.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from vadkit.errors import ValidationError
from vadkit.features.backends import Backend, run_tasks
from vadkit.features.base import Extractor, create_extractor
from vadkit.features.inputs import collect_videos
from vadkit.features.manifest import RecordStatus, VideoRecord
from vadkit.features.progress import ExtractionProgress
from vadkit.features.shards import WHOLE, Shard
from vadkit.features.store import FeatureStore
from vadkit.features.task import VideoTask
from vadkit.io import OnError
from vadkit.io.decode_policy import check_on_error


@dataclass(frozen=True)
class ExtractionSummary:
    """What one run did.

    Attributes:
        out_dir: the output folder.
        manifest_path: ``<out_dir>/manifest.json`` (covers every record in the folder, other shards too).
        on_error: the policy the run used.
        shard: the shard this run handled (``0/1`` when unsharded).
        extracted: records of the videos extracted by this run, in input order.
        skipped: records of the videos of this shard already complete, in input order.
        seconds: wall time of the run.
    """

    out_dir: Path
    manifest_path: Path
    on_error: OnError
    shard: Shard
    extracted: tuple[VideoRecord, ...]
    skipped: tuple[VideoRecord, ...]
    seconds: float

    def count(self, status: RecordStatus) -> int:
        """Videos extracted by this run with ``status``."""
        return sum(record.status == status for record in self.extracted)

    @property
    def failures(self) -> tuple[VideoRecord, ...]:
        """The records of the videos that failed in this run."""
        return tuple(record for record in self.extracted if record.status == "failed")

    @property
    def frames(self) -> int:
        """Frames decoded by this run into written features."""
        return sum(record.frames_decoded for record in self.extracted if record.status != "failed")

    @property
    def exit_code(self) -> int:
        """1 when a video failed and the policy does not accept failures (``on_error="skip"``), else 0."""
        return int(bool(self.failures) and self.on_error != "skip")


def resolve_extractor(extractor: str | Extractor, config: Mapping[str, Any] | None = None) -> Extractor:
    """``extractor`` itself, or the registered extractor of that name built with ``config``.

    Raises:
        KeyError: an unknown name (the message lists the registered ones).
        ValidationError: ``config`` given with an extractor instance, or an extractor without a name.
    """
    if isinstance(extractor, Extractor):
        if config:
            raise ValidationError(
                f"config {dict(config)} applies to an extractor given by name, not to an instance"
            )
        resolved = extractor
    else:
        resolved = create_extractor(extractor, **dict(config or {}))
    if not resolved.name:
        raise ValidationError(f"{type(resolved).__name__}: an extractor needs a registry name")
    return resolved


def run_extraction(
    inputs: str | Path | Sequence[str | Path],
    out_dir: str | Path,
    extractor: str | Extractor,
    *,
    config: Mapping[str, Any] | None = None,
    workers: int = 1,
    shard: Shard | str | None = None,
    backend: Backend = "local",
    on_error: str = "raise",
    ray_address: str | None = None,
    root: str | Path | None = None,
    exclude: Sequence[str] = (),
    worker_threads: int = 1,
    progress: bool = True,
) -> ExtractionSummary:
    """Extract features for every video of ``inputs`` into ``out_dir`` (see the module docstring).

    Args:
        inputs: folders, videos, frame folders or list files (:func:`~vadkit.features.inputs.collect_videos`).
        out_dir: the output folder; ``<out_dir>/<video id>.npy``, ``<video id>.json`` and ``manifest.json``.
        extractor: a registered name (built with ``config``) or an :class:`Extractor` instance.
        config: settings for an extractor given by name (e.g. ``{"grid": [4, 4]}``).
        workers: local worker processes (1: this process); with Ray, the local instance's CPUs.
        shard: ``"i/N"`` or a :class:`Shard`: extract only that share of the videos (job arrays).
        backend: ``"local"`` or ``"ray"``.
        on_error: ``"raise"``, ``"partial"`` or ``"skip"`` (see the module docstring).
        ray_address: Ray cluster to connect to (default: the Ray instance of this process, else a new
            local one).
        root: base of the video ids and of relative list entries.
        exclude: glob patterns on video ids to leave out.
        worker_threads: OpenCV/torch/decoder threads of each worker process.
        progress: show a progress bar on stderr.

    With ``workers > 1`` the pool starts its processes with ``spawn``: a script calling this must guard its
    entry point with ``if __name__ == "__main__":``.

    Raises:
        ValidationError: bad inputs or arguments (named in the message); bad videos never raise.
        ImportError: ``backend="ray"`` without Ray installed.
    """
    started = time.perf_counter()
    policy = check_on_error(on_error)
    if backend not in get_args(Backend):
        raise ValidationError(f"backend must be one of {get_args(Backend)}, got {backend!r}")
    if workers < 1 or worker_threads < 1:
        raise ValidationError(f"workers and worker_threads must be >= 1, got {workers}, {worker_threads}")
    chosen = resolve_extractor(extractor, config)
    part = Shard.parse(shard) if isinstance(shard, str) else (shard or WHOLE)
    sources = part.select(collect_videos(inputs, root=root, exclude=exclude))
    store = FeatureStore(Path(out_dir).absolute())
    store.remove_temporaries((source.video for source in sources), part.tag)

    config_hash = chosen.config_hash()
    accept_partial = policy == "partial"
    order = {source.video: rank for rank, source in enumerate(sources)}
    skipped: list[VideoRecord] = []
    tasks: list[VideoTask] = []
    for source in sources:
        record = store.complete_record(source.video, chosen.name, config_hash, accept_partial)
        if record is not None:
            skipped.append(record)
        else:
            tasks.append(VideoTask(source.video, str(source.path.absolute()), str(store.root), policy))

    extracted: list[VideoRecord] = []
    with ExtractionProgress(len(tasks), len(skipped), enabled=progress) as bar:
        for record in run_tasks(
            tasks,
            chosen,
            backend=backend,
            workers=workers,
            worker_threads=worker_threads,
            ray_address=ray_address,
        ):
            extracted.append(record)
            bar.advance(record)
    manifest_path = store.write_manifest(part.tag)
    return ExtractionSummary(
        out_dir=store.root,
        manifest_path=manifest_path,
        on_error=policy,
        shard=part,
        extracted=tuple(sorted(extracted, key=lambda record: order[record.video])),
        skipped=tuple(skipped),
        seconds=time.perf_counter() - started,
    )
