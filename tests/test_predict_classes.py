"""``vadkit predict`` with a class-aware, training-free model end to end: tiny random CLIP -> ``clip``
features of the synthetic benchmark -> a ``clip-zeroshot`` run -> predictions whose events carry a class,
whose CSV carries the class probabilities, and whose anomaly score is ``1 - p(normal)`` frame by frame."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from vadkit.features import run_extraction
from vadkit.predict import PredictSettings, load_detector, read_prediction, run_prediction
from vadkit.train.experiment import ExperimentConfig, run_experiment


@pytest.fixture(scope="module")
def predicted(
    tiny_motion_dataset: tuple[Path, Path], tiny_clip_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    data, _ = tiny_motion_dataset
    root = tmp_path_factory.mktemp("clip-predict")
    model = tiny_clip_model
    run_extraction(data / "videos", root / "features", "clip", config={"model": str(model)}, progress=False)
    config = ExperimentConfig(
        "clip-zeroshot", str(data), str(root / "features"), {"clip_model": str(model)}, seeds=(0,), steps=1
    )
    run_experiment(config, root / "run", progress=False)
    lines = (data / "Anomaly_Test.txt").read_text().split()
    videos = [data / "videos" / line for line in lines[:3]]
    detector = load_detector(root / "run")
    assert detector.extractor.name == "clip" and detector.classes is not None
    scores = np.concatenate(
        [detector.snippet_scores(np.load(root / "features" / f"{line[:-4]}.npy")) for line in lines[:3]]
    )
    settings = PredictSettings(threshold=float(np.median(scores)))
    run_prediction(videos, detector, root / "pred", settings, progress=False)
    return root / "pred"


def test_events_carry_the_most_probable_anomaly_class(predicted: Path) -> None:
    events = 0
    for events_file in predicted.glob("*/events.json"):
        document = read_prediction(events_file)
        classes = document["model"]["classes"]
        assert classes[0] == "Normal" and len(classes) == 9
        with open(events_file.parent / "scores.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert list(rows[0]) == ["frame", "time_s", "score", *(f"p_{name}" for name in classes)]
        table = np.array([[float(row[f"p_{name}"]) for name in classes] for row in rows])
        score = np.array([float(row["score"]) for row in rows])
        np.testing.assert_allclose(table.sum(axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(score, 1.0 - table[:, 0], atol=1e-5)  # clip-zeroshot: 1 - p(normal)
        for event in document["events"]:
            mean = table[event["start_frame"] : event["end_frame"], 1:].mean(axis=0)
            assert event["class_name"] == classes[1 + int(np.argmax(mean))]
            assert event["class_score"] == pytest.approx(float(mean.max()), abs=1e-5)
            # no motion features, no VLM: the description is composed from the time span and the class
            assert (
                f'suspected to be "{event["class_name"]}"' in event["description"]
                or event["class_name"] in (event["description"])
            )
            assert "no vision-language model" in event["description"]
            events += 1
    assert events > 0


def test_the_run_records_no_training_and_no_selection(predicted: Path) -> None:
    metrics = json.loads((predicted.parent / "run" / "metrics.json").read_text())
    assert metrics["selection"]["on"] == "none"
    assert "map@iou_mean" in metrics["metric_names"]
