"""How much anomaly information do extracted features carry? A supervised probe on the synthetic benchmark.

Trains a logistic regression on snippet features with *frame* labels (a snippet is abnormal when most of its
16 frames are) from the splits given by ``--fit`` (default: val and fewshot, which have frame ground truth),
and evaluates its snippet scores on the test split with the ``synthetic`` protocol. This is an upper-bound
diagnostic of the features, not a method: weakly-supervised methods see only video labels. If the probe is
near chance, no method trained on these features can rank for real reasons.

    python benchmarks/probe_synthetic_features.py --data data/synthetic --features features/synthetic
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.linear_model import LogisticRegression

from vadkit.data import build_ground_truth, synthetic_feature_set
from vadkit.eval import auc_per_class, evaluate, get_protocol


def snippet_rows(data: str, features: str, split: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per video of ``split``: its (T, D) features (crops averaged) and its (T,) snippet labels."""
    feature_set = synthetic_feature_set(data, features, split)
    truth = build_ground_truth("synthetic", data, split=split)
    rows, labels = {}, {}
    for video in feature_set:
        snippets = feature_set.load(video).mean(axis=1)
        frames = truth[video.name].labels.astype(float)
        padded = np.pad(frames, (0, snippets.shape[0] * 16 - frames.shape[0]), mode="edge")
        rows[video.name] = snippets
        labels[video.name] = padded[: snippets.shape[0] * 16].reshape(-1, 16).mean(axis=1) > 0.5
    return rows, labels


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="a `vadkit synth` folder")
    parser.add_argument("--features", required=True, help="its `vadkit extract` output")
    parser.add_argument("--fit", nargs="+", default=["val", "fewshot"], help="splits the probe is fitted on")
    args = parser.parse_args()

    fit_rows, fit_labels = [], []
    for split in args.fit:
        rows, labels = snippet_rows(args.data, args.features, split)
        fit_rows += list(rows.values())
        fit_labels += list(labels.values())
    x, y = np.concatenate(fit_rows), np.concatenate(fit_labels)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    probe = LogisticRegression(max_iter=3000).fit((x - mean) / std, y)
    test_rows, _ = snippet_rows(args.data, args.features, "test")
    scores = {name: probe.predict_proba((rows - mean) / std)[:, 1] for name, rows in test_rows.items()}
    truth = build_ground_truth("synthetic", args.data, split="test")
    report = evaluate(get_protocol("synthetic"), truth, scores)
    fitted = ", ".join(args.fit)
    print(f"probe fitted on {fitted}: {len(y)} snippets, {int(y.sum())} abnormal, D={x.shape[1]}")
    for name, value in report.metrics.items():
        print(f"  test {name:22s} {value:.4f}")
    for name, value in auc_per_class(truth, scores).items():
        print(f"  test auc[{name}]{'':{max(0, 17 - len(name))}s} {value:.4f}")


if __name__ == "__main__":
    main()
