"""The demo job and the CLI verbs, end to end, with results checked against independent computations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

import vadkit
from vadkit.cli.app import app
from vadkit.demo import DEMO_CLIPS, NUM_FRAMES, render_clip, run_demo
from vadkit.io import open_video
from vadkit.types import GroundTruth

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert "report:" in words and "motion energy" in words
    return out


def test_demo_writes_videos_scores_metrics_and_report(demo_dir: Path) -> None:
    videos = sorted(p.stem for p in (demo_dir / "videos").glob("*.mp4"))
    assert videos == sorted(clip.name for clip in DEMO_CLIPS)
    for clip in DEMO_CLIPS:
        with open_video(demo_dir / "videos" / f"{clip.name}.mp4") as reader:
            assert reader.count_frames() == NUM_FRAMES
        # one score per 16-frame snippet, T = ceil(200 / 16) = 13
        assert np.load(demo_dir / "scores" / f"{clip.name}.npy").shape == (13,)
    html = (demo_dir / "report.html").read_text()
    assert "data:image/png;base64," in html and "auc_micro" in html


def test_demo_metrics_match_sklearn_on_its_own_files(demo_dir: Path) -> None:
    labels, scores = [], []
    for clip in DEMO_CLIPS:
        gt = GroundTruth.load(demo_dir / "gt" / clip.name)
        labels.append(gt.labels)
        scores.append(np.repeat(np.load(demo_dir / "scores" / f"{clip.name}.npy"), 16)[: gt.num_frames])
    metrics = json.loads((demo_dir / "metrics.json").read_text())["metrics"]
    expected = roc_auc_score(np.concatenate(labels), np.concatenate(scores))
    assert metrics["auc_micro"] == pytest.approx(expected, abs=1e-12)
    # the baseline separates running from walking on these clips
    assert metrics["auc_micro"] > 0.9


def test_demo_ground_truth_is_where_the_figure_runs(tmp_path: Path) -> None:
    clip = next(c for c in DEMO_CLIPS if c.anomaly is not None)
    frames = np.stack(list(render_clip(clip)))
    # the figure (grey level <= 40 + noise) is darker than the background (>= 80 - noise): follow its centroid
    dark = frames.mean(axis=3) < 60
    xs = np.array([np.nonzero(d)[1].mean() for d in dark])
    step = np.abs(np.diff(xs))
    start, end = clip.anomaly
    inside, outside = np.median(step[start : end - 1]), np.median(step[: start - 1])
    assert inside > 3 * outside
    result = run_demo(tmp_path)
    assert result.report.num_videos == len(DEMO_CLIPS)


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
        # one 272-d row per 16-frame snippet of the video, T = ceil(n / 16)
        assert feats.shape == (-(-truth[stem.split("/")[1]].num_frames // 16), 272)
    manifest = json.loads((features / "manifest.json").read_text())
    assert json.dumps(manifest).count('"status": "ok"') >= len(test_videos)
