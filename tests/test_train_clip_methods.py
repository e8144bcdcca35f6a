"""The trained CLIP-based class-aware methods (VadCLIP, TPWNG) end to end: run_experiment on a tiny synthetic
dataset with random features in the layout of the ``clip`` extractor (D = the tiny CLIP's projection size),
class-score files and ``map@iou``, evaluate_run reproducing the run, and `vadkit train` once."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tiny_methods import TINY_CLIP_DIM, TINY_SIZES
from vadkit.cli.train_cmd import train as train_command
from vadkit.features.manifest import VideoRecord
from vadkit.features.store import FeatureStore
from vadkit.synth import generate
from vadkit.train import MAP_METRIC_NAMES, evaluate_run
from vadkit.train.experiment import ExperimentConfig, ExperimentResult, run_experiment

SNIPPET = {"length": 16, "stride": 16, "rounding": "ceil", "crops": 1}
"""The ``clip`` extractor's snippets: 16 frames, one crop."""
CLASSES = ("Running", "Fighting", "Falling")
"""The anomaly classes dealt to the generated videos (the dataset's class list keeps all nine)."""
RUN = {"seeds": (0,), "steps": 3, "batch_size": 1, "eval_every": 2}


def write_random_features(data: Path, out: Path, seed: int = 0) -> Path:
    """Random ``(T, TINY_CLIP_DIM)`` features of every video of a synthetic dataset (``T = ceil(frames /
    16)``), written as ``vadkit extract`` writes the ``clip`` extractor's: ``<Class>/<name>.npy``, record."""
    rng = np.random.default_rng(seed)
    store = FeatureStore(out)
    for name, video in sorted(json.loads((data / "metadata.json").read_text())["videos"].items()):
        video_id = f"{video['label']}/{name}"
        features = rng.normal(size=(math.ceil(video["num_frames"] / 16), TINY_CLIP_DIM)).astype(np.float32)
        store.write_array(video_id, features)
        record = VideoRecord(
            video=video_id,
            input=str(data / video["path"]),
            extractor="clip",
            config={"model": "tiny-clip", "snippet": SNIPPET},
            config_hash="tiny-clip",
            snippet=SNIPPET,
            status="ok",
            output=f"{video_id}.npy",
            shape=features.shape,
            dtype="float32",
        )
        store.write_record(record)
    return out


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small synthetic dataset (2-second videos of three classes) with random CLIP-layout features."""
    root = tmp_path_factory.mktemp("synthetic")
    data = root / "data"
    generate(
        data, preset="tiny", seed=1, classes=CLASSES, min_length_s=2.0, max_length_s=2.0, train_abnormal=4
    )
    return data, write_random_features(data, root / "clip-features")


def _config(method: str, bench: tuple[Path, Path], clip: Path) -> ExperimentConfig:
    method_config = {"clip_model": str(clip), **TINY_SIZES[method]}
    return ExperimentConfig(method, str(bench[0]), str(bench[1]), method_config=method_config, **RUN)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=["tpwng", "vadclip", "vadclip_xd"])
def experiment(
    request: pytest.FixtureRequest,
    bench: tuple[Path, Path],
    tiny_clip_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> ExperimentResult:
    method = request.param
    return run_experiment(
        _config(method, bench, tiny_clip_model), tmp_path_factory.mktemp("runs") / method, progress=False
    )


def test_the_run_reports_map_at_iou_from_class_score_files(
    experiment: ExperimentResult, bench: tuple[Path, Path]
) -> None:
    metrics = json.loads(experiment.metrics_path.read_text())
    classes = experiment.config.method_config["classes"]
    assert classes == json.loads((bench[0] / "metadata.json").read_text())["classes"]  # the dataset's 9
    assert set(MAP_METRIC_NAMES) <= set(metrics["metric_names"])
    for kind in ("last", "selected"):
        values = metrics["per_seed"]["0"][kind]["metrics"]
        assert all(values[name] is not None and 0.0 <= values[name] <= 1.0 for name in MAP_METRIC_NAMES)
    assert metrics["per_seed"]["0"]["last_step"] == RUN["steps"]
    seed = experiment.seeds[0]
    for kind in ("last", "selected"):
        files = sorted(seed.class_score_dirs[kind].glob("*.npy"))
        assert [f.name for f in files] == sorted(f.name for f in seed.score_dirs[kind].glob("*.npy"))
        for file in files:
            probabilities = np.load(file)
            assert probabilities.dtype == np.float32
            assert probabilities.shape == (np.load(seed.score_dirs[kind] / file.name).shape[0], len(classes))
            np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_evaluate_run_reproduces_the_run(experiment: ExperimentResult, tmp_path: Path) -> None:
    evaluation = evaluate_run(experiment.run_dir, out_dir=tmp_path)
    np.testing.assert_equal(evaluation.aggregate, experiment.aggregate)
    assert evaluation.reports[0]["last"].metrics.keys() >= set(MAP_METRIC_NAMES)


def test_vadkit_train_runs_vadclip(bench: tuple[Path, Path], tiny_clip_model: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(train_command)
    arguments = ["vadclip", "--data", str(bench[0]), "--features", str(bench[1]), "--out", str(tmp_path)]
    arguments += [
        "--steps",
        "2",
        "--batch-size",
        "1",
        "--eval-every",
        "1",
        "--set",
        f"clip_model={tiny_clip_model}",
    ]
    result = CliRunner().invoke(app, arguments, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "map@iou_mean" in result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["method"] == "vadclip" and "map@iou0.5" in metrics["metric_names"]
    assert len(list((tmp_path / "seed-0" / "class-scores-last").glob("*.npy"))) == 10
