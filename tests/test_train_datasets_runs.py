"""Experiments on tiny public releases through the Python API: every method on every layout, selection on the
test set recorded, evaluate_run reproducing the runner's numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from test_train_datasets_files import (
    AUDIO_DIM,
    DIM,
    RTFM_METHOD_CONFIGS,
    UCF_TRAIN,
    experiment_fields,
    frames,
    shanghaitech_release,
    ucf_rtfm_release,
    ucf_vadclip_release,
    xd_per_crop_release,
)
from tiny_methods import trained_methods
from vadkit.errors import ValidationError
from vadkit.methods import METHODS
from vadkit.train import MAP_METRIC_NAMES, ExperimentConfig, evaluate_run, read_info, run_experiment

RUN = {"steps": 2, "batch_size": 1, "eval_every": 1}
"""Two steps, each validated (so selection has two candidates)."""
RELEASES = {
    "ucf-rtfm": (ucf_rtfm_release, "rtfm"),
    "ucf-vadclip": (ucf_vadclip_release, "vadclip"),
    "xd-per-crop-audio": (xd_per_crop_release, "per-crop"),
    "shanghaitech-rtfm": (shanghaitech_release, "rtfm"),
}
"""Release builders and the layout inferred from their training lists."""


def _config(method: str, release: dict[str, Any], **changes: Any) -> ExperimentConfig:
    values = {**experiment_fields(release), **RUN, "method_config": RTFM_METHOD_CONFIGS[method], **changes}
    return ExperimentConfig(method, **values)


@pytest.mark.parametrize("layout", sorted(RELEASES))
@pytest.mark.parametrize("method", trained_methods())
def test_every_method_on_every_layout(
    method: str, layout: str, method_config: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    build, inferred = RELEASES[layout]
    experiment = _config(method, build(tmp_path / "data"), method_config=method_config(method))
    if METHODS.get(method).class_aware and layout.startswith("shanghaitech"):
        with pytest.raises(
            ValidationError, match="is class-aware and dataset shanghaitech-weak has no classes"
        ):
            run_experiment(experiment, tmp_path / "run", progress=False)
        return
    result = run_experiment(experiment, tmp_path / "run", progress=False)
    config = json.loads(result.config_path.read_text())
    assert config["layout"] == inferred
    # VadCLIP takes no feature_dim: its feature size is its CLIP's projection size
    assert config["method_config"].get("feature_dim") == (None if method.startswith("vadclip") else DIM)
    if method == "hlnet":  # the audio-visual model uses the audio where the release has it
        assert config["method_config"]["audio_dim"] == (AUDIO_DIM if "audio" in layout else 0)
    assert (
        config["protocol"]
        == {"ucf": "ucf-crime", "xd": "xd-violence", "shanghaitech": "shanghaitech-weak"}[
            layout.split("-")[0]
        ]
    )
    metrics = json.loads(result.metrics_path.read_text())
    headline = metrics["headline_metric"]
    for kind in ("last", "selected"):
        value = metrics["per_seed"]["0"][kind]["metrics"][headline]
        assert value is not None and 0.0 <= value <= 1.0
        assert metrics["per_seed"]["0"][kind]["settings"]["test_set_used_for_selection"] is False
    assert metrics["selection"]["on"] == "validation"
    assert metrics["selection"]["test_set_used_for_selection"] is False
    assert (set(MAP_METRIC_NAMES) <= set(metrics["metric_names"])) == METHODS.get(method).class_aware


@pytest.fixture(scope="module")
def ucf_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ucf")
    release = ucf_rtfm_release(root / "data")
    return release, run_experiment(_config("mil", release, seeds=(0, 1)), root / "run", progress=False)


def test_metrics_equal_sklearn_on_the_saved_scores(ucf_run) -> None:
    _, result = ucf_run
    metrics = json.loads(result.metrics_path.read_text())
    # ground truth by hand: UR-DMU frame counts, RTFM convention [s, e] inclusive
    truth = {
        "Abuse028_x264": (frames(5), 20, 51),
        "Arson011_x264": (frames(6), 10, 61),
        "Normal_Videos_003_x264": (frames(4), 0, 0),
        "Normal_Videos_010_x264": (frames(5), 0, 0),
    }
    for seed in ("0", "1"):
        for kind in ("last", "selected"):
            labels, scores = [], []
            for name, (n, start, stop) in truth.items():
                label = np.zeros(n)
                label[start:stop] = 1
                snippets = np.load(result.run_dir / f"seed-{seed}" / f"scores-{kind}" / f"{name}.npy")
                labels.append(label)
                scores.append(np.repeat(snippets.astype(np.float64), 16)[:n])
            expected = roc_auc_score(np.concatenate(labels), np.concatenate(scores))
            assert metrics["per_seed"][seed][kind]["metrics"]["auc_micro"] == pytest.approx(
                expected, abs=1e-12
            )


def test_evaluate_run_reproduces_the_runner_exactly(ucf_run, tmp_path: Path) -> None:
    _, result = ucf_run
    evaluation = evaluate_run(result.run_dir, out_dir=tmp_path)
    assert evaluation.aggregate == result.aggregate
    for seed in result.seeds:
        for kind in ("last", "selected"):
            assert evaluation.reports[seed.seed][kind].metrics == seed.reports[kind].metrics
    written = json.loads((tmp_path / "metrics.json").read_text())
    recorded = json.loads(result.metrics_path.read_text())
    assert written["aggregate"] == recorded["aggregate"]
    assert written["selection"] == recorded["selection"]
    for seed in ("0", "1"):
        for kind in ("last", "selected"):
            assert written["per_seed"][seed][kind]["metrics"] == recorded["per_seed"][seed][kind]["metrics"]


def test_evaluate_run_errors(ucf_run, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"not an experiment run folder \(no config\.json\)"):
        evaluate_run(tmp_path)
    _, result = ucf_run
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("config.json", "metrics.json"):
        (copy / name).write_text((result.run_dir / name).read_text())
    with pytest.raises(ValidationError, match=r"score folder\(s\) missing: .*seed-0.scores-last"):
        evaluate_run(copy)


def test_select_on_test_fits_every_video_and_is_recorded(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path / "data")
    result = run_experiment(
        _config("mil", release, select_on_test=True, lr=0.002), tmp_path / "run", progress=False
    )
    seed = result.seeds[0]
    assert seed.train.selected_on == "test"
    assert all(record.test is not None and record.validation is None for record in seed.train.history)
    info = read_info(seed.train.selected_checkpoint)
    assert info["selection"]["on"] == "test" and info["data"]["validation"] is None
    assert info["data"]["train"]["videos"] == sorted(UCF_TRAIN)  # no validation split carved
    assert info["train_config"]["lr"] == 0.002 and info["train_config"]["select_on_test"] is True
    metrics = json.loads(result.metrics_path.read_text())
    assert (
        metrics["selection"]["on"] == "test" and metrics["selection"]["test_set_used_for_selection"] is True
    )
    assert metrics["selection"]["criterion"] == "test auc_micro"
    settings = metrics["per_seed"]["0"]
    assert settings["selected"]["settings"]["test_set_used_for_selection"] is True
    assert settings["last"]["settings"]["test_set_used_for_selection"] is False
    # the selected step is the one whose test metric was highest (first of equals)
    values = [record.test for record in seed.train.history]
    assert seed.train.selected_step == seed.train.history[values.index(max(values))].step


def test_config_json_round_trip_and_old_synthetic_configs_load(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path)
    config = _config("rtfm", release, gt_options={"length": "frames"}, feature_norm="standardize")
    assert ExperimentConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.protocol == "ucf-crime"
    old = {"method": "mil", "data_root": "d", "feature_dir": "f", "seeds": [0], "protocol": "synthetic"}
    loaded = ExperimentConfig.from_dict(old)
    assert (loaded.dataset, loaded.feature_norm, loaded.select_on_test, loaded.lr) == (
        "synthetic",
        "none",
        False,
        None,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"protocol": "synthetic"}, "protocol synthetic evaluates synthetic, not the dataset ucf-crime"),
        ({"feature_norm": "zscore"}, "feature_norm must be one of none, standardize"),
        ({"lr": -1.0}, "lr must be a finite positive number"),
        ({"select_on_test": "yes"}, "select_on_test must be a bool"),
        ({"layout": "sultani"}, "unknown layout"),
        ({"data_root": "d"}, "does not use data_root"),
    ],
)
def test_config_errors(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _config("mil", ucf_rtfm_release(tmp_path), **changes)
