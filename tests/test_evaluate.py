"""evaluate(): end to end on small hand-made ground truth and scores, expectations built independently."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from vadkit.errors import LengthMismatchError, ValidationError
from vadkit.eval import evaluate, get_protocol
from vadkit.types import EvalReport, FrameScores, GroundTruth


def labels_with(num_frames: int, *spans: tuple[int, int]) -> np.ndarray:
    labels = np.zeros(num_frames, dtype=np.uint8)
    for start, end in spans:
        labels[start:end] = 1
    return labels


@pytest.fixture
def weak_set() -> tuple[dict[str, GroundTruth], dict[str, np.ndarray]]:
    """Three abnormal and two normal videos; snippet scores (ceil and floor counts) and one frame-level."""
    rng = np.random.default_rng(11)
    ground_truth = {
        "Abuse028": GroundTruth("Abuse028", labels_with(40, (10, 30)), source="annotation.txt [s, e)"),
        "Arson011": GroundTruth(
            "Arson011", labels_with(37, (0, 5), (20, 37)), source="annotation.txt [s, e)"
        ),
        "Normal_003": GroundTruth("Normal_003", labels_with(50), source="annotation.txt [s, e)"),
        "Shooting002": GroundTruth("Shooting002", labels_with(20, (3, 9)), source="masks"),
        "Normal_010": GroundTruth("Normal_010", labels_with(33), source="masks"),
    }
    scores = {
        "Abuse028": rng.random(3),  # ceil(40/16)
        "Arson011": rng.random(2),  # floor(37/16)
        "Normal_003": rng.random(4),  # ceil(50/16)
        "Shooting002": rng.random(20),  # frame level
        "Normal_010": np.array([0.2, 0.7]),  # floor(33/16)
        "Unlisted": rng.random(5),
    }
    return ground_truth, scores


def by_hand(scores: np.ndarray, num_frames: int) -> np.ndarray:
    """Snippet scores repeated x16 and cut, or padded with the last score, to ``num_frames``."""
    if scores.size == num_frames:
        return scores
    repeated = np.repeat(scores, 16)[:num_frames]
    return np.concatenate([repeated, np.full(num_frames - repeated.size, scores[-1])])


def test_ucf_crime_end_to_end(weak_set: tuple[dict[str, GroundTruth], dict[str, np.ndarray]]) -> None:
    ground_truth, scores = weak_set
    report = evaluate("ucf-crime", ground_truth, scores)
    frames = {v: by_hand(scores[v], gt.num_frames) for v, gt in ground_truth.items()}
    all_labels = np.concatenate([gt.labels for gt in ground_truth.values()])
    all_scores = np.concatenate([frames[v] for v in ground_truth])
    abnormal = ["Abuse028", "Arson011", "Shooting002"]
    normal = ["Normal_003", "Normal_010"]
    per_video = {v: roc_auc_score(ground_truth[v].labels, frames[v]) for v in abnormal}
    normal_scores = np.concatenate([frames[v] for v in normal])

    assert report.protocol == "ucf-crime"
    assert report.num_videos == 5 and report.num_frames == 180
    assert report.metrics["auc_micro"] == pytest.approx(roc_auc_score(all_labels, all_scores), abs=1e-12)
    assert report.metrics["ap_sklearn"] == pytest.approx(
        average_precision_score(all_labels, all_scores), abs=1e-12
    )
    abnormal_labels = np.concatenate([ground_truth[v].labels for v in abnormal])
    abnormal_scores = np.concatenate([frames[v] for v in abnormal])
    assert report.metrics["auc_abnormal_videos"] == pytest.approx(
        roc_auc_score(abnormal_labels, abnormal_scores), abs=1e-12
    )
    assert report.metrics["far@0.5"] == pytest.approx(np.mean(normal_scores >= 0.5), abs=1e-12)
    assert report.metrics["auc_macro"] == pytest.approx(np.mean(list(per_video.values())), abs=1e-12)
    assert list(report.metrics) == ["auc_micro", "ap_sklearn", "auc_abnormal_videos", "far@0.5", "auc_macro"]

    for video in abnormal:
        assert report.per_video[video]["auc"] == pytest.approx(per_video[video], abs=1e-12)
        assert "far@0.5" not in report.per_video[video]
    assert math.isnan(report.per_video["Normal_003"]["auc"])
    # Normal_010: two snippets 0.2, 0.7 over 33 frames: 16 + 17 frames at 0.7 alarm.
    assert report.per_video["Normal_010"]["far@0.5"] == pytest.approx(17 / 33)

    settings = report.settings
    assert settings["score_level"] == "mixed"
    assert settings["score_level_counts"] == {"snippet": 4, "frame": 1}
    assert settings["gt_sources"] == ["annotation.txt [s, e)", "masks"]
    assert settings["num_abnormal_videos"] == 3 and settings["num_normal_videos"] == 2
    assert settings["extra_score_videos"] == ["Unlisted"]
    assert settings["per_video_auc_undefined"] == 2
    assert settings["auc_macro_padding"] == "none"
    assert settings["dropped_frames_per_video"] == 0 and settings["score_normalization"] == "none"
    assert settings["headline_metric"] == "auc_micro"
    assert settings["protocol"]["name"] == "ucf-crime"
    assert "expand_to_frames" in settings["expansion"]


def test_xd_violence_reports_both_aps(weak_set: tuple[dict[str, GroundTruth], dict[str, np.ndarray]]) -> None:
    ground_truth, scores = weak_set
    report = evaluate(get_protocol("xd-violence"), ground_truth, scores)
    all_labels = np.concatenate([gt.labels for gt in ground_truth.values()])
    all_scores = np.concatenate([by_hand(scores[v], gt.num_frames) for v, gt in ground_truth.items()])
    precision, recall, _ = precision_recall_curve(all_labels, all_scores)
    assert report.metrics["ap_pr_trapz"] == pytest.approx(auc(recall, precision), abs=1e-12)
    assert report.metrics["ap_sklearn"] == pytest.approx(
        average_precision_score(all_labels, all_scores), abs=1e-12
    )
    assert report.settings["headline_metric"] == "ap_pr_trapz"


def test_report_round_trips_through_json(
    weak_set: tuple[dict[str, GroundTruth], dict[str, np.ndarray]], tmp_path
) -> None:
    ground_truth, scores = weak_set
    report = evaluate("ucf-crime", ground_truth, scores)
    path = report.save(tmp_path / "metrics.json")
    data = json.loads(path.read_text())
    assert data["per_video"]["Normal_003"]["auc"] is None
    loaded = EvalReport.load(path)
    assert loaded.metrics == report.metrics
    assert loaded.settings["gt_sources"] == ["annotation.txt [s, e)", "masks"]


def test_ground_truth_padded_to_t16_needs_exactly_t_snippets() -> None:
    # A reference length rule padded the 40-frame video to 3 * 16 = 48 frames.
    labels = labels_with(48, (10, 48))
    ground_truth = {"01_0014": GroundTruth("01_0014", labels)}
    snippet_scores = np.array([0.1, 0.6, 0.9])
    report = evaluate("shanghaitech-weak", ground_truth, {"01_0014": snippet_scores})
    assert report.num_frames == 48
    assert report.metrics["auc_micro"] == pytest.approx(roc_auc_score(labels, np.repeat(snippet_scores, 16)))
    with pytest.raises(LengthMismatchError, match="01_0014"):
        evaluate("shanghaitech-weak", ground_truth, {"01_0014": np.ones(4)})


def test_score_level_detection_and_forcing() -> None:
    ground_truth = {"a": GroundTruth("a", labels_with(40, (0, 20)))}
    frame_scores = np.linspace(0, 1, 40)
    assert evaluate("ucf-crime", ground_truth, {"a": frame_scores}).settings["score_level"] == "frame"
    assert evaluate("ucf-crime", ground_truth, {"a": np.ones(2)}).settings["score_level"] == "snippet"
    with pytest.raises(LengthMismatchError, match=r"a: 2 frame scores for 40"):
        evaluate("ucf-crime", ground_truth, {"a": np.ones(2)}, score_level="frame")
    with pytest.raises(LengthMismatchError, match="40 snippet scores"):
        evaluate("ucf-crime", ground_truth, {"a": frame_scores}, score_level="snippet")
    with pytest.raises(ValidationError, match="score_level"):
        evaluate("ucf-crime", ground_truth, {"a": frame_scores}, score_level="segment")  # type: ignore[arg-type]


def test_frame_scores_objects_are_accepted() -> None:
    ground_truth = {"a": GroundTruth("a", labels_with(40, (0, 20)))}
    scores = np.linspace(1, 0, 40)
    report = evaluate("ucf-crime", ground_truth, {"a": FrameScores("a", scores, fps=25.0)})
    assert report.metrics["auc_micro"] == 1.0


def test_length_mismatch_names_the_video_and_both_lengths() -> None:
    ground_truth = {"Burglary005": GroundTruth("Burglary005", labels_with(100, (5, 50)))}
    with pytest.raises(LengthMismatchError) as info:
        evaluate("ucf-crime", ground_truth, {"Burglary005": np.ones(9)})
    message = str(info.value)
    assert "Burglary005" in message and "9 scores" in message and "100" in message
    assert "6 or 7" in message


def test_missing_video_and_bad_scores_are_named(
    weak_set: tuple[dict[str, GroundTruth], dict[str, np.ndarray]],
) -> None:
    ground_truth, scores = weak_set
    missing = {k: v for k, v in scores.items() if k != "Arson011"}
    with pytest.raises(LengthMismatchError, match=r"Arson011: no scores .*4 of 5"):
        evaluate("ucf-crime", ground_truth, missing)
    with pytest.raises(ValidationError, match=r"Abuse028: scores contain NaN or inf .*index 1"):
        evaluate("ucf-crime", ground_truth, {**scores, "Abuse028": np.array([0.1, np.nan, 0.2])})
    with pytest.raises(ValidationError, match=r"Abuse028: scores must be a non-empty 1-D"):
        evaluate("ucf-crime", ground_truth, {**scores, "Abuse028": np.ones((3, 2))})
    with pytest.raises(ValidationError, match="no ground-truth videos"):
        evaluate("ucf-crime", {}, scores)


def test_ano_pred_compat_drops_frames_then_normalises_per_video() -> None:
    rng = np.random.default_rng(5)
    ground_truth = {
        "Test001": GroundTruth("Test001", labels_with(30, (12, 25))),
        "Test002": GroundTruth("Test002", labels_with(25, (0, 25))),  # all abnormal
        "Test003": GroundTruth("Test003", labels_with(20, (2, 10))),
    }
    scores = {v: rng.random(gt.num_frames) * 40 + 10 for v, gt in ground_truth.items()}
    scores["Test003"][4:] = 3.0  # constant after the drop: normalises to 0
    protocol = get_protocol("ped2", compat="ano_pred")
    report = evaluate(protocol, ground_truth, scores)

    kept_labels, kept_scores = [], []
    for video, gt in ground_truth.items():
        s = scores[video][4:]
        kept_scores.append((s - s.min()) / (s.max() - s.min()) if s.max() > s.min() else np.zeros_like(s))
        kept_labels.append(gt.labels[4:])
    all_labels, all_scores = np.concatenate(kept_labels), np.concatenate(kept_scores)
    fpr, tpr, _ = roc_curve(all_labels, all_scores)
    assert np.all(kept_scores[2] == 0)
    assert report.num_frames == 75 - 12
    assert report.metrics["auc_micro"] == pytest.approx(roc_auc_score(all_labels, all_scores), abs=1e-12)
    assert report.metrics["eer"] == pytest.approx(fpr[np.nanargmin(np.abs(fpr + tpr - 1))], abs=1e-12)
    defined = [roc_auc_score(kept_labels[i], kept_scores[i]) for i in (0, 2)]
    assert report.metrics["auc_macro"] == pytest.approx(np.mean(defined), abs=1e-12)
    assert math.isnan(report.per_video["Test002"]["auc"])
    assert report.settings["dropped_frames_per_video"] == 4
    assert report.settings["score_normalization"] == "per-video min-max"
    assert report.settings["protocol"]["compat"] == "ano_pred"

    padded = evaluate(get_protocol("ped2", compat="ano_pred", macro_padding="sspcab"), ground_truth, scores)
    pad = [
        roc_auc_score(np.concatenate([[0], y, [1]]), np.concatenate([[0.0], s, [1.0]]))
        for y, s in zip(kept_labels, kept_scores, strict=True)
    ]
    assert padded.metrics["auc_macro"] == pytest.approx(np.mean(pad), abs=1e-12)
    assert padded.settings["auc_macro_padding"] == "sspcab"


def test_default_one_class_protocol_keeps_every_frame_and_raw_scores() -> None:
    ground_truth = {"01_0014": GroundTruth("01_0014", labels_with(10, (0, 3)))}
    scores = np.array([9, 8, 7, 1, 2, 3, 4, 5, 6, 0], dtype=np.float64)
    report = evaluate("shanghaitech", ground_truth, {"01_0014": scores})
    assert report.num_frames == 10
    assert report.metrics["auc_micro"] == 1.0
    # With ano_pred's 4 dropped frames no abnormal frame remains: the AUC is undefined.
    dropped = evaluate(get_protocol("shanghaitech", compat="ano_pred"), ground_truth, {"01_0014": scores})
    assert math.isnan(dropped.metrics["auc_micro"])
    assert dropped.to_dict()["metrics"]["auc_micro"] is None


def test_dropping_every_frame_raises() -> None:
    ground_truth = {"tiny": GroundTruth("tiny", labels_with(4, (1, 2)))}
    with pytest.raises(LengthMismatchError, match="tiny: 4 frames, none left"):
        evaluate(get_protocol("avenue", compat="ano_pred"), ground_truth, {"tiny": np.ones(4)})
