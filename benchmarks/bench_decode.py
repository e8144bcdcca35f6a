"""Decode speed: vadkit's PyAVReader.iter_frames() against a bare PyAV decode loop on the same file.

Writes a generated H.264 clip (moving gradients and a moving square) to a temporary folder, then times, over
several repetitions, (a) ``container.decode(video=0)`` + ``frame.to_ndarray(format="rgb24")`` and (b)
``PyAVReader(path).iter_frames()``, both with the same decoder threading, and (c) decoding without RGB
conversion as the ceiling. The target is vadkit >= 80% of raw. PyAV's ``to_ndarray`` builds a new scaler for
every frame; the reader keeps one per pass, which is why it runs faster than the raw loop.

    .venv/bin/python benchmarks/bench_decode.py --seconds 30 --width 320 --height 240 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np

from vadkit.io import PyAVReader, write_video

TARGET_RATIO = 0.8


def moving_frames(count: int, width: int, height: int) -> Iterator[np.ndarray]:
    """Frames with content that changes every frame: drifting colour gradients and a bouncing square."""
    rows, cols = np.mgrid[0:height, 0:width]
    side = max(4, min(width, height) // 6)
    for index in range(count):
        frame = np.stack(
            [(cols + 3 * index) % 256, (rows + 2 * index) % 256, ((cols + rows) // 2 + index) % 256], axis=-1
        ).astype(np.uint8)
        x = (7 * index) % (width - side)
        y = (5 * index) % (height - side)
        frame[y : y + side, x : x + side] = 255
        yield frame


def bare_pyav(path: Path, threads: int, *, to_rgb: bool) -> int:
    """Frames decoded by a bare PyAV loop (same threading as the reader), converted to RGB arrays or not."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        count = 0
        for frame in container.decode(video=0):
            if to_rgb:
                frame.to_ndarray(format="rgb24")
            count += 1
    return count


def raw_pyav(path: Path, threads: int) -> int:
    """The baseline: ``container.decode(video=0)`` + ``frame.to_ndarray(format="rgb24")``."""
    return bare_pyav(path, threads, to_rgb=True)


def decode_only(path: Path, threads: int) -> int:
    """Decoding without any RGB conversion: the ceiling for any reader."""
    return bare_pyav(path, threads, to_rgb=False)


def vadkit_reader(path: Path, threads: int) -> int:
    """Frames decoded by ``PyAVReader.iter_frames()`` (opening included)."""
    with PyAVReader(path, threads=threads) as reader:
        return sum(1 for _ in reader.iter_frames())


def frame_rates(decode: Callable[[Path, int], int], path: Path, threads: int, repeats: int) -> list[float]:
    """Frames per second of ``repeats`` runs of ``decode``."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        frames = decode(path, threads)
        rates.append(frames / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="clip duration in seconds")
    parser.add_argument("--fps", type=float, default=25.0, help="clip frame rate")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each decoder")
    parser.add_argument("--threads", type=int, default=0, help="decoder threads (0: FFmpeg chooses)")
    args = parser.parse_args()

    count = round(args.seconds * args.fps)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.mp4"
        write_video(path, moving_frames(count, args.width, args.height), args.fps, crf=23)
        size_mb = path.stat().st_size / 1e6
        print(
            f"clip: {args.width}x{args.height}, {count} frames ({args.seconds:g} s at {args.fps:g} fps), "
            f"H.264 crf 23, {size_mb:.2f} MB; threads={args.threads}, repeats={args.repeats}"
        )
        frame_rates(raw_pyav, path, args.threads, 1)  # warm the file cache and the libraries
        results = {
            "raw PyAV (decode + to_ndarray rgb24)": frame_rates(raw_pyav, path, args.threads, args.repeats),
            "vadkit PyAVReader.iter_frames()": frame_rates(vadkit_reader, path, args.threads, args.repeats),
            "PyAV decode only (no RGB, ceiling)": frame_rates(decode_only, path, args.threads, args.repeats),
        }
    for name, rates in results.items():
        print(
            f"  {name:<40} median {statistics.median(rates):8.0f} frames/s  "
            f"(min {min(rates):.0f}, max {max(rates):.0f})"
        )
    raw, ours, _ = (statistics.median(rates) for rates in results.values())
    verdict = "meets" if ours >= TARGET_RATIO * raw else "MISSES"
    print(f"  ratio vadkit / raw: {ours / raw:.2f}  ({verdict} the target of {TARGET_RATIO:.0%})")


if __name__ == "__main__":
    main()
