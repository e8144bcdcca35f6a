"""read_vadclip_csv on VadCLIP's CSV lists (header, CRLF, 10 train crops, one test crop, class labels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vadkit.data.feature_sets import read_vadclip_csv
from vadkit.errors import AnnotationError

RNG = np.random.default_rng(3)
PREFIX = "/home/xbgydx/Desktop/UCFClipFeatures"


def ucf_videos(abnormal: int, normal: int, test: bool) -> list[tuple[str, str, str]]:
    """(class folder, name, label) of each video, abnormal first, as in ucf_CLIP_rgb*.csv."""
    classes = ("Abuse", "Shooting", "RoadAccidents")
    videos = [(classes[i % 3], f"{classes[i % 3]}{i + 1:03d}_x264", classes[i % 3]) for i in range(abnormal)]
    folder = "Testing_Normal_Videos_Anomaly" if test else "Training_Normal_Videos_Anomaly"
    pattern = "Normal_Videos_{:03d}_x264" if test else "Normal_Videos{:03d}_x264"
    return videos + [(folder, pattern.format(i + 1), "Normal") for i in range(normal)]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_bytes(("\r\n".join(["path,label", *rows]) + "\r\n").encode())
    return path


def ucf_rows(videos: list[tuple[str, str, str]], crops: tuple[int, ...]) -> list[str]:
    return [f"{PREFIX}/{folder}/{name}__{k}.npy,{label}" for folder, name, label in videos for k in crops]


def test_ucf_train_csv_ten_crops_class_folders_and_labels(tmp_path: Path) -> None:
    videos = ucf_videos(810, 800, test=False)
    listed = write_csv(tmp_path / "ucf_CLIP_rgb.csv", ucf_rows(videos, tuple(range(10))))
    root = tmp_path / "UCFClipFeatures"
    (root / "Abuse").mkdir(parents=True)
    crops = RNG.standard_normal((9, 10, 12)).astype(np.float32)
    for k in range(10):
        np.save(root / "Abuse" / f"Abuse001_x264__{k}.npy", crops[:, k])

    train = read_vadclip_csv(listed, root, dataset="ucf_crime", split="train")
    assert train.names == tuple(name for _, name, _ in videos) and train.crops == 10
    assert (len(train.abnormal), len(train.normal)) == (810, 800)
    assert [v.class_name for v in train.videos[:3]] == ["Abuse", "Shooting", "RoadAccidents"]
    assert (train.videos[810].class_name, train.videos[810].label) == ("Normal", 0)
    assert (
        train.videos[810].files[9] == root / "Training_Normal_Videos_Anomaly" / "Normal_Videos001_x264__9.npy"
    )
    np.testing.assert_array_equal(train.load("Abuse001_x264"), crops)
    assert train.dim == 12


def test_ucf_test_csv_has_one_crop_per_video(tmp_path: Path) -> None:
    videos = ucf_videos(140, 150, test=True)
    listed = write_csv(tmp_path / "ucf_CLIP_rgbtest.csv", ucf_rows(videos, (5,)))
    test = read_vadclip_csv(listed, tmp_path, dataset="ucf_crime", split="test")
    assert test.crops == 1 and len(test) == 290
    assert test.videos[0].files == (tmp_path / "Abuse" / "Abuse001_x264__5.npy",)
    assert test.videos[140].files == (
        tmp_path / "Testing_Normal_Videos_Anomaly" / "Normal_Videos_001_x264__5.npy",
    )
    (tmp_path / "Abuse").mkdir()
    np.save(tmp_path / "Abuse" / "Abuse001_x264__5.npy", np.ones((4, 512), np.float32))
    assert test.load("Abuse001_x264").shape == (4, 1, 512)
    mixed = write_csv(tmp_path / "mixed.csv", ucf_rows(videos[:1], (5,)) + ucf_rows(videos[1:2], (0,)))
    with pytest.raises(
        AnnotationError, match=r"mixed\.csv: line 3: Shooting002_x264 lists crops \[0\], expected \[5\]"
    ):
        read_vadclip_csv(mixed, tmp_path, dataset="ucf_crime", split="test", check_counts=False)
    one = write_csv(tmp_path / "one.csv", ucf_rows(videos[:1], (5,)))
    with pytest.raises(AnnotationError, match=r"140 abnormal \+ 150 normal videos, found 1 \+ 0"):
        read_vadclip_csv(one, tmp_path, dataset="ucf_crime", split="test")


def test_labels_must_agree_with_names(tmp_path: Path) -> None:
    wrong = write_csv(tmp_path / "wrong.csv", [f"{PREFIX}/Abuse/Arrest001_x264__0.npy,Abuse"])
    with pytest.raises(
        AnnotationError,
        match=r"wrong\.csv: line 2: Arrest001_x264 is labelled 'Abuse', its name says 'Arrest'",
    ):
        read_vadclip_csv(wrong, tmp_path, dataset="ucf_crime", split="train", check_counts=False)
    empty = write_csv(tmp_path / "empty.csv", [f"{PREFIX}/Abuse/Abuse001_x264__0.npy,"])
    with pytest.raises(AnnotationError, match=r"empty\.csv: line 2: Abuse001_x264 has an empty label"):
        read_vadclip_csv(empty, tmp_path, dataset="ucf_crime", split="train", check_counts=False)
    plain = tmp_path / "plain.list"
    plain.write_text(f"{PREFIX}/Abuse/Abuse001_x264__0.npy\n")
    with pytest.raises(AnnotationError, match=r"plain\.list: not a CSV list"):
        read_vadclip_csv(plain, tmp_path, dataset="ucf_crime", split="train", check_counts=False)


def test_xd_csv_labels_are_the_name_tags(tmp_path: Path) -> None:
    violent = [f"Film.{i}.1999__#00-0{i}-00_00-0{i}-30_label_B2-0-0" for i in range(3)]
    normal = ["Calm.2000__#00-01-00_00-02-00_label_A"]
    rows = [
        f"/home/xbgydx/Desktop/XDTestClipFeatures/{name}__0.npy,{name.rpartition('_label_')[2]}"
        for name in violent + normal
    ]
    listed = write_csv(tmp_path / "xd_CLIP_rgbtest.csv", rows)
    test = read_vadclip_csv(listed, tmp_path / "XD", dataset="xd_violence", split="test", check_counts=False)
    assert [v.label for v in test] == [1, 1, 1, 0]
    assert [v.class_name for v in test] == ["B2", "B2", "B2", "A"]
    assert test.videos[3].files == (tmp_path / "XD" / f"{normal[0]}__0.npy",)
    with pytest.raises(AnnotationError, match=r"500 abnormal \+ 300 normal videos, found 3 \+ 1"):
        read_vadclip_csv(listed, tmp_path, dataset="xd_violence", split="test")
    bad = write_csv(tmp_path / "bad.csv", [f"x/{violent[0]}__0.npy,B1-0-0"])
    with pytest.raises(
        AnnotationError, match=r"bad\.csv: line 2: .* is labelled 'B1-0-0', its name says 'B2-0-0'"
    ):
        read_vadclip_csv(bad, tmp_path, dataset="xd_violence", split="test", check_counts=False)


def test_other_datasets_take_the_label_column(tmp_path: Path) -> None:
    listed = write_csv(tmp_path / "mine.csv", ["f/a__0.npy,Running", "f/b__0.npy,normal"])
    mine = read_vadclip_csv(listed, tmp_path, dataset="synthetic", split="train")
    assert [(v.name, v.label, v.class_name) for v in mine] == [("a", 1, "Running"), ("b", 0, "normal")]
