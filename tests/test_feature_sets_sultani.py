"""read_sultani_c3d on ``<video>_C.txt`` files written as Sultani's MATLAB does (``"%f "`` rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vadkit.data.feature_sets import read_sultani_c3d
from vadkit.errors import AnnotationError, ValidationError

RNG = np.random.default_rng(13)


def write_c3d(path: Path, values: np.ndarray) -> np.ndarray:
    """Rows of ``"%f "`` (six decimals, a space after every value), as ``fprintf(fid, '%f ', row)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("".join(f"{v:f} " for v in row) + "\n" for row in values))
    return np.round(values, 6)


def test_folder_of_abnormal_and_normal_subfolders(tmp_path: Path) -> None:
    train = tmp_path / "Train"
    written = {
        name: write_c3d(
            train / folder / f"{name}_C.txt",
            RNG.random((32, 4096)) if name == "Arson002_x264" else RNG.random((32, 8)),
        )
        for folder, name in [
            ("Normal", "Normal_Videos002_x264"),
            ("Abnormal", "Arson002_x264"),
            ("Normal", "Normal_Videos001_x264"),
            ("Abnormal", "Abuse001_x264"),
        ]
    }
    c3d = read_sultani_c3d(train, split="train", check_counts=False)
    assert c3d.names == ("Abuse001_x264", "Arson002_x264", "Normal_Videos001_x264", "Normal_Videos002_x264")
    assert [v.label for v in c3d] == [1, 1, 0, 0]
    assert [v.class_name for v in c3d] == ["Abuse", "Arson", "Normal", "Normal"]
    assert c3d.videos[0].files == (train / "Abnormal" / "Abuse001_x264_C.txt",)
    loaded = c3d.load("Normal_Videos001_x264")
    assert loaded.shape == (32, 1, 8) and loaded.dtype == np.float32
    np.testing.assert_allclose(loaded[:, 0, :], written["Normal_Videos001_x264"], atol=1e-7)
    with pytest.raises(ValidationError, match=r"Arson002_x264: features have 1 crops of size 4096 .*size 8"):
        c3d.load("Arson002_x264")  # the first video (D = 8) sets the size
    with pytest.raises(AnnotationError, match=r"810 abnormal \+ 800 normal videos, found 2 \+ 2"):
        read_sultani_c3d(train, split="train")


def test_real_size_file_parses_to_32_by_4096(tmp_path: Path) -> None:
    expected = write_c3d(tmp_path / "Abuse001_x264_C.txt", RNG.random((32, 4096)))
    c3d = read_sultani_c3d(tmp_path, split="train", check_counts=False, dim=4096)
    np.testing.assert_allclose(c3d.load("Abuse001_x264")[:, 0], expected, atol=1e-7)
    assert c3d.num_snippets("Abuse001_x264") == 32


def test_lists_name_the_videos_and_order(tmp_path: Path) -> None:
    listed = tmp_path / "Anomaly_Train.txt"
    listed.write_text("Abuse/Abuse001_x264.mp4\nTraining_Normal_Videos_Anomaly/Normal_Videos001_x264.mp4\n")
    c3d = read_sultani_c3d(listed, tmp_path / "c3d", split="train", check_counts=False)
    assert [v.files[0] for v in c3d] == [
        tmp_path / "c3d" / "Abuse001_x264_C.txt",
        tmp_path / "c3d" / "Normal_Videos001_x264_C.txt",
    ]
    kept = read_sultani_c3d(listed, tmp_path / "c3d", split="train", check_counts=False, keep_parts=2)
    assert kept.videos[0].files[0] == tmp_path / "c3d" / "Abuse" / "Abuse001_x264_C.txt"
    named = tmp_path / "files.txt"
    named.write_text("/old/place/Abuse001_x264_C.txt\n")
    only = read_sultani_c3d(named, tmp_path, split="train", check_counts=False)
    assert only.names == ("Abuse001_x264",) and only.videos[0].files == (tmp_path / "Abuse001_x264_C.txt",)


def test_malformed_text_files_name_the_video(tmp_path: Path) -> None:
    write_c3d(tmp_path / "Abuse001_x264_C.txt", RNG.random((32, 4)))
    write_c3d(tmp_path / "Abuse002_x264_C.txt", RNG.random((31, 4)))
    (tmp_path / "Abuse003_x264_C.txt").write_text("0.1 0.2 0.3 0.4 \n" * 31 + "0.1 0.2 \n")
    nan = RNG.random((32, 4))
    nan[[4, 30], 1] = np.nan
    (tmp_path / "Abuse004_x264_C.txt").write_text(
        "".join("".join(f"{v:f} " for v in row) + "\n" for row in nan)
    )
    (tmp_path / "Abuse005_x264_C.txt").write_bytes(b"\xff\xfe binary")
    c3d = read_sultani_c3d(tmp_path, split="train", check_counts=False)
    with pytest.raises(
        ValidationError, match=r"Abuse002_x264: .*Abuse002_x264_C\.txt: 31 rows, the layout has 32"
    ):
        c3d.load("Abuse002_x264")
    with pytest.raises(ValidationError, match=r"Abuse003_x264: feature file .*: not rows of numbers"):
        c3d.load("Abuse003_x264")
    with pytest.raises(
        ValidationError, match=r"Abuse004_x264: .*NaN or inf in 2 of 32 rows \(0-based rows: 4, 30\)"
    ):
        c3d.load("Abuse004_x264")
    with pytest.raises(ValidationError, match=r"Abuse005_x264: feature file .*: not a text file"):
        c3d.load("Abuse005_x264")
    assert read_sultani_c3d(tmp_path, split="train", check_counts=False, segments=None).load(
        "Abuse002_x264"
    ).shape == (31, 1, 4)


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match=r"no \*_C\.txt feature files"):
        read_sultani_c3d(tmp_path, split="train")
    write_c3d(tmp_path / "a" / "Abuse001_x264_C.txt", np.ones((32, 2)))
    write_c3d(tmp_path / "b" / "Abuse001_x264_C.txt", np.ones((32, 2)))
    with pytest.raises(AnnotationError, match=r"Abuse001_x264 has two feature files"):
        read_sultani_c3d(tmp_path, split="train", check_counts=False)
    with pytest.raises(AnnotationError, match=r"shanghaitech names carry no label and a folder has no order"):
        read_sultani_c3d(tmp_path / "a", dataset="shanghaitech", split="train")
