"""The CLI verbs end to end, results checked against independent computations (the demo: test_demo.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

import vadkit
from vadkit.cli.app import app

runner = CliRunner()


def test_info_lists_versions_and_extras() -> None:
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0, result.output
    for word in ("vadkit", vadkit.__version__, "torch", "PyAV", "OpenCV", "extra: vlm"):
        assert word in result.output


def test_eval_verb_writes_metrics_json(tmp_path: Path) -> None:
    masks = tmp_path / "test_frame_mask"
    masks.mkdir()
    np.save(masks / "01_0014.npy", np.array([0, 0, 1, 1, 1, 0], dtype=np.uint8))
    np.save(masks / "01_0015.npy", np.array([1, 1, 0, 0], dtype=np.uint8))
    scores = tmp_path / "scores"
    scores.mkdir()
    np.save(scores / "01_0014.npy", np.array([0.1, 0.2, 0.9, 0.8, 0.7, 0.3]))
    np.save(scores / "01_0015.npy", np.array([0.6, 0.5, 0.2, 0.4]))
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["eval", "-p", "shanghaitech", "--scores", str(scores), "--gt", str(masks), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    labels = [0, 0, 1, 1, 1, 0, 1, 1, 0, 0]
    values = [0.1, 0.2, 0.9, 0.8, 0.7, 0.3, 0.6, 0.5, 0.2, 0.4]
    assert metrics["metrics"]["auc_micro"] == pytest.approx(roc_auc_score(labels, values), abs=1e-12)
    assert metrics["num_frames"] == 10 and "auc_micro (headline)" in result.output


def test_eval_verb_rejects_malformed_gt_option(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["eval", "-p", "ped2", "--scores", str(tmp_path), "--gt", str(tmp_path), "--gt-option", "oops"]
    )
    assert result.exit_code != 0
    assert "KEY=VALUE" in result.output


def test_eval_verb_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    masks = tmp_path / "test_frame_mask"
    masks.mkdir()
    args = ["eval", "-p", "shanghaitech-weak", "--scores", str(tmp_path), "--gt", str(masks)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    words = " ".join(result.output.split())
    assert "error: protocol shanghaitech-weak needs ground-truth option(s) list_file" in words
    assert "Traceback" not in result.output


def test_synth_verb_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", str(tmp_path / "out"), "--preset", "huge"])
    assert result.exit_code == 1
    assert "error: unknown synth preset 'huge'" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_synth_then_extract_through_the_cli(tmp_path: Path) -> None:
    data, features = tmp_path / "synthetic", tmp_path / "features"
    result = runner.invoke(
        app, ["synth", str(data), "--preset", "tiny", "--seed", "1", "--set", "classes=[Running]"]
    )
    assert result.exit_code == 0, result.output
    card = (data / "README.md").read_text()
    assert "preset `tiny`, seed 1" in card
    result = runner.invoke(app, ["extract", str(data / "videos"), "--out", str(features), "-e", "motion"])
    assert result.exit_code == 0, result.output
    test_videos = [
        line.strip() for line in (data / "Anomaly_Test.txt").read_text().splitlines() if line.strip()
    ]
    assert {line.split("/")[0] for line in test_videos} <= {"Running", "Normal"}
    truth = vadkit.build_ground_truth("synthetic", data, split="test")
    for line in test_videos:
        stem = line[: -len(".mp4")]
        feats = np.load(features / f"{stem}.npy")
        # one 315-d row (16 cells x 17 + 43 object features) per 16-frame snippet, T = ceil(n / 16)
        assert feats.shape == (-(-truth[stem.split("/")[1]].num_frames // 16), 315)
    manifest = json.loads((features / "manifest.json").read_text())
    assert json.dumps(manifest).count('"status": "ok"') >= len(test_videos)
