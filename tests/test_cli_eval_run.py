"""`vadkit eval RUN_DIR`: every seed of a training run re-evaluated from its score files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from test_train_datasets_files import (
    experiment_fields,
    ucf_rtfm_release,
)
from vadkit.cli.app import app
from vadkit.train import ExperimentConfig, ExperimentResult, run_experiment

RUN = {"steps": 2, "batch_size": 1, "eval_every": 1}


def invoke(arguments: list[str]) -> tuple[Result, str]:
    """Run ``vadkit`` with ``arguments``; the result and its output with whitespace runs collapsed."""
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "400"})
    return result, " ".join(result.output.split())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ExperimentResult]:
    """Two seeds selected on validation, and one seed selected on the test set."""
    root = tmp_path_factory.mktemp("eval-run")
    fields = experiment_fields(ucf_rtfm_release(root / "data"))
    honest = ExperimentConfig("mil", seeds=(0, 1), **RUN, **fields)
    on_test = ExperimentConfig("mil", select_on_test=True, **RUN, **fields)
    return {
        "honest": run_experiment(honest, root / "honest", progress=False),
        "on_test": run_experiment(on_test, root / "on-test", progress=False),
    }


def test_eval_run_dir_reproduces_the_runner(runs: dict[str, ExperimentResult], tmp_path: Path) -> None:
    run = runs["honest"]
    result, output = invoke(["eval", str(run.run_dir), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "mil on ucf-crime: test, 2 seed(s)" in output and "TEST" not in output
    written = json.loads((tmp_path / "metrics.json").read_text())
    recorded = json.loads(run.metrics_path.read_text())
    assert written["aggregate"] == recorded["aggregate"]
    assert written["selection"] == recorded["selection"]
    assert written["run_dir"] == str(run.run_dir)
    for seed in ("0", "1"):
        for kind in ("last", "selected"):
            assert written["per_seed"][seed][kind]["metrics"] == recorded["per_seed"][seed][kind]["metrics"]
    # the table shows mean ± sample std over the two seeds, as recorded
    values = [recorded["per_seed"][s]["selected"]["metrics"]["auc_micro"] for s in ("0", "1")]
    mean, std = np.mean(values), np.std(values, ddof=1)
    assert not math.isnan(std)
    assert f"{mean:.4f} ± {std:.4f}" in output


def test_eval_run_dir_says_when_the_test_set_selected(
    runs: dict[str, ExperimentResult], tmp_path: Path
) -> None:
    result, output = invoke(["eval", str(runs["on_test"].run_dir), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "checkpoints selected on the TEST set" in output
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["selection"]["on"] == "test" and written["selection"]["test_set_used_for_selection"]
    assert written["per_seed"]["0"]["selected"]["settings"]["test_set_used_for_selection"] is True


def test_run_dir_and_score_options_exclude_each_other(runs: dict[str, ExperimentResult]) -> None:
    result, output = invoke(["eval", str(runs["honest"].run_dir), "--protocol", "ucf-crime"])
    assert result.exit_code == 2
    assert "RUN_DIR takes the dataset and protocol from the run's config.json; drop --protocol" in output
    result, output = invoke(["eval", "--scores", "somewhere"])
    assert result.exit_code == 2
    assert "give a RUN_DIR, or all of --protocol, --scores, --gt (missing: --protocol, --gt)" in output


def test_a_folder_that_is_not_a_run_exits_1(tmp_path: Path) -> None:
    result, output = invoke(["eval", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "not an experiment run folder (no config.json)" in output
