"""Tests of the synthetic-benchmark experiment runner and the `vadkit train` verb."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import typer
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from vadkit.cli.train_cmd import train as train_command
from vadkit.data import build_ground_truth
from vadkit.errors import ValidationError
from vadkit.train import evaluate_run, read_info
from vadkit.train.experiment import ExperimentConfig, run_experiment
from vadkit.train.results import mean_std

STEPS = 4


@pytest.fixture(scope="module")
def bench(tiny_motion_dataset: tuple[Path, Path]) -> tuple[Path, Path]:
    """The tiny synthetic dataset with motion features (``tiny_motion_dataset``)."""
    return tiny_motion_dataset


def _config(bench: tuple[Path, Path], **changes: object) -> ExperimentConfig:
    data, features = bench
    values: dict[str, object] = {"seeds": (0, 1), "steps": STEPS, "batch_size": 1, "eval_every": 2}
    values.update(changes)
    return ExperimentConfig("mil", str(data), str(features), **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def experiment(bench: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    run_dir = tmp_path_factory.mktemp("runs") / "mil"
    return run_experiment(_config(bench), run_dir, progress=False)


def test_files_written(experiment) -> None:
    run_dir = experiment.run_dir
    for name in ("config.json", "metrics.json", "results.csv"):
        assert (run_dir / name).is_file()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["method_config"]["feature_dim"] == 315  # motion defaults: 16 cells x 17 + 43 objects
    assert ExperimentConfig.from_dict(config) == experiment.config
    for seed in (0, 1):
        seed_dir = run_dir / f"seed-{seed}"
        checkpoints = sorted(p.name for p in (seed_dir / "checkpoints").iterdir())
        assert f"step-{STEPS:08d}" in checkpoints
        for kind in ("last", "selected"):
            assert len(list((seed_dir / f"scores-{kind}").glob("*.npy"))) == 10


def test_metrics_equal_sklearn_on_saved_scores(experiment, bench: tuple[Path, Path]) -> None:
    test_gt = build_ground_truth("synthetic", bench[0], split="test")
    metrics = json.loads(experiment.metrics_path.read_text())
    for seed in ("0", "1"):
        for kind in ("last", "selected"):
            folder = experiment.run_dir / f"seed-{seed}" / f"scores-{kind}"
            labels, scores = [], []
            for name, gt in test_gt.items():
                n = len(gt.labels)
                snippets = np.load(folder / f"{name}.npy")
                assert snippets.shape == (math.ceil(n / 16),) or snippets.shape == (n // 16,)
                labels.append(np.asarray(gt.labels))
                scores.append(np.repeat(snippets.astype(np.float64), 16)[:n])
            expected = roc_auc_score(np.concatenate(labels), np.concatenate(scores))
            recorded = metrics["per_seed"][seed][kind]["metrics"]["auc_micro"]
            assert recorded == pytest.approx(expected, abs=1e-9)


def test_aggregate_is_sample_mean_and_std(experiment) -> None:
    metrics = json.loads(experiment.metrics_path.read_text())
    assert metrics["selection"]["test_set_used_for_selection"] is False
    assert set(metrics["selection"]["selected_steps"]) == {"0", "1"}
    for kind in ("last", "selected"):
        for name in metrics["metric_names"]:
            values = [metrics["per_seed"][s][kind]["metrics"][name] for s in ("0", "1")]
            entry = metrics["aggregate"][kind][name]
            if any(v is None for v in values):
                assert entry["mean"] is None
                continue
            assert entry["mean"] == pytest.approx(np.mean(values), abs=1e-12)
            assert entry["std"] == pytest.approx(np.std(values, ddof=1), abs=1e-12)


def test_results_csv_rows(experiment) -> None:
    with experiment.results_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [(row["seed"], row["checkpoint"]) for row in rows]
    assert keys == [
        ("0", "last"),
        ("0", "selected"),
        ("1", "last"),
        ("1", "selected"),
        ("mean", "last"),
        ("std", "last"),
        ("mean", "selected"),
        ("std", "selected"),
    ]
    assert list(rows[0])[2:] == list(experiment.metric_names)
    metrics = json.loads(experiment.metrics_path.read_text())
    assert float(rows[2]["auc_micro"]) == metrics["per_seed"]["1"]["last"]["metrics"]["auc_micro"]


def test_evaluate_run_reproduces_the_synthetic_run(experiment, tmp_path: Path) -> None:
    evaluation = evaluate_run(experiment.run_dir, out_dir=tmp_path)
    assert evaluation.aggregate == experiment.aggregate
    written = json.loads((tmp_path / "metrics.json").read_text())
    recorded = json.loads(experiment.metrics_path.read_text())
    assert written["aggregate"] == recorded["aggregate"] and written["protocol"] == "synthetic"
    for seed in ("0", "1"):
        for kind in ("last", "selected"):
            assert written["per_seed"][seed][kind]["metrics"] == recorded["per_seed"][seed][kind]["metrics"]


def test_rerun_reuses_finished_seeds(experiment) -> None:
    again = run_experiment(experiment.config, experiment.run_dir, progress=False)
    assert [s.train.resumed_from_step for s in again.seeds] == [STEPS, STEPS]
    assert again.aggregate == experiment.aggregate


def test_label_budget_respected(bench: tuple[Path, Path], tmp_path: Path) -> None:
    result = run_experiment(_config(bench, seeds=(3,), abnormal_videos=2, steps=2), tmp_path, progress=False)
    data = read_info(result.seeds[0].train.last_checkpoint)["data"]
    assert data["train"]["abnormal"] + data["validation"]["abnormal"] == 2
    assert data["train"]["normal"] + data["validation"]["normal"] == 2
    entry = json.loads(result.metrics_path.read_text())["aggregate"]["last"]["auc_micro"]
    assert entry["std"] is None  # one seed: std undefined


def test_mean_std_single_value_is_nan() -> None:
    mean, std = mean_std([0.5])
    assert mean == 0.5 and math.isnan(std)
    with pytest.raises(ValidationError, match="no values"):
        mean_std([])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seeds": ()}, "seeds"),
        ({"seeds": (0, 0)}, "repeat"),
        ({"val_fraction": 1.0}, "val_fraction"),
        ({"abnormal_videos": 0}, "abnormal_videos"),
        ({"selection": "frame"}, "video-level labels"),
        ({"steps": 0}, "steps"),
        ({"recipe": "paper"}, "unknown recipe 'paper'"),
    ],
)
def test_config_errors(bench: tuple[Path, Path], changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _config(bench, **changes)


def test_budget_larger_than_available(bench: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="budget"):
        run_experiment(_config(bench, abnormal_videos=9), tmp_path, progress=False)


def test_cli(bench: tuple[Path, Path], tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(train_command)
    data, features = bench
    arguments = ["mil", "--data", str(data), "--features", str(features), "--out", str(tmp_path / "run")]
    arguments += ["--seeds", "0,1", "--steps", "2", "--batch-size", "1", "--eval-every", "1"]
    arguments += ["--set", "dropout=0.5", "--recipe", "balanced"]
    result = CliRunner().invoke(app, arguments, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "auc_micro" in result.output and "selected" in result.output and "±" in result.output
    assert "metrics.json" in result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["method_config"]["dropout"] == 0.5 and config["seeds"] == [0, 1]
    assert config["recipe"] == "balanced"
    info = read_info(tmp_path / "run" / "seed-1" / "checkpoints" / "step-00000002")
    assert info["train_config"]["recipe"] == "balanced"


def test_cli_bad_budget_exits_1(bench: tuple[Path, Path], tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(train_command)
    data, features = bench
    arguments = ["mil", "--data", str(data), "--features", str(features), "--out", str(tmp_path / "run")]
    result = CliRunner().invoke(app, [*arguments, "--steps", "1", "--abnormal-videos", "9"])
    assert result.exit_code == 1
    assert "budget" in result.output
