"""read_rtfm_list on lists in RTFM's real formats (UCF: Windows paths and CRLF; ShanghaiTech: Unix paths)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vadkit.data.feature_sets import read_rtfm_list
from vadkit.errors import AnnotationError, ValidationError

RNG = np.random.default_rng(11)
CLASSES = ("Abuse", "Arrest", "RoadAccidents", "Vandalism")


def ucf_names(abnormal: int, normal: int, test: bool) -> list[str]:
    names = [f"{CLASSES[i % len(CLASSES)]}{i + 1:03d}_x264" for i in range(abnormal)]
    pattern = "Normal_Videos_{:03d}_x264" if test else "Normal_Videos{:03d}_x264"
    return names + [pattern.format(i + 1) for i in range(normal)]


def write_windows_list(path: Path, names: list[str], folder: str) -> Path:
    rows = [f"G:\\{folder}\\{name}_i3d.npy" for name in names]
    path.write_bytes("\r\n".join(rows).encode() + b"\r\n")
    return path


def test_ucf_train_list_windows_crlf_remapped_labelled_and_loaded(tmp_path: Path) -> None:
    names = ucf_names(810, 800, test=False)
    listed = write_windows_list(tmp_path / "ucf-i3d.list", names, "UCF_Train_ten_crop_i3d")
    root = tmp_path / "features"
    root.mkdir()
    arrays = {
        name: RNG.standard_normal((t, 10, 16)).astype(np.float32)
        for name, t in [(names[0], 3), (names[-1], 5)]
    }
    for name, array in arrays.items():
        np.save(root / f"{name}_i3d.npy", array)

    train = read_rtfm_list(listed, root, dataset="ucf_crime", split="train")
    assert len(train) == 1610 and train.names == tuple(names)
    assert (len(train.abnormal), len(train.normal)) == (810, 800)
    assert all(v.label == 1 for v in train.videos[:810]) and all(v.label == 0 for v in train.videos[810:])
    first, last = train.videos[0], train.videos[-1]
    assert (first.name, first.class_name, first.files) == (
        "Abuse001_x264",
        "Abuse",
        (root / "Abuse001_x264_i3d.npy",),
    )
    assert train.videos[2].class_name == "RoadAccidents" and last.class_name == "Normal"
    assert last.files == (root / "Normal_Videos800_x264_i3d.npy",)
    assert train.crops == 10 and train.dataset == "ucf_crime" and train.split == "train"
    assert "ucf-i3d.list" in train.source
    for name, array in arrays.items():
        np.testing.assert_array_equal(train.load(name), array)
    with pytest.raises(
        ValidationError, match=r"Arrest002_x264: feature file .*Arrest002_x264_i3d\.npy: not found"
    ):
        train.load(names[1])


def test_ucf_test_list_counts_and_keep_parts(tmp_path: Path) -> None:
    names = ucf_names(140, 150, test=True)
    listed = write_windows_list(tmp_path / "ucf-i3d-test.list", names, "UCF_Test_ten_crop_i3d")
    test = read_rtfm_list(listed, tmp_path, dataset="ucf_crime", split="test", keep_parts=2)
    assert test.videos[140].name == "Normal_Videos_001_x264" and test.videos[140].label == 0
    assert test.videos[0].files == (tmp_path / "UCF_Test_ten_crop_i3d" / "Abuse001_x264_i3d.npy",)
    with pytest.raises(ValidationError, match="keep_parts must be a positive integer"):
        read_rtfm_list(listed, tmp_path, dataset="ucf_crime", split="test", keep_parts=0)


def test_a_truncated_or_wrong_split_list_fails_the_counts_check(tmp_path: Path) -> None:
    names = ucf_names(810, 800, test=False)
    truncated = write_windows_list(tmp_path / "ucf-i3d.list", names[:-10], "x")
    with pytest.raises(
        AnnotationError, match=r"should have 810 abnormal \+ 800 normal videos, found 810 \+ 790"
    ):
        read_rtfm_list(truncated, tmp_path, dataset="ucf_crime", split="train")
    with pytest.raises(AnnotationError, match=r"ucf_crime test split should have 140 abnormal \+ 150 normal"):
        read_rtfm_list(truncated, tmp_path, dataset="ucf_crime", split="test")
    custom = read_rtfm_list(truncated, tmp_path, dataset="ucf_crime", split="train", check_counts=False)
    assert len(custom) == 1600


def sh_lists(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    abnormal = [f"01_{i:04d}" for i in range(1, 64)]
    normal = [f"{(i % 12) + 1:02d}_{i:03d}" for i in range(175)]
    rows = [f"/home/yu/yu_ssd/SH_Train_ten_crop_i3d/{name}_i3d.npy" for name in abnormal + normal]
    listed = tmp_path / "shanghai-i3d-train-10crop.list"
    listed.write_text("\n".join(rows) + "\n")
    return listed, abnormal, normal


def test_shanghaitech_labels_from_the_public_layout_or_from_masks(tmp_path: Path) -> None:
    listed, abnormal, normal = sh_lists(tmp_path)
    by_layout = read_rtfm_list(listed, tmp_path / "feat", dataset="shanghaitech", split="train")
    assert [v.name for v in by_layout.abnormal] == abnormal
    assert [v.name for v in by_layout.normal] == normal
    assert by_layout.videos[0].files == (tmp_path / "feat" / "01_0001_i3d.npy",)
    assert by_layout.videos[0].class_name is None

    masks = tmp_path / "test_frame_mask"
    masks.mkdir()
    for name in abnormal:
        np.save(masks / f"{name}.npy", np.array([0, 1, 1, 0], dtype=np.uint8))
    np.save(masks / "99_0001.npy", np.zeros(4, np.uint8))  # a mask without anomaly: not abnormal
    by_masks = read_rtfm_list(listed, tmp_path, dataset="shanghaitech", split="train", abnormal_videos=masks)
    assert [v.label for v in by_masks] == [v.label for v in by_layout]
    by_names = read_rtfm_list(
        listed,
        tmp_path,
        dataset="shanghaitech",
        split="train",
        abnormal_videos=set(abnormal[:62]),
        check_counts=False,
    )
    assert len(by_names.abnormal) == 62
    with pytest.raises(
        AnnotationError, match=r"should have 63 abnormal \+ 175 normal videos, found 62 \+ 176"
    ):
        read_rtfm_list(listed, tmp_path, dataset="shanghaitech", split="train", abnormal_videos=abnormal[:62])


def test_shanghaitech_without_masks_needs_the_whole_split(tmp_path: Path) -> None:
    listed, _, _ = sh_lists(tmp_path)
    listed.write_text("\n".join(listed.read_text().splitlines()[:200]))
    with pytest.raises(
        AnnotationError, match=r"carry no label and the list has 200 videos, not the 63 \+ 175"
    ):
        read_rtfm_list(listed, tmp_path, dataset="shanghaitech", split="train")
    with pytest.raises(AnnotationError, match=r"synthetic video names carry no label: give abnormal_videos"):
        read_rtfm_list(listed, tmp_path, dataset="synthetic", split="train")


def test_bare_name_lists_and_paths_kept_as_written(tmp_path: Path) -> None:
    bare = tmp_path / "SH_Test.txt"
    bare.write_text("01_0015\n05_0018")  # no final newline, as the real SH_Test.txt
    feature_set = read_rtfm_list(
        bare, "/feat", dataset="shanghaitech", split="test", abnormal_videos=["01_0015"], check_counts=False
    )
    assert [v.files[0] for v in feature_set] == [Path("/feat/01_0015_i3d.npy"), Path("/feat/05_0018_i3d.npy")]
    names = [f"01_{i:04d}" for i in range(199)]  # the whole weak test split, but a name list: order unknown
    bare.write_text("\n".join(names))
    with pytest.raises(
        AnnotationError, match=r"SH_Test\.txt: a list of bare ShanghaiTech names is not in the abno"
    ):
        read_rtfm_list(bare, "/feat", dataset="shanghaitech", split="test")
    relative = tmp_path / "lists" / "mine.list"
    relative.parent.mkdir()
    relative.write_text("features/Abuse001_x264_i3d.npy\n/abs/Normal_Videos001_x264_i3d.npy\n")
    kept = read_rtfm_list(relative, None, dataset="ucf_crime", split="train", check_counts=False)
    assert [v.files[0] for v in kept] == [
        tmp_path / "lists" / "features" / "Abuse001_x264_i3d.npy",
        Path("/abs/Normal_Videos001_x264_i3d.npy"),
    ]
    windows = write_windows_list(tmp_path / "win.list", ["Abuse001_x264"], "UCF")
    with pytest.raises(AnnotationError, match=r"win\.list: line 1: Windows path .*give the feature root"):
        read_rtfm_list(windows, None, dataset="ucf_crime", split="train", check_counts=False)


def test_a_per_crop_list_is_not_an_rtfm_list(tmp_path: Path) -> None:
    listed = tmp_path / "UCF_Train.list"
    listed.write_text("\n".join(f"dataset/Abuse/Abuse001_x264__{k}.npy" for k in range(10)) + "\n")
    with pytest.raises(
        AnnotationError, match=r"line 1: Abuse001_x264 is on 10 consecutive lines.*read_per_crop_list"
    ):
        read_rtfm_list(listed, tmp_path, dataset="ucf_crime", split="train", check_counts=False)
