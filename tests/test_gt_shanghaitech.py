"""ShanghaiTech masks and ground truth, including RTFM's ceil(n/16)*16 rule on a weak test list."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vadkit.data import build_shanghaitech_gt, concatenate_labels, load_frame_mask
from vadkit.errors import AnnotationError
from vadkit.types import EventInterval


def save_mask(folder: Path, name: str, values: list[int]) -> None:
    np.save(folder / f"{name}.npy", np.array(values, dtype=np.uint8))


@pytest.fixture
def masks(tmp_path: Path) -> Path:
    folder = tmp_path / "test_frame_mask"
    folder.mkdir()
    save_mask(folder, "01_0015", [0] * 5 + [1] * 15)  # n = 20, ends abnormal
    save_mask(folder, "01_0025", [1] * 3 + [0] * 14)  # n = 17, ends normal
    save_mask(folder, "01_0014", [0] * 10 + [1] * 6)  # n = 16, not in the weak test list (weak train video)
    return folder


@pytest.fixture
def weak_list(tmp_path: Path) -> Path:
    rows = ["01_0015", "01_0025", "05_001", "05_002"]
    text = "\n".join(
        f"/home/yu/yu_ssd/SH_Test_ten_crop_i3d/{name}_i3d.npy" for name in rows
    )  # no final newline
    path = tmp_path / "shanghai-i3d-test-10crop.list"
    path.write_text(text, encoding="utf-8")
    return path


def test_rtfm_rule_reproduces_a_hand_written_vector(masks: Path, weak_list: Path) -> None:
    gts = build_shanghaitech_gt(
        masks,
        list_file=weak_list,
        snippet_counts={"05_001": 2},  # normal, no mask, T from its features: 32 frames
        frame_counts={"05_002": 20},  # normal, no mask, n known: ceil(20/16)*16 = 32 frames
        check_counts=False,
    )
    assert list(gts) == ["01_0015", "01_0025", "05_001", "05_002"]
    expected = np.array(
        # 01_0015: 20 frames -> 32, padded with its last label 1
        [0, 0, 0, 0, 0]
        + [1] * 15
        + [1] * 12
        # 01_0025: 17 frames -> 32, padded with its last label 0
        + [1, 1, 1]
        + [0] * 14
        + [0] * 15
        # 05_001 and 05_002: normal, 32 zeros each
        + [0] * 32
        + [0] * 32,
        dtype=np.float64,
    )
    vector = concatenate_labels(gts)
    assert vector.dtype == np.float64 and vector.shape == (128,)
    np.testing.assert_array_equal(vector, expected)
    assert gts["01_0015"].events == (EventInterval(5, 20),)  # events stay on the real frames
    assert gts["01_0015"].label == "Abnormal" and gts["05_001"].label == "Normal"
    assert (
        gts["01_0015"].source
        == "test_frame_mask/01_0015.npy; frame mask; ceil16 (n from the mask); padded=12"
    )
    assert gts["05_001"].source == "test_frame_mask: no mask, normal; ceil16 (T*16, T from mapping)"
    assert gts["05_002"].source.endswith("ceil16 (n from mapping); padded=12")


def test_one_class_test_set_uses_every_mask_sorted(masks: Path) -> None:
    gts = build_shanghaitech_gt(masks)
    assert list(gts) == ["01_0014", "01_0015", "01_0025"]
    assert [gt.num_frames for gt in gts.values()] == [16, 20, 17]
    np.testing.assert_array_equal(gts["01_0025"].labels, [1, 1, 1] + [0] * 14)


def test_snippet_rule_pads_or_cuts_masks(masks: Path) -> None:
    gts = build_shanghaitech_gt(
        masks, length="snippets", snippet_length=8, snippet_counts={"01_0014": 3, "01_0015": 2, "01_0025": 2}
    )
    np.testing.assert_array_equal(
        gts["01_0014"].labels, [0] * 10 + [1] * 6 + [1] * 8
    )  # 16 -> 24, last label 1
    np.testing.assert_array_equal(gts["01_0015"].labels, [0] * 5 + [1] * 11)  # 20 -> 16: cut
    assert gts["01_0015"].events == (EventInterval(5, 16),)
    assert gts["01_0015"].source.endswith("truncated=4")


def test_all_zero_mask_in_the_list_is_normal(masks: Path, weak_list: Path) -> None:
    save_mask(masks, "05_001", [0] * 7)
    gts = build_shanghaitech_gt(masks, list_file=weak_list, frame_counts={"05_002": 3}, check_counts=False)
    assert gts["05_001"].label == "Normal" and gts["05_001"].num_frames == 16


def test_split_count_check_on_the_weak_list(masks: Path, weak_list: Path) -> None:
    with pytest.raises(
        AnnotationError,
        match=r"shanghaitech test split should have 44 abnormal \+ 155 normal videos, found 2 \+ 2",
    ):
        build_shanghaitech_gt(masks, list_file=weak_list, snippet_counts={"05_001": 1, "05_002": 1})


def test_maskless_video_without_counts_is_named(masks: Path, weak_list: Path) -> None:
    with pytest.raises(
        AnnotationError, match=r"05_001: length rule 'ceil16' needs its frame count .* or snippet count"
    ):
        build_shanghaitech_gt(masks, list_file=weak_list, check_counts=False)
    with pytest.raises(AnnotationError, match=r"01_0014: length rule 'snippets' needs its snippet count"):
        build_shanghaitech_gt(masks, length="snippets")


def test_bad_masks_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "test_frame_mask"
    folder.mkdir()
    np.save(folder / "01_0014.npy", np.array([0, 1, 2], dtype=np.uint8))
    with pytest.raises(AnnotationError, match=r"01_0014\.npy: frame mask values must be 0 or 1, found 2"):
        build_shanghaitech_gt(folder)
    np.save(folder / "01_0014.npy", np.zeros((2, 3), dtype=np.uint8))
    with pytest.raises(AnnotationError, match=r"01_0014\.npy: expected a 1-D numeric frame mask"):
        load_frame_mask(folder / "01_0014.npy")
    np.save(folder / "01_0014.npy", np.array([[0, 1]], dtype=object))  # np.save pickles object arrays
    with pytest.raises(AnnotationError, match="pickled objects are refused"):
        load_frame_mask(folder / "01_0014.npy")
    (folder / "01_0014.npy").write_bytes(b"garbage")
    with pytest.raises(AnnotationError, match=r"01_0014\.npy"):
        load_frame_mask(folder / "01_0014.npy")
    with pytest.raises(AnnotationError, match="file not found"):
        load_frame_mask(folder / "nothing.npy")
    with pytest.raises(AnnotationError, match="mask folder not found"):
        build_shanghaitech_gt(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AnnotationError, match=r"folder holds no \.npy frame masks"):
        build_shanghaitech_gt(empty)


def test_bool_masks_are_accepted(tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.array([True, False, True]))
    mask = load_frame_mask(tmp_path / "m.npy")
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, [1, 0, 1])
