"""AUC per anomaly class of every method of a `vadkit bench` run on the synthetic benchmark, as Markdown.

For each experiment folder ``BENCH_OUT/<dataset>/<method>/`` and each seed, the selected checkpoint's test
scores (``seed-<s>/scores-selected``) are scored per class with :func:`vadkit.eval.auc_per_class` (a
class's abnormal frames against every normal frame of the test split), and the table gives the mean ± sample
std over seeds. The synthetic benchmark's classes differ in the cue they need (speed, interaction, pose,
location, direction, time, objects), so this says which anomalies a method detects, which one headline AUC
cannot.

    python benchmarks/synthetic_per_class.py runs/synthetic-standard --data data/synthetic-standard
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from vadkit.data import build_ground_truth
from vadkit.eval import auc_per_class, load_score_dir


def method_rows(bench_out: Path, data: Path) -> tuple[list[str], dict[str, dict[str, list[float]]]]:
    """The classes, and per experiment (``<dataset>/<method>``) the per-seed AUC of every class."""
    truth = build_ground_truth("synthetic", data, split="test")
    results: dict[str, dict[str, list[float]]] = {}
    classes: set[str] = set()
    for seed_dir in sorted(bench_out.glob("*/*/seed-*/scores-selected")):
        experiment = f"{seed_dir.parents[2].name}/{seed_dir.parents[1].name}"
        per_class = auc_per_class(truth, load_score_dir(seed_dir))
        classes.update(per_class)
        for name, value in per_class.items():
            results.setdefault(experiment, {}).setdefault(name, []).append(value)
    return sorted(classes), results


def _cell(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("bench_out", type=Path, help="the `out` folder of a `vadkit bench` run")
    parser.add_argument("--data", type=Path, required=True, help="the synthetic dataset it was trained on")
    args = parser.parse_args()
    classes, results = method_rows(args.bench_out, args.data)
    seeds = {experiment: len(next(iter(values.values()))) for experiment, values in results.items()}
    print("| experiment | seeds | " + " | ".join(classes) + " |")
    print("|---|---|" + "---|" * len(classes))
    for experiment, values in results.items():
        cells = " | ".join(_cell(values[name]) for name in classes)
        print(f"| {experiment} | {seeds[experiment]} | {cells} |")


if __name__ == "__main__":
    main()
