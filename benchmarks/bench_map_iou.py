"""Time ``map@iou`` on the 800 XD-Violence test videos and check it with perfect predictions on real GT.

Reads VadCLIP's fine-grained ground truth from the shared benchmark folder (``--shared``, holding
``ucf_crime/`` and ``xd_violence/``): ``gt_segment*.npy``, ``gt_label*.npy`` and the test CSVs.

1. Timing: seeded random softmax scores ``(T, 7)`` float32 for every XD-Violence test video, per snippet
   (``frames_per_score=16``) and repeated x16 per frame (the reference's own input), in both modes.
2. Perfect predictions for UCF-Crime and XD-Violence, in both modes: per frame, column ``c`` is 1 inside the
   events of class ``c`` and the normal column is 1 outside every event ("indicator"; where events of two
   classes overlap, both columns are 1), and the strict one-hot variant in which a later event overwrites an
   earlier one on overlapping frames.

Normal videos have ``T*16`` frames from their ``[0, T*16]`` segment; the GT files do not give abnormal videos'
lengths, so they get ``16 * ceil(last event end / 16)`` frames.

    python benchmarks/bench_map_iou.py --shared /path/to/shared/benchmarks [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from vadkit.data import UCF_CLASSES, XD_CLASS_NAMES, read_vadclip_segments
from vadkit.data.feature_sets import is_normal_class
from vadkit.eval import map_at_iou
from vadkit.types import EventInterval

FILES = {
    "ucf_crime": ("ucf_crime", "gt_segment_ucf.npy", "gt_label_ucf.npy", "ucf_CLIP_rgbtest.csv", UCF_CLASSES),
    "xd_violence": (
        "xd_violence",
        "gt_segment.npy",
        "gt_label.npy",
        "xd_CLIP_rgbtest.csv",
        tuple(XD_CLASS_NAMES),
    ),
}
MODES = {"correct": None, "compat=vadclip": "vadclip"}


def snippet_counts(events: Mapping[str, Sequence[EventInterval]]) -> dict[str, int]:
    """T per video: enough 16-frame snippets to hold its last event."""
    return {video: -(-max(e.end for e in evs) // 16) for video, evs in events.items()}


def perfect(
    events: Sequence[EventInterval], frames: int, classes: Sequence[str], one_hot: bool
) -> np.ndarray:
    """``(frames, C)`` float32 scores that are 1 exactly on each class's events (see the module docstring)."""
    scores = np.zeros((frames, len(classes)), dtype=np.float32)
    normal = next(i for i, name in enumerate(classes) if is_normal_class(name))
    scores[:, normal] = 1.0
    for event in events:
        column = normal if is_normal_class(str(event.label)) else classes.index(str(event.label))
        if one_hot or column != normal:
            scores[event.start : event.end, normal] = 0.0
        if one_hot:
            scores[event.start : event.end] = 0.0
        scores[event.start : event.end, column] = 1.0
    return scores


def timed(repeats: int, run) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, required=True, help="the shared benchmarks folder")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (best is printed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-s", type=float, default=2.0)
    args = parser.parse_args()

    ground_truth = {}
    for dataset, (folder, segments, labels, csv, classes) in FILES.items():
        root = args.shared / folder
        events = read_vadclip_segments(root / segments, root / labels, root / csv)
        ground_truth[dataset] = (events, classes, snippet_counts(events))

    events, classes, counts = ground_truth["xd_violence"]
    rng = np.random.default_rng(args.seed)
    snippets = {}
    for video, t in counts.items():
        logits = rng.normal(size=(t, len(classes))).astype(np.float32)
        snippets[video] = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    frames = {video: np.repeat(values, 16, axis=0) for video, values in snippets.items()}
    print(f"XD-Violence: {len(counts)} videos, {sum(counts.values())} snippets, random softmax scores")
    for mode, compat in MODES.items():
        for level, scores, repeat in (("snippet", snippets, 16), ("frame x16", frames, 1)):
            seconds, result = timed(
                args.repeats,
                lambda s=scores, r=repeat, c=compat: map_at_iou(
                    s, events, classes, frames_per_score=r, compat=c
                ),
            )
            verdict = "ok" if seconds < args.target_s else "SLOW"
            maps = " ".join(f"{100 * m:.3f}" for m in result.map)
            print(f"  {mode:15s} {level:9s} {seconds:.3f}s ({verdict}, target {args.target_s}s)  mAP% {maps}")

    for dataset, (events, classes, counts) in ground_truth.items():
        print(f"{dataset}: perfect predictions, mAP% at IoU 0.1..0.5 and mean")
        for variant in ("indicator", "one-hot"):
            scores = {
                video: perfect(evs, 16 * counts[video], classes, variant == "one-hot")
                for video, evs in events.items()
            }
            for mode, compat in MODES.items():
                result = map_at_iou(scores, events, classes, compat=compat)
                maps = " ".join(f"{100 * m:.3f}" for m in result.map)
                print(f"  {variant:9s} {mode:15s} {maps}  mean {100 * result.average:.3f}")
                below = {
                    name: round(100 * float(row[0]), 3)
                    for name, row in zip(result.classes, result.ap, strict=True)
                    if not np.isnan(row[0]) and row[0] < 1.0
                }
                print(
                    f"      AP% < 100 at IoU 0.1: {below}; ignored GT labels {dict(result.ignored_gt_labels)}"
                )


if __name__ == "__main__":
    main()
