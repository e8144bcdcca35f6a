"""Reading per-video score files: shapes, crop averaging, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.eval import evaluate, load_score_dir, load_score_file
from vadkit.types import GroundTruth


def test_load_score_dir_reads_each_video(tmp_path: Path) -> None:
    flat = np.array([0.1, 0.5, 0.9], dtype=np.float32)
    column = np.array([[0.2], [0.4]])
    crops = np.array([[0.0, 1.0, 0.5], [0.3, 0.3, 0.6]])
    np.save(tmp_path / "Abuse028_x264.npy", flat)
    np.save(tmp_path / "Normal_Videos_003_x264.npy", column)
    np.save(tmp_path / "Arson011_x264.npy", crops)
    (tmp_path / "notes.txt").write_text("not a score file")
    (tmp_path / "sub.npy").mkdir()
    scores = load_score_dir(tmp_path)
    assert list(scores) == ["Abuse028_x264", "Arson011_x264", "Normal_Videos_003_x264"]
    np.testing.assert_array_equal(scores["Abuse028_x264"], flat.astype(np.float64))
    np.testing.assert_array_equal(scores["Normal_Videos_003_x264"], [0.2, 0.4])
    np.testing.assert_allclose(scores["Arson011_x264"], [0.5, 0.4], rtol=0, atol=1e-15)
    assert all(v.dtype == np.float64 and v.ndim == 1 for v in scores.values())


def test_loaded_scores_evaluate(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.array([0.9, 0.1]))
    ground_truth = {"a": GroundTruth("a", np.r_[np.ones(16), np.zeros(16)].astype(np.uint8))}
    assert evaluate("ucf-crime", ground_truth, load_score_dir(tmp_path)).metrics["auc_micro"] == 1.0


def test_corrupt_and_pickled_files_are_named(tmp_path: Path) -> None:
    corrupt = tmp_path / "broken.npy"
    corrupt.write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(ValidationError, match=r"broken\.npy: cannot read scores"):
        load_score_file(corrupt)
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([[0.1], "x"], dtype=object), allow_pickle=True)
    with pytest.raises(ValidationError, match=r"objects\.npy"):
        load_score_file(pickled)
    with pytest.raises(ValidationError, match=r"broken\.npy"):
        load_score_dir(tmp_path)


@pytest.mark.parametrize("array", [np.zeros((2, 3, 4)), np.zeros(0), np.array(["a", "b"])])
def test_bad_shapes_and_dtypes_are_named(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "video.npy"
    np.save(path, array)
    with pytest.raises(ValidationError, match=r"video\.npy"):
        load_score_file(path)


def test_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        load_score_dir(tmp_path / "nowhere")
    with pytest.raises(ValidationError, match=r"no <video>.npy"):
        load_score_dir(tmp_path)
