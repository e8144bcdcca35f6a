"""Speed of ``vadkit predict`` with the ``motion`` extractor on a 1-minute 320x240 video, on one core.

The whole per-video path of :func:`vadkit.predict.predict_video` is timed: decoding, motion features, the
model's snippet scores, frame scores, events, and for every event its motion evidence and composed
description (:mod:`vadkit.predict.explanations`), then writing ``scores.npy``/``.csv``/``events.json``.
The model is an RTFM head with random weights (weights do not change the cost) and the threshold is the
median frame score, so that events, and their explanations, are found. The process is pinned to one CPU,
with one OpenCV and one torch thread. The target is a real-time factor (video seconds per second of
processing) of at least 10.

    .venv/bin/python benchmarks/bench_predict.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_motion import scene_frames
from vadkit.explain import fit_normal_statistics
from vadkit.features.motion import MotionExtractor
from vadkit.io import write_video
from vadkit.methods import create_method
from vadkit.predict.detector import Detector, ExtractorSpec
from vadkit.predict.explanations import ExplainSettings, description_explainer, evidence_explainer
from vadkit.predict.outputs import write_prediction
from vadkit.predict.pipeline import DEFAULT_EVENTS, extract_video, given_threshold, predict_video

TARGET = 10.0
FPS = 25.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the video")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (the median is reported)")
    parser.add_argument("--cpu", type=int, default=0, help="the one CPU the benchmark runs on")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    torch.manual_seed(0)

    extractor = MotionExtractor()
    model = create_method("rtfm", feature_dim=extractor.dim).eval()
    spec = ExtractorSpec("motion", extractor.config())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        video = folder / "clip_320x240.mp4"
        frames = write_video(video, scene_frames(round(args.seconds * FPS), 0.8, 3.0, size=(320, 240)), FPS)
        detector = Detector(model, spec, None, folder, 0, "selected", folder)
        features, _ = extract_video(video, extractor)
        stats = fit_normal_statistics([features], extractor)
        median = float(np.median(detector.snippet_scores(features)))
        explainers = (evidence_explainer(detector, stats), description_explainer(ExplainSettings()))
        print(f"video: 320x240 H.264, {frames} frames at {FPS:g} fps ({frames / FPS:.0f} s); CPU {args.cpu}")
        walls, cpus, events = [], [], 0
        for _ in range(args.repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            prediction = predict_video(
                video,
                detector,
                extractor,
                given_threshold(median),
                events=DEFAULT_EVENTS,
                explainers=explainers,
            )
            write_prediction(folder / "out", prediction, detector, DEFAULT_EVENTS.to_dict())
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            events = len(prediction.events)
    seconds = frames / FPS
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"  {events} events found and explained (threshold = median score {median:.3f})")
    print(f"  processing: {wall:.2f} s wall, {cpu:.2f} s CPU (median of {args.repeats})")
    factor = seconds / cpu
    print(f"  real-time factor: {seconds / wall:.1f}x wall, {factor:.1f}x CPU time")
    verdict = "meets" if factor >= TARGET else "MISSES"
    print(f"  target: {factor:.1f}x real time on one core (CPU time) {verdict} {TARGET:g}x")


if __name__ == "__main__":
    main()
