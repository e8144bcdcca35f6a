"""Throughput of the ``clip`` extractor with a ViT-B/16-sized model, on the CPU (or ``--device``).

The model is random (no download): ``CLIPVisionConfig`` defaults (hidden 768, 12 layers, 12 heads) with
patch 16, 224 px and projection 512, the shape of OpenAI's ViT-B/16 image tower, written with
``save_pretrained`` together with a default CLIP image processor (shortest side 224, 224x224 crop) and
loaded through the same offline path a user's model takes. The clip is synthetic, 320x240 H.264 at 25 fps:
a textured background with a square moving across it. For each setting the model is loaded and warmed up
first; then ``open_video`` + ``extract`` are timed (decoding included) and reported as video frames per second
and snippets per second (wall clock), with the number of images the model encoded and the CPU time of the
process (on a shared machine, wall-clock figures drift with the load; CPU time does not).

    .venv/bin/python benchmarks/bench_clip.py
    .venv/bin/python benchmarks/bench_clip.py --frames 160 --threads 4 --setting frames=mean
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import yaml

from vadkit.features import create_extractor
from vadkit.features.clip import ClipExtractor
from vadkit.io import open_video, write_video
from vadkit.models.clip_loading import image_processor_class

SETTINGS = ({"frames": "middle"}, {"frames": "middle", "crops": "ten"}, {"frames": "mean"})
"""Settings timed by default (each with the extractor's other defaults: 16-frame snippets, "floor")."""


def clip_frames(count: int, width: int = 320, height: int = 240) -> Iterator[np.ndarray]:
    """A textured background with a 48-pixel square moving 4 pixels a frame."""
    rng = np.random.default_rng(0)
    background = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    for index in range(count):
        frame = background.copy()
        x = (4 * index) % (width - 48)
        frame[96:144, x : x + 48] = 255
        yield frame


def save_vit_b16(folder: Path) -> Path:
    """A random ViT-B/16-sized CLIP image tower and a default CLIP image processor in ``folder``."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    config = CLIPVisionConfig(patch_size=16, image_size=224, projection_dim=512)
    CLIPVisionModelWithProjection(config).eval().save_pretrained(folder)
    image_processor_class()().save_pretrained(folder)
    return folder


def time_setting(model: Path, video: Path, frames: int, device: str, setting: dict[str, object]) -> str:
    """One line: the setting, frames/s and snippets/s of open + extract (decode included)."""
    extractor = create_extractor("clip", model=str(model), device=device, **setting)
    assert isinstance(extractor, ClipExtractor)
    extractor.encode([np.zeros((240, 320, 3), np.uint8)])  # load and warm up
    started, cpu = time.perf_counter(), time.process_time()
    with open_video(video) as reader:
        features = extractor.extract(reader)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    per_snippet = 16 if extractor.frames == "mean" else 1
    images = features.shape[0] * per_snippet * extractor.snippet.crops
    return (
        f"{setting!s:38} {features.shape!s:13} {images:4d} images {seconds:7.2f} s (cpu {cpu:6.2f} s) "
        f"{frames / seconds:7.1f} frames/s {features.shape[0] / seconds:6.2f} snippets/s"
    )


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--frames", type=int, default=64, help="frames of the synthetic clip")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--setting", action="append", default=[], help="KEY=VALUE (YAML) for a single setting to time"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    chosen = {k: v for pair in args.setting for k, v in yaml.safe_load(pair.replace("=", ": ", 1)).items()}
    settings = [chosen] if chosen else list(SETTINGS)
    with tempfile.TemporaryDirectory() as scratch:
        model = save_vit_b16(Path(scratch) / "vit-b16")
        video = Path(scratch) / "clip.mp4"
        write_video(video, clip_frames(args.frames), 25)
        where = f"{args.device}, {args.threads} threads"
        print(f"ViT-B/16-sized random CLIP, {args.frames} frames of 320x240, {where}")
        for setting in settings:
            print(time_setting(model, video, args.frames, args.device, setting))


if __name__ == "__main__":
    main()
