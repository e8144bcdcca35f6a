"""`vadkit train METHOD --dataset ...` on tiny public releases in their real formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from test_train_datasets_files import (
    AUDIO_DIM,
    UCF_TRAIN,
    frames,
    ucf_rtfm_release,
    xd_per_crop_release,
)
from tiny_methods import trained_methods
from vadkit.cli.app import app

SHORT = ["--steps", "2", "--batch-size", "1", "--eval-every", "1"]


def invoke(arguments: list[str]) -> tuple[Result, str]:
    """Run ``vadkit`` with ``arguments``; the result and its output with whitespace runs collapsed."""
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "400"})
    return result, " ".join(result.output.split())


def ucf_arguments(release: dict[str, Any]) -> list[str]:
    """The options reading the UCF-Crime RTFM release of the README (both folders under one root)."""
    return [
        "--dataset",
        "ucf-crime",
        "--feature-root",
        release["feature_root"],
        "--keep-parts",
        "2",
        "--train-list",
        release["train_list"],
        "--test-list",
        release["test_list"],
        "--gt",
        release["gt"],
        "--no-check-counts",
    ]


def method_settings(config: dict[str, Any]) -> list[str]:
    return [arg for key, value in config.items() for arg in ("--set", f"{key}={value}")]


@pytest.mark.parametrize("method", trained_methods())
def test_every_method_trains_on_ucf_rtfm_features(
    method: str, method_config: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    tiny = method_config(method)
    release = ucf_rtfm_release(tmp_path / "data")
    out = tmp_path / "run"
    arguments = [
        "train",
        method,
        "--out",
        str(out),
        *ucf_arguments(release),
        *SHORT,
        *method_settings(tiny),
    ]
    result, output = invoke([*arguments, "--lr", "0.0005"])
    assert result.exit_code == 0, result.output
    assert f"{method} on ucf-crime: test, 1 seed(s)" in output and "auc_micro" in output
    assert "metrics.json" in output and "TEST" not in output
    config = json.loads((out / "config.json").read_text())
    assert (config["dataset"], config["protocol"], config["layout"], config["keep_parts"]) == (
        "ucf-crime",
        "ucf-crime",
        "rtfm",
        2,
    )
    assert config["lr"] == 0.0005 and config["check_counts"] is False
    assert config["method_config"] == {**tiny, **config["method_config"]}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["selection"]["on"] == "validation"
    for kind in ("last", "selected"):
        scores = out / "seed-0" / f"scores-{kind}"
        assert np.load(scores / "Arson011_x264.npy").shape == (6,)
        assert metrics["per_seed"]["0"][kind]["num_frames"] == sum(frames(t) for t in (5, 6, 4, 5))


def test_hlnet_on_xd_violence_with_audio(tmp_path: Path) -> None:
    release = xd_per_crop_release(tmp_path / "data")
    arguments = ["train", "hlnet", "--out", str(tmp_path / "run"), "--dataset", "xd-violence"]
    arguments += ["--feature-root", release["feature_root"], "--layout", "per-crop"]
    arguments += ["--train-list", release["train_list"], "--test-list", release["test_list"]]
    arguments += ["--train-audio-list", release["train_audio_list"]]
    arguments += ["--test-audio-list", release["test_audio_list"], "--gt", release["gt"]]
    arguments += [
        "--gt-option",
        "length=snippets",
        "--gt-option",
        "snippet_counts=scores",
        "--no-check-counts",
    ]
    result, output = invoke([*arguments, *SHORT])
    assert result.exit_code == 0, result.output
    assert "hlnet on xd-violence" in output and "ap_pr_trapz" in output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["method_config"]["audio_dim"] == AUDIO_DIM
    assert config["gt_options"] == {"length": "snippets", "snippet_counts": "scores"}
    assert config["recipe"] == "reference"  # shuffled crop rows with their audio, XDVioDet's schedule


def test_select_on_test_and_feature_norm_are_reported(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path / "data")
    out = tmp_path / "run"
    arguments = ["train", "mil", "--out", str(out), *ucf_arguments(release), *SHORT]
    result, output = invoke([*arguments, "--select-on-test", "--feature-norm", "standardize"])
    assert result.exit_code == 0, result.output
    assert "checkpoints selected on the TEST set" in output and "optimistic" in output
    metrics = json.loads((out / "metrics.json").read_text())
    assert (
        metrics["selection"]["on"] == "test" and metrics["selection"]["test_set_used_for_selection"] is True
    )
    assert metrics["feature_norm"] == "standardize" and (out / "seed-0" / "feature_norm.npz").is_file()
    info = json.loads(next((out / "seed-0" / "checkpoints").glob("step-*/checkpoint.json")).read_text())
    assert info["data"]["train"]["videos"] == sorted(UCF_TRAIN)


def test_missing_list_exits_1_naming_the_file(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path / "data")
    release["train_list"] = str(tmp_path / "data" / "ucf-i3d-typo.list")
    result, output = invoke(["train", "mil", "--out", str(tmp_path / "run"), *ucf_arguments(release), *SHORT])
    assert result.exit_code == 1
    assert "ucf-i3d-typo.list: file not found" in output


def test_length_mismatch_exits_1_naming_the_video(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path / "data")
    annotation = Path(release["gt"])
    annotation.write_text(
        annotation.read_text().replace(f"Abuse028_x264.mp4 {frames(5)} ", "Abuse028_x264.mp4 9 ")
    )
    result, output = invoke(["train", "mil", "--out", str(tmp_path / "run"), *ucf_arguments(release), *SHORT])
    assert result.exit_code == 1
    assert "Abuse028_x264 has T=5 for 9 frames" in output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--layout", "c3d"], "unknown layout 'c3d'"),
        (["--feature-norm", "zscore"], "feature_norm must be one of none, standardize"),
        (["--data", "somewhere"], "does not use data_root"),
        (["--protocol", "xd-violence"], "protocol xd-violence evaluates xd_violence"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, extra: list[str], message: str) -> None:
    release = ucf_rtfm_release(tmp_path / "data")
    result, output = invoke(["train", "mil", "--out", str(tmp_path), *ucf_arguments(release), *extra])
    assert result.exit_code == 2
    assert message in output


def test_public_dataset_without_annotation_exits_2(tmp_path: Path) -> None:
    result, output = invoke(["train", "mil", "--out", str(tmp_path), "--dataset", "ucf-crime"])
    assert result.exit_code == 2
    assert "dataset ucf-crime needs feature_root, train_list, test_list, gt" in output
