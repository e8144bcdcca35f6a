"""Generation speed of vadkit's synthetic benchmark: ``vadkit.synth.generate`` per preset.

Times the whole job (simulation, rendering, H.264 encoding, masks, tracks, annotations, card) into a temporary
folder (or ``--out``) and prints seconds, videos, frames, frames per second and the size on disk.

    .venv/bin/python benchmarks/bench_synth.py --presets small standard --workers 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from vadkit.synth import PRESETS, generate


def _size_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--presets", nargs="+", default=["small", "standard"], choices=sorted(PRESETS))
    parser.add_argument("--workers", type=int, default=2, help="processes rendering videos")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="keep the datasets here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = args.out or Path(scratch)
        for preset in args.presets:
            root = base / f"synthetic-{preset}"
            start = time.perf_counter()
            manifest = generate(root, preset, args.seed, args.workers, overwrite=True)
            seconds = time.perf_counter() - start
            frames, videos = manifest.num_frames, len(manifest.videos)
            print(
                f"synth --preset {preset} --workers {args.workers}: {seconds:.1f} s, {videos} videos, "
                f"{frames} frames, {frames / seconds:.0f} frames/s, {_size_mb(root):.1f} MB"
            )


if __name__ == "__main__":
    main()
