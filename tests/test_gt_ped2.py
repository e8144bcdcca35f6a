"""UCSD Ped2 ground truth from ped2.mat and from the UCSDped2.m text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from vadkit.data import PED2_TEST_FRAME_COUNTS, build_ped2_gt, read_ped2_annotation
from vadkit.errors import AnnotationError
from vadkit.types import EventInterval

COUNTS = {"Test001": 10, "Test002": 12, "Test003": 8}


def write_ped2_mat(path: Path) -> Path:
    cells = np.empty((1, 3), dtype=object)
    cells[0, 0] = np.array([[3], [5]], dtype=np.uint8)  # one range, stored (2, 1) as in the real file
    cells[0, 1] = np.array([[1, 7], [2, 15]], dtype=np.uint8)  # two ranges, the second past the last frame
    cells[0, 2] = np.array([4, 8], dtype=np.uint8)  # one range written as a vector: MATLAB stores (1, 2)
    savemat(path, {"gt": cells})
    return path


def test_single_range_entries_survive_loading(tmp_path: Path) -> None:
    annotations = read_ped2_annotation(write_ped2_mat(tmp_path / "ped2.mat"))
    assert list(annotations) == ["Test001", "Test002", "Test003"]
    assert annotations["Test001"].intervals == ((3, 5, None),)
    assert annotations["Test002"].intervals == ((1, 2, None), (7, 15, None))
    assert annotations["Test003"].intervals == ((4, 8, None),)


def test_mat_ground_truth_one_based_inclusive(tmp_path: Path) -> None:
    gts = build_ped2_gt(write_ped2_mat(tmp_path / "ped2.mat"), frame_counts=COUNTS)
    np.testing.assert_array_equal(gts["Test001"].labels, [0, 0, 1, 1, 1, 0, 0, 0, 0, 0])  # frames 3..5
    np.testing.assert_array_equal(gts["Test002"].labels, [1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])  # 1..2, 7..12
    np.testing.assert_array_equal(gts["Test003"].labels, [0, 0, 0, 1, 1, 1, 1, 1])  # 4..8
    assert gts["Test002"].events == (EventInterval(0, 2), EventInterval(6, 12))
    assert (
        gts["Test002"].source == "ped2.mat; 1-based inclusive (ano_pred); frames (n from mapping); clamped=1"
    )
    assert gts["Test001"].label == "Abnormal"


M_TEXT = (
    "% UCSD Ped2 frame-level ground truth\r\n"
    "TestVideoFile = {};\r\n"
    "TestVideoFile{end+1}.gt_frame = [3:5];\r\n"
    "% Test002\r\n"
    "TestVideoFile{end+1}.gt_frame = [1:2, 7:15];\r\n"
    "TestVideoFile{end+1}.gt_frame = [4:8];"
)


def test_m_text_with_multi_range_lines_and_frame_folders(tmp_path: Path) -> None:
    test_dir = tmp_path / "UCSDped2" / "Test"
    test_dir.mkdir(parents=True)
    for video, frames in COUNTS.items():
        (test_dir / video).mkdir()
        for i in range(1, frames + 1):
            (test_dir / video / f"{i:03d}.tif").touch()
    (test_dir / "Test001_gt").mkdir()  # pixel GT folder next to the frames
    (test_dir / "Test001_gt" / "001.bmp").touch()
    m_file = test_dir / "UCSDped2.m"
    m_file.write_bytes(M_TEXT.encode())
    from_m = build_ped2_gt(m_file)
    from_mat = build_ped2_gt(write_ped2_mat(tmp_path / "ped2.mat"), frame_counts=COUNTS)
    for name in COUNTS:
        np.testing.assert_array_equal(from_m[name].labels, from_mat[name].labels)
    assert from_m["Test002"].source == (
        "UCSDped2.m; 1-based inclusive (ano_pred); frames (n from frames counted in Test/); clamped=1"
    )


def test_published_counts_are_the_fallback_and_recorded(tmp_path: Path) -> None:
    gts = build_ped2_gt(write_ped2_mat(tmp_path / "ped2.mat"))
    assert [gt.num_frames for gt in gts.values()] == [180, 180, 150]
    assert "n from published Ped2 counts" in gts["Test001"].source
    assert sum(PED2_TEST_FRAME_COUNTS.values()) == 2010
    explicit = build_ped2_gt(tmp_path / "ped2.mat", frame_counts="published")
    assert explicit["Test003"].num_frames == 150


def test_sultani_equals_ano_pred_and_rtfm_differs(tmp_path: Path) -> None:
    path = write_ped2_mat(tmp_path / "ped2.mat")
    rtfm = build_ped2_gt(path, frame_counts=COUNTS, convention="rtfm")
    np.testing.assert_array_equal(rtfm["Test001"].labels, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0])


def test_errors(tmp_path: Path) -> None:
    bad = tmp_path / "UCSDped2.m"
    bad.write_text("TestVideoFile{end+1}.gt_frame = [61:180];\nTestVideoFile{end+1}.gt_frame = [1-4];\n")
    with pytest.raises(AnnotationError, match=r"UCSDped2\.m: line 2: bad range '1-4'"):
        build_ped2_gt(bad)
    bad.write_text("TestVideoFile{end+1}.gt_frame = 61:180;\n")
    with pytest.raises(AnnotationError, match=r"line 1: expected 'gt_frame = \[s:e, …\];'"):
        build_ped2_gt(bad)
    bad.write_text("% nothing here\n")
    with pytest.raises(AnnotationError, match="no test video ranges found"):
        build_ped2_gt(bad)
    mat = tmp_path / "ped2.mat"
    savemat(mat, {"ground": np.zeros(2)})
    with pytest.raises(AnnotationError, match=r"ped2\.mat: no variable 'gt' \(variables: ground\)"):
        build_ped2_gt(mat)
    savemat(mat, {"gt": np.zeros((2, 3))})
    with pytest.raises(AnnotationError, match="'gt' must be a cell array"):
        build_ped2_gt(mat)
    cells = np.empty((1, 1), dtype=object)
    cells[0, 0] = np.array([[1, 2, 3]], dtype=np.uint8)
    savemat(mat, {"gt": cells})
    with pytest.raises(AnnotationError, match=r"gt entry 1 must have shape \(2, K\), got \(1, 3\)"):
        build_ped2_gt(mat)
    with pytest.raises(AnnotationError, match=r"missing\.mat: file not found"):
        build_ped2_gt(tmp_path / "missing.mat")
    write_ped2_mat(mat)
    with pytest.raises(AnnotationError, match="Test003: length rule 'frames' needs its frame count"):
        build_ped2_gt(mat, frame_counts={"Test001": 10, "Test002": 12})


def test_a_clip_without_ranges_is_normal(tmp_path: Path) -> None:
    m_file = tmp_path / "UCSDped2.m"
    m_file.write_text("TestVideoFile{end+1}.gt_frame = [2];\nTestVideoFile{end+1}.gt_frame = [];\n")
    gts = build_ped2_gt(m_file, frame_counts={"Test001": 3, "Test002": 3})
    np.testing.assert_array_equal(gts["Test001"].labels, [0, 1, 0])  # a single frame "2"
    assert gts["Test002"].label == "Normal" and not gts["Test002"].labels.any()
