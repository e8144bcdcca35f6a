"""Time micro AUC and both APs on a UCF-Crime-sized frame set (about 1.1 million test frames).

Two score sets: distinct random scores, and snippet scores repeated x16 (what real evaluations feed the
metrics, with many ties). Labels are seeded random with about 8% positives. Prints each metric's time per
repeat, the per-repeat total, and the best total against the target.

    python benchmarks/bench_metrics.py [--frames 1100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from vadkit.eval.metrics import ap_pr_trapz, ap_sklearn, auc_micro

METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "auc_micro": auc_micro,
    "ap_sklearn": ap_sklearn,
    "ap_pr_trapz": ap_pr_trapz,
}


def score_sets(frames: int, positive_rate: float, seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Seeded labels and the two score variants."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(frames) < positive_rate).astype(np.uint8)
    distinct = rng.random(frames)
    repeated = np.repeat(rng.random(-(-frames // 16)), 16)[:frames]
    return labels, {"distinct": distinct, "repeated_x16": repeated}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--frames", type=int, default=1_100_000, help="number of frames (default: UCF-Crime test)"
    )
    parser.add_argument("--positive-rate", type=float, default=0.08, help="fraction of abnormal frames")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per score set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-s", type=float, default=1.0, help="target for the three metrics together")
    args = parser.parse_args()

    labels, variants = score_sets(args.frames, args.positive_rate, args.seed)
    print(f"{args.frames} frames, {int(labels.sum())} abnormal ({labels.mean():.1%}), {args.repeats} repeats")
    for variant, scores in variants.items():
        totals = []
        for repeat in range(1, args.repeats + 1):
            timings = {}
            for name, metric in METRICS.items():
                start = time.perf_counter()
                value = metric(labels, scores)
                timings[name] = time.perf_counter() - start
            totals.append(sum(timings.values()))
            parts = "  ".join(f"{name} {seconds:.3f}s" for name, seconds in timings.items())
            print(f"{variant:>13} #{repeat}: {parts}  total {totals[-1]:.3f}s  (last value {value:.6f})")
        best = min(totals)
        verdict = "within" if best <= args.target_s else "OVER"
        print(f"{variant:>13} best total {best:.3f}s ({verdict} the {args.target_s:g}s target)")


if __name__ == "__main__":
    main()
