"""The demo job end to end on the tiny preset: files, metrics recomputed with scikit-learn, reuse on rerun."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from vadkit.cli.app import app

runner = CliRunner()
ARGS = ["--preset", "tiny", "--steps", "6", "--workers", "1"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out), *ARGS])
    assert result.exit_code == 0, result.output
    return out, result.output


def _test_frames(data: Path) -> dict[str, np.ndarray]:
    """Frame labels of the test videos (named by the UCF-style annotation), read straight from the
    ShanghaiTech-style mask files."""
    lines = (data / "Temporal_Anomaly_Annotation_Test.txt").read_text().splitlines()
    names = sorted(Path(line.split()[0]).stem for line in lines)
    return {name: np.load(data / "test_frame_mask" / f"{name}.npy") for name in names}


def test_demo_writes_every_stage(demo_dir: tuple[Path, str]) -> None:
    out, output = demo_dir
    words = " ".join(output.split())
    assert "report:" in words and "rtfm" in words and "AUC per anomaly class" in words
    assert (out / "data" / "metadata.json").is_file()
    assert (out / "features" / "manifest.json").is_file()
    metrics = json.loads((out / "run" / "metrics.json").read_text())
    assert metrics["selection"]["test_set_used_for_selection"] is False
    html = (out / "report.html").read_text()
    for text in ("data:image/png;base64,", "auc_micro", "Checkpoints (test split)", "AUC per anomaly class"):
        assert text in html


def test_demo_metrics_and_per_class_auc_match_sklearn(demo_dir: tuple[Path, str]) -> None:
    out, _ = demo_dir
    labels = _test_frames(out / "data")
    scores_dir = out / "run" / "seed-0" / "scores-selected"
    frames = {
        name: np.repeat(np.load(scores_dir / f"{name}.npy"), 16)[: truth.size]
        for name, truth in labels.items()
    }
    expected = roc_auc_score(np.concatenate(list(labels.values())), np.concatenate(list(frames.values())))
    metrics = json.loads((out / "run" / "metrics.json").read_text())
    assert metrics["per_seed"]["0"]["selected"]["metrics"]["auc_micro"] == pytest.approx(expected, abs=1e-12)
    # per class: the class's abnormal frames (from the UCF-style annotation) against all normal frames
    normal = np.concatenate([frames[n][labels[n] == 0] for n in labels])
    by_class: dict[str, list[np.ndarray]] = {}
    for line in (out / "data" / "Temporal_Anomaly_Annotation_Test.txt").read_text().splitlines():
        path, _, cls, *bounds = line.split()
        name = Path(path).stem
        for start, end in zip(bounds[::2], bounds[1::2], strict=True):
            if int(start) >= 0:
                by_class.setdefault(cls, []).append(frames[name][int(start) : int(end)])
    html = (out / "report.html").read_text()
    for cls, parts in by_class.items():
        positive = np.concatenate(parts)
        value = roc_auc_score(np.r_[np.zeros(normal.size), np.ones(positive.size)], np.r_[normal, positive])
        assert f"<td>{cls}</td><td>{value:.4f}</td>" in html


def test_demo_rerun_reuses_its_work(demo_dir: tuple[Path, str]) -> None:
    out, _ = demo_dir
    checkpoint = next((out / "run" / "seed-0" / "checkpoints").glob("step-*"))
    features = sorted((out / "features").rglob("*.npy"))
    before = [checkpoint.stat().st_mtime_ns, *(p.stat().st_mtime_ns for p in features)]
    result = runner.invoke(app, ["demo", "--out", str(out), *ARGS])
    assert result.exit_code == 0, result.output
    assert [checkpoint.stat().st_mtime_ns, *(p.stat().st_mtime_ns for p in features)] == before
