"""Tests of `vadkit bench`: the bench configuration, the runner's tables and plot, and the CLI verb."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from vadkit.cli.app import app
from vadkit.errors import ValidationError
from vadkit.features import run_extraction
from vadkit.report.bench_plot import BarPanel, plot_grouped_bars
from vadkit.synth import generate
from vadkit.train.bench import BenchConfig, BenchResult, is_path_key, load_bench_config, run_bench
from vadkit.train.bench_tables import ExperimentSummary, dataset_table, selection_statement
from vadkit.train.results import format_mean_std

STEPS = 4

BENCH_YAML = """\
out: ../runs
seeds: [0, 1]
defaults: {steps: 4, batch_size: 1, eval_every: 2}
datasets:
  tiny:
    data_root: ../data
    feature_dir: ../features
methods:
  mil: {}
  mil-paired: {method: mil, method_config: {variant: paired}, eval_every: 3}
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``data/`` (a tiny synthetic dataset, 2 normal and 4 abnormal training videos) and ``features/``."""
    root = tmp_path_factory.mktemp("bench")
    generate(root / "data", preset="tiny", seed=1, train_abnormal=4)
    run_extraction(root / "data" / "videos", root / "features", "motion", progress=False)
    return root


def _write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bench(root: Path) -> BenchResult:
    return run_bench(load_bench_config(_write_config(root / "configs", BENCH_YAML)), progress=False)


def _per_seed(metrics: dict, kind: str, name: str) -> list[float]:
    values = [metrics["per_seed"][str(seed)][kind]["metrics"][name] for seed in metrics["seeds"]]
    assert None not in values
    return values


def _metrics(bench: BenchResult, method: str) -> dict:
    return json.loads((bench.config.out / "tiny" / method / "metrics.json").read_text())


def test_files_and_resolved_paths(bench: BenchResult, root: Path) -> None:
    out = (root / "runs").resolve()
    assert bench.config.out == out
    assert bench.config.datasets["tiny"]["data_root"] == str((root / "data").resolve())
    assert bench.config.datasets["tiny"]["feature_dir"] == str((root / "features").resolve())
    assert [bench.config_path, bench.markdown_path, bench.csv_path, bench.plot_path] == [
        out / name for name in ("bench.yaml", "results.md", "results.csv", "results.png")
    ]
    assert BenchConfig.from_dict(yaml.safe_load(bench.config_path.read_text())) == bench.config
    mil = json.loads((out / "tiny" / "mil" / "config.json").read_text())
    paired = json.loads((out / "tiny" / "mil-paired" / "config.json").read_text())
    assert mil["data_root"] == paired["data_root"] == str((root / "data").resolve())
    assert (mil["method"], mil["eval_every"], mil["steps"], mil["seeds"]) == ("mil", 2, STEPS, [0, 1])
    assert (paired["method"], paired["eval_every"], paired["steps"]) == ("mil", 3, STEPS)
    assert (mil["method_config"].get("variant"), paired["method_config"]["variant"]) == (None, "paired")
    feature_dim = np.load(next((root / "features").glob("*/*.npy"))).shape[-1]
    assert mil["method_config"]["feature_dim"] == paired["method_config"]["feature_dim"] == feature_dim
    with Image.open(bench.plot_path) as image:
        assert image.format == "PNG" and image.width > 100 and image.height > 100
        image.verify()


def test_csv_equals_recomputed_aggregates(bench: BenchResult) -> None:
    with bench.csv_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["dataset", "method", "checkpoint", "metric", "mean", "std", "n_seeds"]
    expected_keys = []
    for method in ("mil", "mil-paired"):
        metrics = _metrics(bench, method)
        expected_keys += [
            ("tiny", method, kind, name) for kind in ("last", "selected") for name in metrics["metric_names"]
        ]
    assert [(r["dataset"], r["method"], r["checkpoint"], r["metric"]) for r in rows] == expected_keys
    for row in rows:
        values = _per_seed(_metrics(bench, row["method"]), row["checkpoint"], row["metric"])
        assert float(row["mean"]) == pytest.approx(statistics.mean(values), abs=1e-12)
        assert float(row["std"]) == pytest.approx(statistics.stdev(values), abs=1e-12)
        assert row["n_seeds"] == "2"


def test_markdown_equals_recomputed_aggregates(bench: BenchResult) -> None:
    lines = bench.markdown_path.read_text().splitlines()
    assert "## tiny" in lines
    assert "Protocol `synthetic`, headline metric `auc_micro`; seeds 0, 1." in lines
    assert any("validation split carved from the training videos" in line for line in lines)
    table = [line for line in lines if line.startswith("|")]
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    metric_names = _metrics(bench, "mil")["metric_names"]
    assert header == ["method", "checkpoint", "n", *metric_names]  # auc_micro (headline) is first already
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]
    assert [row[:3] for row in rows] == [
        ["mil", "last", "2"],
        ["mil", "selected", "2"],
        ["mil-paired", "last", "2"],
        ["mil-paired", "selected", "2"],
    ]
    for row in rows:
        metrics = _metrics(bench, row[0])
        for name, cell in zip(metric_names, row[3:], strict=True):
            values = _per_seed(metrics, row[1], name)
            assert cell == f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def test_rerun_reuses_finished_seeds(bench: BenchResult) -> None:
    checkpoints = sorted(bench.config.out.glob("tiny/*/seed-*/checkpoints/*/*"))
    assert len(checkpoints) > 8
    before = {path: path.stat().st_mtime_ns for path in checkpoints}
    csv_before = bench.csv_path.read_text()
    again = run_bench(bench.config, progress=False)
    assert {path: path.stat().st_mtime_ns for path in checkpoints} == before
    for method, result in again.experiments["tiny"].items():
        assert [s.train.resumed_from_step for s in result.seeds] == [STEPS, STEPS], method
    assert again.csv_path.read_text() == csv_before


def test_cli_only_method_and_errors(root: Path) -> None:
    text = BENCH_YAML.replace("out: ../runs", "out: ../runs-cli").replace("steps: 4", "steps: 2")
    config = _write_config(root / "configs-cli", text)
    runner = CliRunner()
    result = runner.invoke(app, ["bench", str(config), "--only-method", "mil"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "auc_micro" in result.output and "±" in result.output and "results.png" in result.output
    with (root / "runs-cli" / "results.csv").open(newline="") as handle:
        assert {row["method"] for row in csv.DictReader(handle)} == {"mil"}
    assert not (root / "runs-cli" / "tiny" / "mil-paired").exists()

    unknown = runner.invoke(app, ["bench", str(config), "--only-dataset", "nope"], env={"COLUMNS": "200"})
    assert unknown.exit_code == 2 and "unknown dataset(s) nope (known: tiny)" in unknown.output
    missing = runner.invoke(app, ["bench", str(root / "absent.yaml")], env={"COLUMNS": "200"})
    assert missing.exit_code == 2 and "cannot read the bench config" in missing.output

    budget = _write_config(
        root / "configs-budget", text.replace("eval_every: 2}", "eval_every: 2, abnormal_videos: 9}")
    )
    failed = runner.invoke(app, ["bench", str(budget), "--only-method", "mil"])
    assert failed.exit_code == 1 and "budget" in failed.output


@pytest.fixture
def folders(tmp_path: Path) -> Path:
    """``tmp_path`` with empty ``data/`` and ``features/`` folders and a ``configs/`` folder for YAMLs."""
    for name in ("data", "features", "configs"):
        (tmp_path / name).mkdir()
    return tmp_path


MINIMAL = {
    "out": "../runs",
    "seeds": [0],
    "datasets": {"d": {"data_root": "../data", "feature_dir": "../features"}},
    "methods": {"mil": None},
}


def _load(folders: Path, changes: dict) -> BenchConfig:
    return load_bench_config(_write_config(folders / "configs", yaml.safe_dump({**MINIMAL, **changes})))


def test_relative_path_rule(folders: Path) -> None:
    absolute = str((folders / "features").resolve())
    config = _load(
        folders,
        {
            "defaults": {"protocol": "synthetic", "steps": 5},
            "datasets": {"d": {"data_root": "../data", "feature_dir": absolute}},
            "methods": {"mil": {}, "mil-paired": {"method": "mil", "method_config": {"variant": "paired"}}},
        },
    )
    assert config.out == (folders / "runs").resolve()
    assert config.datasets["d"]["data_root"] == str((folders / "data").resolve())
    assert config.datasets["d"]["feature_dir"] == absolute
    assert config.defaults == {"protocol": "synthetic", "steps": 5}
    experiment = config.experiment_config("d", "mil-paired")
    assert (experiment.method, dict(experiment.method_config), experiment.steps) == (
        "mil",
        {"variant": "paired"},
        5,
    )
    assert config.run_dir("d", "mil-paired") == (folders / "runs" / "d" / "mil-paired").resolve()
    assert [is_path_key(k) for k in ("data_root", "feature_dir", "train_list", "gt")] == [True] * 4
    assert [is_path_key(k) for k in ("protocol", "gt_options", "steps", "directory")] == [False] * 4


def test_subset_keeps_config_order(folders: Path) -> None:
    config = _load(folders, {"methods": {"mil": None, "rtfm": None, "urdmu": None}})
    assert list(config.subset(methods=["urdmu", "mil"]).methods) == ["mil", "urdmu"]
    assert list(config.subset(datasets=["d"]).datasets) == ["d"]
    with pytest.raises(ValidationError, match=r"unknown method\(s\) hlnet \(known: mil, rtfm, urdmu\)"):
        config.subset(methods=["hlnet"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 3}, r"unknown key\(s\) epochs"),
        ({"methods": None}, "methods must be a mapping"),
        ({"seeds": 3}, "seeds must be a list"),
        ({"out": None}, "out must be a folder path"),
        ({"seeds": [0, 0]}, "seeds repeat"),
        ({"datasets": {}}, "datasets is empty"),
        ({"datasets": {"a/b": MINIMAL["datasets"]["d"]}}, "not folder names"),
        ({"defaults": {"stepz": 3}}, r"defaults: unknown field\(s\) stepz"),
        (
            {"datasets": {"d": {**MINIMAL["datasets"]["d"], "colour": 1}}},
            r"datasets.d: unknown field\(s\) colour",
        ),
        ({"datasets": {"d": {**MINIMAL["datasets"]["d"], "seeds": [1]}}}, "datasets.d: seeds not allowed"),
        ({"defaults": {"method": "rtfm"}}, "defaults: method not allowed"),
        ({"methods": {"mil": {"dropout": 0.5}}}, r"methods.mil: unknown field\(s\) dropout"),
        ({"methods": {"mil": {"method_config": [1]}}}, "method_config must be a mapping"),
        ({"methods": {"nosuch": {}}}, "dataset 'd', method 'nosuch': .*unknown method 'nosuch'"),
        ({"defaults": {"selection": "frame"}}, "dataset 'd', method 'mil': .*video-level labels"),
        (
            {"datasets": {"d": {"data_root": "../data", "feature_dir": "../missing"}}},
            r"datasets.d.feature_dir: .*missing does not exist",
        ),
    ],
)
def test_config_errors_name_file_and_problem(folders: Path, changes: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        _load(folders, changes)
    assert str(caught.value).startswith(str(folders / "configs" / "bench.yaml"))


def test_missing_key_and_bad_yaml(folders: Path) -> None:
    path = _write_config(
        folders / "configs", yaml.safe_dump({k: v for k, v in MINIMAL.items() if k != "methods"})
    )
    with pytest.raises(ValidationError, match=r"missing key\(s\) methods"):
        load_bench_config(path)
    path.write_text("out: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="not valid YAML"):
        load_bench_config(path)
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="expected a mapping at the top level"):
        load_bench_config(path)


def _summary(method: str, criterion: str, on_test: bool) -> ExperimentSummary:
    nan = float("nan")
    aggregate = {
        "last": {"auc_micro": {"mean": 0.75, "std": nan}},
        "selected": {"auc_micro": {"mean": nan, "std": nan}},
    }
    return ExperimentSummary(
        "d", method, "synthetic", "auc_micro", ("auc_micro",), (0,), aggregate, criterion, on_test
    )


def test_cells_and_selection_statement() -> None:
    assert format_mean_std({"mean": 0.123456, "std": 0.01}) == "0.1235 ± 0.0100"
    assert format_mean_std({"mean": 0.5, "std": float("nan")}) == "0.5000"  # one seed: no std
    assert format_mean_std({"mean": float("nan"), "std": float("nan")}) == "undefined"
    assert format_mean_std(None) == "n/a"
    validation = [_summary("mil", "video-auc-max", False), _summary("rtfm", "video-auc-max", False)]
    assert selection_statement(validation) == (
        "Selection (`video-auc-max`) on a validation split carved from the training videos; the test split "
        "was not used for selection."
    )
    mixed = selection_statement([validation[0], _summary("urdmu", "test auc_micro", True)])
    assert mixed.startswith("mil: selection (`video-auc-max`) on a validation split")
    assert "urdmu: selection (`test auc_micro`) on the **test split** (`select_on_test` was set)" in mixed
    header, rows = dataset_table([validation[0]])
    assert header == ["method", "checkpoint", "n", "auc_micro"]
    assert rows == [["mil", "last", "1", "0.7500"], ["mil", "selected", "1", "undefined"]]


def test_plot_with_undefined_values(tmp_path: Path) -> None:
    panel = BarPanel("d", ("a", "b"), {"last": [0.5, float("nan")]}, {"last": [float("nan"), 0.1]}, "auc")
    path = plot_grouped_bars(tmp_path / "bars.png", [panel, panel])
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()
