"""Tests of ``map@iou`` (vadkit.eval.detection_map) and of the safe reader of VadCLIP's fine-grained GT.

Golden values are worked out by hand in the comments (segments, scores, ranking, matches, precisions).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vadkit.cli.app import app
from vadkit.data import load_object_npy, read_vadclip_segments
from vadkit.errors import AnnotationError, ValidationError
from vadkit.eval import events_from_ground_truth, map_at_iou
from vadkit.types import EventInterval, GroundTruth

CLASSES = ("Normal", "X", "Y")


def _scores(x: dict[tuple[int, int], float], y: dict[tuple[int, int], float], frames: int = 20) -> np.ndarray:
    """``(frames, 3)``: X and Y set on the given ``[start, end)`` ranges, Normal = 1 where both are 0."""
    scores = np.zeros((frames, 3))
    for column, ranges in ((1, x), (2, y)):
        for (start, end), value in ranges.items():
            scores[start:end, column] = value
    scores[:, 0] = (scores[:, 1:] == 0).all(axis=1)
    return scores


EVENTS = {
    "a": (EventInterval(2, 6, "X"), EventInterval(10, 14, "X"), EventInterval(5, 15, "Y")),
    "b": (EventInterval(0, 4, "X"),),
}


def _hand_case(y_in_a: dict[tuple[int, int], float]) -> dict[str, np.ndarray]:
    # 20 frames, so the video confidence c is the top 20 // 16 = 1 value: the column's maximum.
    # X in a: runs [2,6) (max .9) and [12,16) (max .5) above .9 - .6 * .9 = .36; c = .9: scores 1.53 and 1.13.
    # X in b: runs [0,4) (.8) and [8,10) (.6) above .32; c = .8: scores 1.36 and 1.16.
    return {
        "a": _scores({(2, 6): 0.9, (12, 16): 0.5}, y_in_a),
        "b": _scores({(0, 4): 0.8, (8, 10): 0.6}, {}),
    }


def test_hand_computed_ap_correct_mode() -> None:
    # X ranked: a[2,6) TP (IoU 1), b[0,4) TP, b[8,10) FP, a[12,16) vs [10,14): IoU 2/6 = 1/3.
    #   t <= .3: TP TP FP TP -> (1 + 1 + 3/4) / 3 = 11/12;  t >= .4: TP TP FP FP -> 2/3.
    # Y: a[7,9) (score .4 + .28) vs [5,15): IoU 2/10 = .2; b's Y column is constant 0: one whole-video
    #   segment [0,20) scored 0, a false positive. t <= .2: AP 1; t >= .3: AP 0.
    # Normal has no event: AP nan, left out of the mean.
    result = map_at_iou(_hand_case({(7, 9): 0.4}), EVENTS, CLASSES)
    x = [11 / 12, 11 / 12, 11 / 12, 2 / 3, 2 / 3]
    y = [1, 1, 0, 0, 0]
    np.testing.assert_allclose(result.ap[1], x)
    np.testing.assert_allclose(result.ap[2], y)
    assert np.isnan(result.ap[0]).all()
    np.testing.assert_allclose(result.map, [(a + b) / 2 for a, b in zip(x, y, strict=True)])
    assert result.evaluated_classes == ("X", "Y")
    assert result.num_gt == (0, 3, 1)
    assert result.num_predictions[1:] == (4, 2)
    assert result.metrics()["map@iou0.3"] == pytest.approx(11 / 24)
    assert result.average == pytest.approx(np.mean([(a + b) / 2 for a, b in zip(x, y, strict=True)]))


def test_hand_computed_ap_vadclip_mode() -> None:
    # Same X and Y segments, except b's constant Y column gives none (strict '>'). The mean runs over all
    # three classes; Normal has predictions but no ground truth: AP 0.
    result = map_at_iou(_hand_case({(7, 9): 0.4}), EVENTS, CLASSES, compat="vadclip")
    x = [11 / 12, 11 / 12, 11 / 12, 2 / 3, 2 / 3]
    y = [1, 1, 0, 0, 0]
    np.testing.assert_allclose(result.ap, [[0] * 5, x, y])
    np.testing.assert_allclose(result.map, [(a + b) / 3 for a, b in zip(x, y, strict=True)])
    assert result.num_predictions[2] == 1


def test_class_without_prediction() -> None:
    # Y in a is a 1-frame run: too short. Correct mode: Y keeps only b's whole-video false positive, AP 0,
    # and X still counts. VadCLIP: Y has no segment at all, which zeroes the mAP at every IoU.
    scores = _hand_case({(7, 8): 0.4})
    correct = map_at_iou(scores, EVENTS, CLASSES)
    np.testing.assert_allclose(correct.map, [11 / 24, 11 / 24, 11 / 24, 1 / 3, 1 / 3])
    compat = map_at_iou(scores, EVENTS, CLASSES, compat="vadclip")
    assert compat.map == (0.0,) * 5
    assert compat.empty_classes == ("Y",)
    np.testing.assert_allclose(compat.ap[1], correct.ap[1])


def _perfect(events: dict[str, tuple[EventInterval, ...]], frames: int, classes: tuple[str, ...]) -> dict:
    scores = {}
    for video, video_events in events.items():
        values = np.zeros((frames, len(classes)))
        values[:, 0] = 1.0
        for event in video_events:
            column = 0 if event.label == "A" else classes.index(event.label)
            values[event.start : event.end, 0] = float(column == 0)
            values[event.start : event.end, column] = 1.0
        scores[video] = values
    return scores


def test_perfect_predictions_score_one_and_normal_quirk() -> None:
    # VadCLIP's UCF files label normal videos 'A' while the class list says 'Normal': in compat mode the
    # normal class never has ground truth (AP 0), so perfect predictions give 1/2 here (13/14 on UCF-Crime).
    events = {
        "abuse": (EventInterval(3, 9, "X"),),
        "normal": (EventInterval(0, 32, "A"),),
    }
    scores = _perfect(events, 32, ("Normal", "X"))
    correct = map_at_iou(scores, events, ("Normal", "X"))
    assert correct.map == (1.0,) * 5
    assert dict(correct.ignored_gt_labels) == {"A": 1}
    compat = map_at_iou(scores, events, ("Normal", "X"), compat="vadclip")
    assert compat.map == (0.5,) * 5
    assert compat.ap[0].tolist() == [0.0] * 5
    assert dict(compat.ignored_gt_labels) == {"A": 1}


def test_perfect_predictions_from_ground_truth_objects() -> None:
    # Two classes in one video, one event filling a whole video (a constant column), a normal video.
    labels = np.zeros(48, dtype=np.uint8)
    truth = {
        "v1": GroundTruth(
            "v1",
            np.r_[labels[:20], np.ones(28, np.uint8)],
            (EventInterval(20, 30, "X"), EventInterval(30, 48, "Y")),
        ),
        "v2": GroundTruth("v2", np.ones(48, np.uint8), (EventInterval(0, 48, "Y"),)),
        "v3": GroundTruth("v3", labels, ()),
    }
    events = events_from_ground_truth(truth)
    result = map_at_iou(_perfect(events, 48, CLASSES), events, CLASSES)
    assert result.map == (1.0,) * 5
    assert result.num_gt == (0, 1, 2)


def test_snippet_scores_equal_repeated_frame_scores() -> None:
    rng = np.random.default_rng(0)
    snippets = {video: rng.random((6, 3)).astype(np.float32) for video in EVENTS}
    events = {"a": (EventInterval(16, 64, "X"),), "b": (EventInterval(0, 40, "Y"),)}
    for compat in (None, "vadclip"):
        per_snippet = map_at_iou(snippets, events, CLASSES, frames_per_score=16, compat=compat)
        frames = {video: np.repeat(values, 16, axis=0) for video, values in snippets.items()}
        per_frame = map_at_iou(frames, events, CLASSES, compat=compat)
        np.testing.assert_array_equal(per_snippet.ap, per_frame.ap)


def test_invalid_inputs() -> None:
    scores = _hand_case({(7, 9): 0.4})
    with pytest.raises(ValidationError, match="not one of the score columns"):
        map_at_iou(scores, {"a": (EventInterval(0, 4, "Z"),)}, CLASSES)
    with pytest.raises(ValidationError, match="b: no class scores"):
        map_at_iou({"a": scores["a"]}, EVENTS, CLASSES)
    with pytest.raises(ValidationError, match=r"\(T, 2\)"):
        map_at_iou(scores, EVENTS, CLASSES[:2])
    with pytest.raises(ValidationError, match="IoU thresholds"):
        map_at_iou(scores, EVENTS, CLASSES, iou_thresholds=(0.0,))
    with pytest.raises(ValidationError, match="at least 16 frames"):
        map_at_iou({v: s[:10] for v, s in scores.items()}, EVENTS, CLASSES, compat="vadclip")
    with pytest.raises(ValidationError, match="without a class"):
        events_from_ground_truth({"v": GroundTruth("v", np.ones(4, np.uint8), (EventInterval(0, 4),))})


def _object_npy(path: Path, entries: list) -> Path:
    array = np.empty(len(entries), dtype=object)
    array[:] = entries
    np.save(path, array, allow_pickle=True)
    return path


def test_read_vadclip_segments(tmp_path: Path) -> None:
    segments = _object_npy(tmp_path / "gt_segment.npy", [[["157", "180"], ["185", "244"]], [[0, 1200]]])
    labels = _object_npy(tmp_path / "gt_label.npy", [["B2", "G"], ["A"]])
    csv = tmp_path / "test.csv"
    csv.write_text("path,label\n/x/Movie__#1_label_B2-G-0__0.npy,B2-G-0\n/x/Other__#2_label_A__0.npy,A\n")
    events = read_vadclip_segments(segments, labels, csv)
    assert events == {
        "Movie__#1_label_B2-G-0": (EventInterval(157, 180, "B2"), EventInterval(185, 244, "G")),
        "Other__#2_label_A": (EventInterval(0, 1200, "A"),),
    }
    short = _object_npy(tmp_path / "short.npy", [["B2", "G"]])
    with pytest.raises(AnnotationError, match=r"short\.npy.*one entry per video"):
        read_vadclip_segments(segments, short, csv)
    bad = _object_npy(tmp_path / "bad.npy", [[["157", "1x"], ["185", "244"]], [[0, 1200]]])
    with pytest.raises(AnnotationError, match=r"bad\.npy: entry 0 .*segment 0"):
        read_vadclip_segments(bad, labels, csv)


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        import os

        return os.system, (f"touch {self.marker}",)


def test_object_npy_refuses_foreign_globals(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    marker = tmp_path / "pwned"
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "|O", "fortran_order": False, "shape": (1,)})
        pickle.dump(_Exploit(marker), handle, protocol=2)
    with pytest.raises(
        ValidationError, match=r"evil\.npy: unsafe or malformed pickle \(refused global .*system"
    ):
        load_object_npy(path)
    assert not marker.exists()


def test_object_npy_reads_plain_and_object_arrays(tmp_path: Path) -> None:
    plain = tmp_path / "plain.npy"
    np.save(plain, np.arange(3))
    assert load_object_npy(plain).tolist() == [0, 1, 2]
    entries = [[["1", "2"]], [[0, 16]]]
    assert load_object_npy(_object_npy(tmp_path / "obj.npy", entries)).tolist() == entries
    text = tmp_path / "text.npy"
    text.write_text("not an array")
    with pytest.raises(ValidationError, match=r"text\.npy: not a readable \.npy file"):
        load_object_npy(text)


def test_cli_class_scores(tmp_path: Path) -> None:
    names = ["Movie__#1_label_B2-0-0", "Other__#2_label_A"]
    segments = _object_npy(tmp_path / "gt_segment.npy", [[["16", "48"]], [[0, 64]]])
    labels = _object_npy(tmp_path / "gt_label.npy", [["B2"], ["A"]])
    csv = tmp_path / "test.csv"
    csv.write_text("path,label\n" + "".join(f"/x/{name}__0.npy,{name[-6:]}\n" for name in names))
    scores_dir = tmp_path / "scores"
    scores_dir.mkdir()
    snippets = np.zeros((4, 7), dtype=np.float32)
    snippets[:, 0] = 1.0
    snippets[1:3] = np.eye(7, dtype=np.float32)[2]  # B2 on snippets 1-2 = frames [16, 48)
    np.save(scores_dir / f"{names[0]}__0.npy", snippets)
    np.save(scores_dir / f"{names[1]}__0.npy", np.eye(7, dtype=np.float32)[[0, 0, 0, 0]])
    options = ["--gt-option", f"labels={labels}", "--gt-option", f"list_file={csv}"]
    command = ["eval", "--protocol", "xd-violence", "--class-scores", str(scores_dir), "--gt", str(segments)]
    result = CliRunner().invoke(app, [*command, *options, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "map@iou0.5: 100.00%" in result.output
    written = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert written["metrics"]["map@iou_mean"] == 1.0
    assert written["evaluated_classes"] == ["B2"]
    compat = CliRunner().invoke(
        app, [*command, *options, "--compat", "vadclip", "--out", str(tmp_path / "c")]
    )
    assert compat.exit_code == 0, compat.output
    assert "map@iou0.1: 0.00%" in compat.output  # B1, B4, … have no predicted segment: VadCLIP returns 0
