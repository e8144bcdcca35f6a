"""``vadkit predict`` end to end on a tiny demo run: outputs and schema, scores equal to the run's own test
scores, events recomputed independently (scipy), explanations, bad videos, overlay, calibration reuse."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d
from typer.testing import CliRunner

from vadkit.cli.app import app
from vadkit.demo import DemoSettings, run_demo
from vadkit.io import open_video
from vadkit.predict import SCHEMA, load_detector, read_prediction
from vadkit.predict.calibration import run_threshold
from vadkit.report.overlay import STRIP_HEIGHT

runner = CliRunner()
FPS = 15.0  # the synthetic benchmark's frame rate


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, DemoSettings(preset="tiny", steps=6, workers=1), progress=False)
    return out


def _test_videos(demo: Path) -> dict[str, Path]:
    lines = (demo / "data" / "Anomaly_Test.txt").read_text().split()
    return {Path(line).stem: demo / "data" / "videos" / line for line in lines}


def _frame_counts(demo: Path) -> dict[str, int]:
    return {
        name: len(np.load(demo / "data" / "test_frame_mask" / f"{name}.npy")) for name in _test_videos(demo)
    }


def test_demo_predictions_follow_the_schema(demo: Path) -> None:
    summary = json.loads((demo / "predictions" / "predictions.json").read_text())
    assert summary["schema"] == SCHEMA and summary["failures"] == {}
    counts = _frame_counts(demo)
    assert set(summary["videos"]) == set(counts)
    for name, frames in counts.items():
        document = read_prediction(demo / "predictions" / summary["videos"][name])
        assert document["video"]["name"] == name and document["video"]["num_frames"] == frames
        assert document["video"]["fps"] == FPS
        assert document["model"]["method"] == "rtfm" and document["model"]["checkpoint"] == "selected"
        assert document["threshold"]["source"] == "calibrated"
        assert document["summary"]["events"] == len(document["events"])
        scores = np.load(demo / "predictions" / name / "scores.npy")
        assert scores.shape == (frames,) and scores.dtype == np.float32
        with open(demo / "predictions" / name / "scores.csv", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == ["frame", "time_s", "score"] and len(rows) == frames + 1
        assert float(rows[-1][1]) == pytest.approx((frames - 1) / FPS, abs=1e-6)
        np.testing.assert_allclose([float(r[2]) for r in rows[1:]], scores, atol=1e-6)
    html = (demo / "report.html").read_text()
    assert "Detected events (test split" in html and "Explanations against the test split" in html


def test_predicted_scores_equal_the_runs_own_test_scores(demo: Path) -> None:
    """Re-extracting each test video and scoring it gives what training's evaluation scored from the feature
    files: one 16-frame snippet score repeated over its frames."""
    for name, frames in _frame_counts(demo).items():
        snippets = np.load(demo / "run" / "seed-0" / "scores-selected" / f"{name}.npy")
        expected = np.repeat(snippets, 16)[:frames]
        np.testing.assert_allclose(np.load(demo / "predictions" / name / "scores.npy"), expected, atol=1e-6)


def _intervals(scores: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """The default event pipeline restated: 1 s moving average (15 frames, borders repeated), frames >=
    threshold, runs less than 2 s (30 frames) apart merged, runs shorter than 1 s (15 frames) dropped."""
    smoothed = uniform_filter1d(scores.astype(np.float64), 15, mode="nearest")
    above = np.flatnonzero(smoothed >= threshold)
    runs: list[list[int]] = []
    for frame in above.tolist():
        if runs and frame - runs[-1][1] < 30 + 1:
            runs[-1][1] = frame
        else:
            runs.append([frame, frame])
    return [(start, end + 1) for start, end in runs if end + 1 - start >= 15]


@pytest.fixture(scope="module")
def given(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """``vadkit predict`` with a threshold halfway through the demo's test scores, and an overlay."""
    scores = np.concatenate([np.load(p) for p in (demo / "predictions").glob("*/scores.npy")])
    threshold = float(np.round((scores.min() + scores.max()) / 2, 4))
    out = tmp_path_factory.mktemp("given")
    videos = [str(path) for path in _test_videos(demo).values()]
    bad = out / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    result = runner.invoke(
        app,
        ["predict", *videos, str(bad), "--model", str(demo / "run"), "--out", str(out / "pred"),
         "--threshold", str(threshold), "--overlay", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "broken" in result.output
    return out / "pred", threshold


def test_events_are_the_thresholded_smoothed_scores(given: tuple[Path, float]) -> None:
    pred, threshold = given
    total = 0
    for events_file in pred.glob("*/events.json"):
        document = read_prediction(events_file)
        assert document["threshold"] == {"value": threshold, "source": "given"}
        scores = np.load(events_file.parent / "scores.npy")
        found = [(e["start_frame"], e["end_frame"]) for e in document["events"]]
        assert found == _intervals(scores, threshold)
        total += len(found)
    assert total > 0  # the threshold is inside the score range: something is found


def test_events_carry_evidence_and_a_composed_description(given: tuple[Path, float]) -> None:
    pred, _ = given
    events = [e for f in pred.glob("*/events.json") for e in read_prediction(f)["events"]]
    assert events
    for event in events:
        evidence = event["evidence"]
        assert evidence["motion"]["video"] == event["video"]
        assert evidence["summary"] and "sd" in evidence["summary"]
        assert event["description"].endswith("[composed from motion evidence; no vision-language model]")
        if evidence["box"] is not None:
            x0, y0, x1, y1 = evidence["box"]
            assert 0 <= x0 < x1 <= 256 and 0 <= y0 < y1 <= 192
        assert event["start_frame"] <= event["peak_frame"] < event["end_frame"]


def test_a_bad_video_is_reported_and_the_others_are_written(given: tuple[Path, float], demo: Path) -> None:
    pred, _ = given
    summary = json.loads((pred / "predictions.json").read_text())
    assert list(summary["failures"]) == ["broken"] and "broken.mp4" in summary["failures"]["broken"]
    assert set(summary["videos"]) == set(_frame_counts(demo))
    assert "broken" in (pred / "report.html").read_text()


def test_overlay_has_every_frame_and_the_score_strip(given: tuple[Path, float], demo: Path) -> None:
    pred, _ = given
    name, frames = next(iter(_frame_counts(demo).items()))
    with open_video(pred / name / "overlay.mp4") as reader:
        assert (reader.info.width, reader.info.height) == (256, 192 + STRIP_HEIGHT)
        assert reader.info.num_frames == frames


def test_the_calibrated_threshold_is_stored_with_the_run_and_reused(demo: Path) -> None:
    detector = load_detector(demo / "run")
    stored = sorted((demo / "run" / "seed-0").glob("event-threshold-selected-*.json"))
    assert len(stored) == 1  # written by the demo's prediction
    calibration = run_threshold(detector, 0.05)
    assert sorted((demo / "run" / "seed-0").glob("event-threshold-selected-*.json")) == stored
    document = read_prediction(next((demo / "predictions").glob("*/events.json")))
    assert document["threshold"]["value"] == calibration.threshold
    assert calibration.achieved_far <= 0.05


def test_predict_refuses_a_folder_that_is_not_a_run(tmp_path: Path, demo: Path) -> None:
    video = next(iter(_test_videos(demo).values()))
    out = str(tmp_path / "out")
    result = runner.invoke(
        app, ["predict", str(video), "--model", str(tmp_path), "--out", out, "--no-progress"]
    )
    assert result.exit_code == 1 and "not a vadkit run folder" in " ".join(result.output.split())


def test_features_of_another_size_are_refused_by_name(demo: Path, tmp_path: Path) -> None:
    video = next(iter(_test_videos(demo).values()))
    result = runner.invoke(
        app,
        ["predict", str(video), "--model", str(demo / "run"), "--extractor", "motion", "--out", str(tmp_path),
         "--set", "objects=false", "--threshold", "0.5", "--no-progress"],
        env={"COLUMNS": "400"},
    )  # fmt: skip
    assert result.exit_code == 0  # a bad video (here: wrong features) is reported and skipped
    assert "features of size 272, the model was trained on size 315" in " ".join(result.output.split())
