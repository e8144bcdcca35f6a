"""CUHK Avenue ground truth from testing_label_mask/<i>_label.mat files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from vadkit.data import build_avenue_gt, read_avenue_masks
from vadkit.errors import AnnotationError
from vadkit.types import EventInterval


def write_label_mat(path: Path, abnormal: list[bool]) -> None:
    cells = np.empty((1, len(abnormal)), dtype=object)
    for i, flag in enumerate(abnormal):
        mask = np.zeros((4, 5), dtype=np.uint8)
        if flag:
            mask[1, 2] = 1
        cells[0, i] = mask
    savemat(path, {"volLabel": cells})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "testing_label_mask"
    folder.mkdir()
    write_label_mat(folder / "1_label.mat", [False, True, True, False])
    write_label_mat(folder / "2_label.mat", [False, False, False])
    write_label_mat(folder / "10_label.mat", [True, True])
    (folder / "readme.txt").write_text("not a mask")
    return folder


def test_masks_to_frame_labels(folder: Path) -> None:
    np.testing.assert_array_equal(read_avenue_masks(folder / "1_label.mat"), [0, 1, 1, 0])


def test_ground_truth_named_and_sorted_by_number(folder: Path) -> None:
    gts = build_avenue_gt(folder)
    assert list(gts) == ["01", "02", "10"]
    np.testing.assert_array_equal(gts["01"].labels, [0, 1, 1, 0])
    assert gts["01"].events == (EventInterval(1, 3),)
    assert gts["02"].label == "Normal" and gts["10"].label == "Abnormal"
    assert gts["10"].source == "testing_label_mask/10_label.mat; frame mask; frames (n from the mask)"


def test_length_rule_applies(folder: Path) -> None:
    gts = build_avenue_gt(folder, length="ceil16", snippet_length=3)
    np.testing.assert_array_equal(gts["01"].labels, [0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(gts["10"].labels, [1, 1, 1])


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="mask folder not found"):
        build_avenue_gt(tmp_path / "none")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AnnotationError, match=r"no <i>_label\.mat files"):
        build_avenue_gt(empty)
    path = tmp_path / "1_label.mat"
    savemat(path, {"volLabel": np.zeros((4, 5, 3))})
    with pytest.raises(AnnotationError, match="volLabel must be a cell array"):
        read_avenue_masks(path)
    cells = np.empty((1, 1), dtype=object)
    cells[0, 0] = np.zeros((2, 2, 3))
    savemat(path, {"volLabel": cells})
    with pytest.raises(AnnotationError, match=r"mask of frame 1 must be H×W, got shape \(2, 2, 3\)"):
        read_avenue_masks(path)
