"""Training speed and memory of every method on UCF-Crime-sized synthetic features in the RTFM layout.

**Data.** Seeded synthetic features shaped like RTFM's UCF-Crime I3D training release: 810 abnormal + 800
normal videos (``--videos`` scales both, keeping the ratio), one ``<video>_i3d.npy`` of shape
``(T, 10, 2048)`` float32 per video, values uniform in [0, 1) (non-negative like the pooled post-ReLU I3D
features), and a ``ucf-i3d.list`` written like the public one (Windows paths, CRLF, abnormal first). ``T``
is drawn uniformly from ``--min-t .. --max-t`` snippets (default 30 .. 300, mean 165). Real UCF-Crime is
longer-tailed: the 290 test videos have ceil(frames / 16) = median 112, mean 240, 95th percentile 728, max
6750 snippets, so the default under-states the reading cost of the longest videos; MIL and RTFM (32
segments), UR-DMU and HL-Net (200 rows) train on fixed-length sequences, so only loading depends on ``T``.
At the defaults the files take about 22.3 GB; the script checks the free space first and says how to scale
down (``--videos``, ``--max-t``). The set is read back lazily with vadkit's own
``read_rtfm_list(..., dataset="ucf_crime")``, so file reading, shape/NaN checks and the segment resampling
are part of every step, as in a real run.

**Measurement.** Each method runs in a fresh process (``spawn``), so the peak memory of one does not leak
into the next. The process builds the trainer's own run state (``vadkit.train.trainer``: model with
``feature_dim=2048``, reference optimiser, ``BalancedSampler`` of ``--batch-size`` normal + as many abnormal
videos, LRU cache of ``--cache-mib``, deterministic algorithms on CPU, as :func:`vadkit.train.train` sets;
the sampler is the method's reference recipe: UR-DMU draws ``--batch-size`` normal and abnormal crop rows,
HL-Net ``2 x --batch-size`` shuffled crop rows)
and calls its step, which is one real training step (batch assembly, forward, loss, backward, optimiser).
No validation or checkpoint is run. Figures:

* ``epoch s``: wall time of steps ``0 .. E-1`` of a fresh run (cold cache, first-step overheads included),
  ``E = floor(abnormal / batch)``, one pass of the abnormal stream as the balanced-video sampler defines it
  (``drop_last``; 25 steps for 810 abnormal videos at batch 32); a crop-row recipe's epoch is a pass over
  the rows (``steps_per_epoch`` of its sampler: about 10x as many steps for 10 crops), so for UR-DMU and
  HL-Net multiply ``s/step`` by it; ``--skip-epoch`` leaves it out;
* ``steps/s``, ``s/step``: over ``--steps`` timed steps after ``--warmup`` untimed ones (following the
  epoch when it runs); ``load s/step``: the part of it spent assembling batches (reading + resampling);
  ``cpu s/step``: process CPU time per timed step, all threads (less sensitive than wall time to other
  processes sharing the cores: compare it with ``threads x s/step``; the load average is printed too);
* ``setup MiB``: RSS high-water mark after building the run, before the first step (Python, torch, model);
  ``peak MiB``: RSS high-water mark of the whole process (``ru_maxrss``), cache included;
  ``cuda MiB``: ``torch.cuda.max_memory_allocated`` on ``--device cuda``.

MIL trains every crop of its videos as its own bag (``crops_as_bags``), so its batches hold
``2 * batch * 10`` bags; UR-DMU's and HL-Net's crop rows are ``2 * batch`` bags. HL-Net is built
visual-only (``audio_dim=0``, the reference ``--modality RGB``): the RTFM release has no audio features.
Freshly written files are likely served from the OS page cache, so the figures show
decoding and checking cost rather than cold-disk reads.

    .venv/bin/python benchmarks/bench_train.py --videos 200 --steps 5 --threads 2
    .venv/bin/python benchmarks/bench_train.py --work-dir bench-ucf-features --device cuda   # full size
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vadkit.data.feature_sets import read_rtfm_list
from vadkit.data.ucf_crime import UCF_CLASSES
from vadkit.methods import WeakBatch
from vadkit.train import TrainConfig

# the trainer's own run state and step, so that the figures are those of vadkit.train.train (which offers no
# per-step hook); nothing else of the trainer (validation, checkpoints) runs
from vadkit.train.trainer import _reproducible, _resolved_device, _Run

UCF_ABNORMAL, UCF_NORMAL = 810, 800
"""The videos of RTFM's ``ucf-i3d.list`` (UCF-Crime training split)."""
CROPS, DIM = 10, 2048
LIST_NAME = "ucf-i3d.list"
FEATURE_FOLDER = "UCF_Train_ten_crop_i3d"
RECORD_NAME = "bench_train.json"
METHOD_CONFIGS: dict[str, dict[str, Any]] = {
    "mil": {"feature_dim": DIM},
    "rtfm": {"feature_dim": DIM},
    "urdmu": {"feature_dim": DIM},
    "hlnet": {"feature_dim": DIM, "audio_dim": 0},
}
"""Each method on 2048-d I3D features; HL-Net visual-only (the RTFM release has no audio)."""
FREE_MARGIN = 1 << 30
"""Bytes of the work folder's disk left free after generation."""


@dataclass(frozen=True)
class DataSpec:
    """The synthetic training split: video counts and the range ``T`` is drawn from (snippets)."""

    abnormal: int
    normal: int
    min_t: int
    max_t: int
    seed: int

    def lengths(self) -> np.ndarray:
        """Seeded ``T`` of every video, abnormal first (list order)."""
        rng = np.random.default_rng([self.seed, 0])
        return rng.integers(self.min_t, self.max_t + 1, size=self.abnormal + self.normal)

    def names(self) -> list[str]:
        """UCF-Crime-style names, abnormal first: ``Abuse001_x264`` ... then ``Normal_Videos001_x264`` ..."""
        classes = [c for c in UCF_CLASSES if c != "Normal"]
        abnormal = [
            f"{classes[i % len(classes)]}{i // len(classes) + 1:03d}_x264" for i in range(self.abnormal)
        ]
        return abnormal + [f"Normal_Videos{i + 1:03d}_x264" for i in range(self.normal)]

    def nbytes(self) -> int:
        """Bytes of feature data (headers aside)."""
        return int(self.lengths().sum()) * CROPS * DIM * 4


def write_dataset(spec: DataSpec, root: Path) -> Path:
    """Write the features and the list under ``root``, or reuse them when written for ``spec``; the list."""
    list_file = root / LIST_NAME
    record = root / RECORD_NAME
    wanted = dataclasses.asdict(spec)
    if record.is_file() and json.loads(record.read_text()) == wanted and list_file.is_file():
        print(f"reusing the features under {root}")
        return list_file
    free = shutil.disk_usage(root).free
    if spec.nbytes() + FREE_MARGIN > free:
        raise SystemExit(
            f"{root}: {spec.nbytes() / 1e9:.1f} GB of features do not fit in {free / 1e9:.1f} GB free "
            f"(keeping {FREE_MARGIN >> 30} GiB): use --videos or --max-t to scale down, or another --work-dir"
        )
    folder = root / FEATURE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = []
    for index, (name, length) in enumerate(zip(spec.names(), spec.lengths(), strict=True)):
        rng = np.random.default_rng([spec.seed, 1, index])
        np.save(folder / f"{name}_i3d.npy", rng.random((int(length), CROPS, DIM), dtype=np.float32))
        rows.append(f"G:\\{FEATURE_FOLDER}\\{name}_i3d.npy\r\n")
    list_file.write_bytes("".join(rows).encode())
    record.write_text(json.dumps(wanted))
    seconds = time.perf_counter() - start
    print(f"wrote {spec.nbytes() / 1e9:.2f} GB in {seconds:.1f} s ({spec.nbytes() / 1e6 / seconds:.0f} MB/s)")
    return list_file


@dataclass(frozen=True)
class Measure:
    """What one method's process measures (see the module docstring)."""

    method: str
    list_file: Path
    full_split: bool
    batch_size: int
    warmup: int
    steps: int
    epoch_steps: int
    device: str
    threads: int
    cache_bytes: int
    seed: int


def _max_rss_mib() -> float:
    """This process's RSS high-water mark in MiB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(function: Callable[[int], WeakBatch], spent: list[float]) -> Callable[[int], WeakBatch]:
    """``function`` appending its wall time to ``spent`` at every call."""

    def wrapper(step: int) -> WeakBatch:
        start = time.perf_counter()
        batch = function(step)
        spent.append(time.perf_counter() - start)
        return batch

    return wrapper


def measure(task: Measure) -> dict[str, float | None]:
    """Run one method's steps in this process; its figures (seconds, MiB)."""
    if task.threads:
        torch.set_num_threads(task.threads)
    train_set = read_rtfm_list(
        task.list_file,
        task.list_file.parent / FEATURE_FOLDER,
        dataset="ucf_crime",
        split="train",
        check_counts=task.full_split,
    )
    config = TrainConfig(
        task.method,
        METHOD_CONFIGS[task.method],
        steps=task.epoch_steps + task.warmup + task.steps,
        batch_size=task.batch_size,
        seed=task.seed,
        device=task.device,
    )
    device = _resolved_device(config.device)
    cuda = device.type == "cuda"
    with _reproducible(device, config.seed):
        run = _Run(config, train_set, None, None, None, task.list_file.parent, device, task.cache_bytes, None)
        loading: list[float] = []
        # the sampler is the trainer's; wrapping its batch method times batch assembly without changing it
        run.sampler.batch = _timed(run.sampler.batch, loading)  # type: ignore[method-assign]

        def step() -> float:
            start = time.perf_counter()
            run.step()
            if cuda:
                torch.cuda.synchronize(device)
            return time.perf_counter() - start

        if cuda:
            torch.cuda.reset_peak_memory_stats(device)
        setup = _max_rss_mib()
        epoch = sum(step() for _ in range(task.epoch_steps)) if task.epoch_steps else None
        for _ in range(task.warmup):
            step()
        del loading[:]
        cpu = time.process_time()
        timed = sum(step() for _ in range(task.steps))
        cpu = time.process_time() - cpu
    return {
        "steps_per_s": task.steps / timed,
        "s_per_step": timed / task.steps,
        "cpu_s_per_step": cpu / task.steps,
        "load_s_per_step": sum(loading) / task.steps,
        "setup_mib": setup,
        "peak_mib": _max_rss_mib(),
        "cuda_mib": torch.cuda.max_memory_allocated(device) / 2**20 if cuda else None,
        "epoch_s": epoch,
    }


def measure_in_fresh_process(task: Measure) -> dict[str, float | None]:
    """:func:`measure` in a newly spawned process (its own RSS high-water mark)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure, task).result()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--methods", nargs="+", default=list(METHOD_CONFIGS), choices=list(METHOD_CONFIGS))
    parser.add_argument(
        "--videos", type=_positive, default=UCF_ABNORMAL + UCF_NORMAL, help="training videos (810:800 split)"
    )
    parser.add_argument("--min-t", type=_positive, default=30, help="shortest video, snippets")
    parser.add_argument("--max-t", type=_positive, default=300, help="longest video, snippets")
    parser.add_argument("--batch-size", type=_positive, default=32, help="videos of each class per step")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before the timed ones")
    parser.add_argument("--steps", type=_positive, default=20, help="timed steps")
    parser.add_argument("--skip-epoch", action="store_true", help="do not time one epoch")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument(
        "--cache-mib", type=int, default=1024, help="LRU cache of loaded videos (train's default: 1024)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="keep (and reuse) the features here (default: a temp dir)"
    )
    args = parser.parse_args()
    if args.min_t > args.max_t or args.warmup < 0 or args.threads < 0 or args.cache_mib < 0:
        parser.error("need --min-t <= --max-t and non-negative --warmup, --threads, --cache-mib")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device")

    abnormal = round(args.videos * UCF_ABNORMAL / (UCF_ABNORMAL + UCF_NORMAL))
    spec = DataSpec(abnormal, args.videos - abnormal, args.min_t, args.max_t, args.seed)
    epoch_steps = 0 if args.skip_epoch else max(1, spec.abnormal // args.batch_size)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-train-") as scratch:
        root = args.work_dir or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        list_file = write_dataset(spec, root)
        lengths = spec.lengths()
        print(
            f"data: {spec.abnormal} abnormal + {spec.normal} normal videos, (T, {CROPS}, {DIM}) float32, "
            f"T uniform {spec.min_t}..{spec.max_t} (mean {lengths.mean():.0f}, total {int(lengths.sum())}), "
            f"{spec.nbytes() / 1e9:.2f} GB, seed {spec.seed}, read through read_rtfm_list"
        )
        print(
            f"run: batch {args.batch_size} normal + {args.batch_size} abnormal, warmup {args.warmup}, "
            f"{args.steps} timed steps, epoch = {epoch_steps or 'skipped'} steps, device {args.device}, "
            f"threads {args.threads or torch.get_num_threads()}, cache {args.cache_mib} MiB, "
            f"torch {torch.__version__}, numpy {np.__version__}"
        )
        results = {}
        for method in args.methods:
            print(f"measuring {method} ...", flush=True)
            results[method] = measure_in_fresh_process(
                Measure(
                    method,
                    list_file,
                    spec.abnormal == UCF_ABNORMAL and spec.normal == UCF_NORMAL,
                    args.batch_size,
                    args.warmup,
                    args.steps,
                    epoch_steps,
                    args.device,
                    args.threads,
                    args.cache_mib << 20,
                    args.seed,
                )
            )
    print(f"load average (1 min): {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    header = ["method", "steps/s", "s/step", "cpu s/step", "load s/step", "setup MiB", "peak MiB", "epoch s"]
    if args.device == "cuda":
        header.append("cuda MiB")
    print("  ".join(f"{h:>11}" for h in header))
    for method, figures in results.items():
        cells = [
            method,
            _cell(figures["steps_per_s"], 3),
            _cell(figures["s_per_step"], 3),
            _cell(figures["cpu_s_per_step"], 3),
            _cell(figures["load_s_per_step"], 3),
            _cell(figures["setup_mib"], 0),
            _cell(figures["peak_mib"], 0),
            _cell(figures["epoch_s"], 1),
        ]
        if args.device == "cuda":
            cells.append(_cell(figures["cuda_mib"], 0))
        print("  ".join(f"{c:>11}" for c in cells))


if __name__ == "__main__":
    main()
