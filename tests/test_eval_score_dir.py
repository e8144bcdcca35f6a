"""evaluate_score_dir: score files + a benchmark's files in their public layout -> metrics, end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from vadkit.errors import AnnotationError, LengthMismatchError, ValidationError
from vadkit.eval import evaluate_score_dir, load_named_scores


def _write_weak_shanghaitech(root: Path) -> tuple[Path, Path, Path, np.ndarray, np.ndarray]:
    """Two abnormal videos with masks, two normal ones without (as in the real weak split), an RTFM-style test
    list (abnormal first, Unix paths with _i3d), and snippet scores named like RTFM's feature files.

    Returns the mask folder, list file, score folder, and the expected concatenated labels and frame scores
    under RTFM's rule, written out by hand: masks padded to ceil(n/16)*16 with their last label, normal videos
    T*16 zeros with T the number of their snippet scores, scores repeated x16.
    """
    masks = root / "test_frame_mask"
    masks.mkdir()
    mask_a = np.zeros(20, dtype=np.uint8)
    mask_a[5:20] = 1  # ends abnormal: padding to 32 repeats a 1
    mask_b = np.zeros(33, dtype=np.uint8)
    mask_b[0:3] = 1  # ends normal: padding to 48 repeats a 0
    np.save(masks / "01_0014.npy", mask_a)
    np.save(masks / "02_0161.npy", mask_b)
    listing = root / "shanghai-test.list"
    listing.write_text(
        "\n".join(
            f"/data/SH_Test_ten_crop_i3d/{v}_i3d.npy" for v in ("01_0014", "02_0161", "01_001", "03_002")
        )
    )
    scores = root / "scores"
    scores.mkdir()
    values = {
        "01_0014": [0.9, 0.8],
        "02_0161": [0.7, 0.1, 0.2],
        "01_001": [0.3, 0.2],
        "03_002": [0.1],
    }
    for video, v in values.items():
        np.save(scores / f"{video}_i3d.npy", np.asarray(v))
    labels = np.concatenate(
        [
            np.r_[np.zeros(5), np.ones(15), np.ones(12)],
            np.r_[np.ones(3), np.zeros(30), np.zeros(15)],
            np.zeros(32),
            np.zeros(16),
        ]
    )
    frame_scores = np.concatenate([np.repeat(v, 16) for v in values.values()])
    return masks, listing, scores, labels, frame_scores


def test_weak_shanghaitech_reproduces_rtfm_concatenation(tmp_path: Path) -> None:
    masks, listing, scores, labels, frame_scores = _write_weak_shanghaitech(tmp_path)
    result = evaluate_score_dir(
        "shanghaitech-weak",
        scores,
        masks,
        gt_options={"list_file": str(listing), "check_counts": "false"},
        out_dir=tmp_path / "out",
    )
    assert result.report.num_frames == labels.shape[0] == 128
    assert result.report.metrics["auc_micro"] == pytest.approx(roc_auc_score(labels, frame_scores), abs=1e-12)
    assert list(result.ground_truth) == ["01_0014", "02_0161", "01_001", "03_002"]
    assert result.metrics_path is not None and result.metrics_path.name == "metrics.json"
    settings = result.report.settings
    assert settings["gt_options"]["snippet_counts"] == "scores" and settings["score_level"] == "snippet"


def test_weak_protocol_requires_the_list(tmp_path: Path) -> None:
    masks, _, scores, _, _ = _write_weak_shanghaitech(tmp_path)
    with pytest.raises(ValidationError, match="list_file"):
        evaluate_score_dir("shanghaitech-weak", scores, masks)


def test_ucf_with_frame_counts_uses_real_frames(tmp_path: Path) -> None:
    # UR-DMU layout: <Class>/<video>.mp4 <n> <Class> s1 e1 s2 e2; RTFM marks [s, e] (0-based, inclusive)
    annotation = tmp_path / "UCF_Annotation.txt"
    annotation.write_text(
        "Arson/Arson011_x264.mp4 40 Arson 10 19 30 45\r\n"
        "Testing_Normal_Videos_Anomaly/Normal_Videos_003_x264.mp4 20 Normal -1 -1 -1 -1\r\n"
    )
    scores = tmp_path / "scores"
    scores.mkdir()
    np.save(scores / "Arson011_x264.npy", np.array([0.1, 0.9, 0.6]))  # T = ceil(40/16)
    np.save(scores / "Normal_Videos_003_x264.npy", np.array([[0.2, 0.4], [0.5, 0.7]]))  # (T, crops)
    labels = np.zeros(60)
    labels[10:20] = 1
    labels[30:40] = 1  # the second event runs past the last frame and is clamped
    frame_scores = np.r_[np.repeat([0.1, 0.9, 0.6], 16)[:40], np.repeat([0.3, 0.6], 16)[:20]]
    result = evaluate_score_dir("ucf-crime", scores, annotation, gt_options={"check_counts": "false"})
    metrics = result.report.metrics
    assert metrics["auc_micro"] == pytest.approx(roc_auc_score(labels, frame_scores), abs=1e-12)
    assert metrics["ap_sklearn"] == pytest.approx(average_precision_score(labels, frame_scores), abs=1e-12)
    # far@0.5 on the normal video: frames 16..19 score 0.6 >= 0.5 -> 4 false alarms of 20 frames
    assert metrics["far@0.5"] == pytest.approx(4 / 20)
    assert result.metrics_path is None


def test_missing_scores_and_duplicate_names_are_reported(tmp_path: Path) -> None:
    masks, listing, scores, _, _ = _write_weak_shanghaitech(tmp_path)
    (scores / "03_002_i3d.npy").unlink()
    counts = tmp_path / "snippet_counts.json"
    counts.write_text('{"01_0014": 2, "02_0161": 3, "01_001": 2, "03_002": 1}')
    with pytest.raises(LengthMismatchError, match="03_002: no scores"):
        evaluate_score_dir(
            "shanghaitech-weak",
            scores,
            masks,
            gt_options={"list_file": str(listing), "check_counts": "false", "snippet_counts": str(counts)},
        )
    np.save(scores / "01_001.npy", np.zeros(2))
    with pytest.raises(ValidationError, match="both hold scores of video 01_001"):
        load_named_scores(scores)


def test_snippet_counts_from_scores_refuses_frame_scores(tmp_path: Path) -> None:
    masks, listing, scores, _, _ = _write_weak_shanghaitech(tmp_path)
    with pytest.raises(ValidationError, match="snippet-level"):
        evaluate_score_dir(
            "shanghaitech-weak", scores, masks, gt_options={"list_file": str(listing)}, score_level="frame"
        )


def test_unknown_option_and_missing_annotation_name_the_problem(tmp_path: Path) -> None:
    masks, _, scores, _, _ = _write_weak_shanghaitech(tmp_path)
    with pytest.raises(ValidationError, match="unknown ground-truth option"):
        evaluate_score_dir("shanghaitech", scores, masks, gt_options={"colour": "red"})
    with pytest.raises(AnnotationError, match="nowhere"):
        evaluate_score_dir("ped2", scores, tmp_path / "nowhere" / "ped2.mat")


def test_one_class_protocol_over_all_masks_with_frame_scores(tmp_path: Path) -> None:
    masks, _, _, _, _ = _write_weak_shanghaitech(tmp_path)
    scores = tmp_path / "frame_scores"
    scores.mkdir()
    rng = np.random.default_rng(3)
    a, b = rng.random(20), rng.random(33)
    np.save(scores / "01_0014.npy", a)
    np.save(scores / "02_0161.npy", b)
    result = evaluate_score_dir("shanghaitech", scores, masks)
    labels_a, labels_b = np.load(masks / "01_0014.npy"), np.load(masks / "02_0161.npy")
    expected = roc_auc_score(np.r_[labels_a, labels_b], np.r_[a, b])
    assert result.report.metrics["auc_micro"] == pytest.approx(expected, abs=1e-12)
    macro = (roc_auc_score(labels_a, a) + roc_auc_score(labels_b, b)) / 2
    assert result.report.metrics["auc_macro"] == pytest.approx(macro, abs=1e-12)
    assert not math.isnan(result.report.metrics["eer"])
