"""read_per_crop_list on UR-DMU (UCF-Crime, 10 crops, class folders) and XDVioDet (5 crops + VGGish) lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vadkit.data.feature_sets import read_per_crop_list
from vadkit.errors import AnnotationError, ValidationError

RNG = np.random.default_rng(5)


def urdmu_rows(abnormal: int, normal: int) -> tuple[list[str], list[str]]:
    names, rows = [], []
    for i in range(abnormal + normal):
        cls, name = (
            ("Abuse", f"Abuse{i + 1:03d}_x264")
            if i < abnormal
            else (
                "Training_Normal_Videos_Anomaly",
                f"Normal_Videos{i + 1 - abnormal:03d}_x264",
            )
        )
        names.append(name)
        rows += [f"dataset/{cls}/{name}__{k}.npy" for k in range(10)]
    return names, rows


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


def test_urdmu_ucf_list_collapses_crops_keeps_class_folders_and_loads(tmp_path: Path) -> None:
    names, rows = urdmu_rows(810, 800)
    rows[:10] = [rows[k] for k in (3, 0, 1, 2, 4, 5, 6, 7, 9, 8)]  # crops of one video out of order
    listed = write(tmp_path / "UCF_Train.list", rows)
    root = tmp_path / "UCF-I3D"
    crops = [RNG.standard_normal((4, 8)).astype(np.float32) for _ in range(10)]
    (root / "Abuse").mkdir(parents=True)
    for k, crop in enumerate(crops):
        np.save(root / "Abuse" / f"Abuse001_x264__{k}.npy", crop)

    train = read_per_crop_list(listed, root, dataset="ucf_crime", split="train")
    assert train.names == tuple(names) and train.crops == 10
    assert (len(train.abnormal), len(train.normal)) == (810, 800)
    first = train.videos[0]
    assert first.files == tuple(root / "Abuse" / f"Abuse001_x264__{k}.npy" for k in range(10))
    assert (
        train.videos[810].files[0] == root / "Training_Normal_Videos_Anomaly" / "Normal_Videos001_x264__0.npy"
    )
    assert (train.videos[810].class_name, train.videos[810].label) == ("Normal", 0)
    np.testing.assert_array_equal(train.load("Abuse001_x264"), np.stack(crops, axis=1))
    flat = read_per_crop_list(listed, root, dataset="ucf_crime", split="train", keep_parts=1)
    assert flat.videos[0].files[0] == root / "Abuse001_x264__0.npy"


def test_crop_rows_must_be_complete_unique_and_suffixed(tmp_path: Path) -> None:
    _, rows = urdmu_rows(2, 1)
    missing = write(tmp_path / "a.list", rows[:19] + rows[20:])
    with pytest.raises(
        AnnotationError, match=r"a\.list: line 11: Abuse002_x264 lists crops \[0, .*, 8\], expected"
    ):
        read_per_crop_list(missing, tmp_path, dataset="ucf_crime", split="train", check_counts=False)
    doubled = write(tmp_path / "b.list", [*rows[:10], rows[10], *rows[10:19], *rows[20:]])
    with pytest.raises(
        AnnotationError, match=r"b\.list: line 12: crop 0 of Abuse002_x264 already on line 11"
    ):
        read_per_crop_list(doubled, tmp_path, dataset="ucf_crime", split="train", check_counts=False)
    plain = write(tmp_path / "c.list", ["dataset/Abuse/Abuse001_x264.npy"])
    with pytest.raises(AnnotationError, match=r"c\.list: line 1: .* has no crop suffix __<k>"):
        read_per_crop_list(plain, tmp_path, dataset="ucf_crime", split="train", check_counts=False)
    five = read_per_crop_list(
        write(tmp_path / "d.list", [f"x/v__{k}.npy" for k in range(5)]),
        tmp_path,
        dataset="other",
        split="s",
        abnormal_videos=["v"],
    )
    assert (
        five.crops == 5 and five.videos[0].label == 1
    )  # crop count of an unknown dataset: the first video's


def test_the_counts_check_fires_on_a_truncated_list(tmp_path: Path) -> None:
    _, rows = urdmu_rows(810, 800)
    listed = write(tmp_path / "UCF_Train.list", rows[:-20])
    with pytest.raises(AnnotationError, match=r"810 abnormal \+ 800 normal videos, found 810 \+ 798"):
        read_per_crop_list(listed, tmp_path, dataset="ucf_crime", split="train")


def xd_name(i: int, violent: bool) -> str:
    return f"Movie.{i}.2001__#00-00-{i % 60:02d}_00-01-00_label_" + ("B2-G-0" if violent else "A")


def xd_lists(tmp_path: Path, violent: int = 500, normal: int = 300) -> tuple[list[str], Path, Path]:
    names = [xd_name(i, True) for i in range(violent)] + [xd_name(violent + i, False) for i in range(normal)]
    rgb = [f"/media/peng/Samsung_T5/i3d-features/RGBTest/{name}__{k}.npy" for name in names for k in range(5)]
    audio = [f"/media/peng/Samsung_T5/vggish-features/test/{name}__vggish.npy" for name in names]
    return names, write(tmp_path / "rgb_test.list", rgb), write(tmp_path / "audio_test.list", audio)


def save_xd(
    root: Path, audio_root: Path, name: str, rgb_rows: int, audio_rows: int, audio_dim: int = 4
) -> np.ndarray:
    crops = RNG.standard_normal((rgb_rows, 5, 6)).astype(np.float32)
    for k in range(5):
        np.save(root / f"{name}__{k}.npy", crops[:, k])
    np.save(
        audio_root / f"{name}__vggish.npy", RNG.standard_normal((audio_rows, audio_dim)).astype(np.float32)
    )
    return crops


def test_xd_five_crops_with_vggish_and_the_mix2_rule(tmp_path: Path) -> None:
    names, rgb, audio = xd_lists(tmp_path)
    root, audio_root = tmp_path / "RGBTest", tmp_path / "vggish"
    root.mkdir()
    audio_root.mkdir()
    equal = save_xd(root, audio_root, names[0], 6, 6)
    extra = save_xd(root, audio_root, names[1], 7, 6)
    save_xd(root, audio_root, names[2], 8, 6)
    save_xd(root, audio_root, names[3], 5, 6)
    save_xd(root, audio_root, names[4], 6, 6, audio_dim=3)

    test = read_per_crop_list(
        rgb, root, dataset="xd_violence", split="test", audio_list=audio, audio_root=audio_root
    )
    assert test.names == tuple(names) and test.crops == 5 and test.has_audio
    assert (len(test.abnormal), len(test.normal)) == (500, 300)
    assert test.videos[0].class_name == "B2-G" and test.videos[-1].class_name == "A"
    assert test.videos[0].audio == audio_root / f"{names[0]}__vggish.npy"
    np.testing.assert_array_equal(test.load(names[0]), equal)
    # one RGB row more than audio: the last RGB row is dropped, in load and num_snippets alike
    np.testing.assert_array_equal(test.load(names[1]), extra[:6])
    assert test.num_snippets(names[1]) == 6 and test.load_audio(names[1]).shape == (6, 4)
    with pytest.raises(ValidationError, match=rf"{names[2]}: video features have 8 rows, audio 6 .*MIX2"):
        test.load(names[2])
    with pytest.raises(ValidationError, match=rf"{names[3]}: video features have 5 rows, audio 6"):
        test.load_audio(names[3])
    with pytest.raises(ValidationError, match=rf"{names[4]}: audio file .*: feature size 3, the set's is 4"):
        test.load_audio(names[4])
    no_audio = read_per_crop_list(rgb, root, dataset="xd_violence", split="test")
    assert no_audio.load(names[2]).shape == (8, 5, 6) and no_audio.load_audio(names[2]) is None


def test_the_audio_list_must_cover_exactly_the_videos(tmp_path: Path) -> None:
    names, rgb, audio = xd_lists(tmp_path, violent=2, normal=1)
    rows = audio.read_text().splitlines()
    short = write(tmp_path / "short.list", rows[:2])
    with pytest.raises(AnnotationError, match=rf"short\.list: no audio for 1 videos \(first: {names[2]}\)"):
        read_per_crop_list(
            rgb, tmp_path, dataset="xd_violence", split="test", audio_list=short, check_counts=False
        )
    more = write(tmp_path / "more.list", [*rows, "x/Other__#1_label_A__vggish.npy"])
    with pytest.raises(AnnotationError, match=r"more\.list: 1 audio rows for videos not in the video list"):
        read_per_crop_list(
            rgb, tmp_path, dataset="xd_violence", split="test", audio_list=more, check_counts=False
        )
    same_root = read_per_crop_list(
        rgb, tmp_path, dataset="xd_violence", split="test", audio_list=audio, check_counts=False
    )
    assert same_root.videos[0].audio == tmp_path / f"{names[0]}__vggish.npy"
    with pytest.raises(AnnotationError, match=r"500 abnormal \+ 300 normal videos, found 2 \+ 1"):
        read_per_crop_list(rgb, tmp_path, dataset="xd_violence", split="test")
