"""The dataset registry and build_ground_truth with CLI-style string options."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vadkit.data import DATASETS, build_ground_truth
from vadkit.errors import ValidationError


def test_every_dataset_is_registered() -> None:
    assert DATASETS.names() == ["avenue", "ped2", "shanghaitech", "synthetic", "ucf_crime", "xd_violence"]


def test_string_options_as_the_cli_passes_them(tmp_path: Path) -> None:
    annotation = tmp_path / "Temporal_Anomaly_Annotation.txt"
    annotation.write_text(
        "Abuse028_x264  Abuse  3  6  -1  -1  \nNormal_Videos_003_x264  Normal  -1  -1  -1  -1  \n"
    )
    counts = tmp_path / "counts.json"
    counts.write_text(json.dumps({"Abuse028_x264": 10, "Normal_Videos_003_x264": 5}))
    listed = tmp_path / "test.list"
    listed.write_text("Normal_Videos_003_x264\nAbuse028_x264\n")
    gts = build_ground_truth(
        "ucf_crime",
        str(annotation),
        convention="sultani",
        length="ceil16",
        snippet_length="4",
        frame_counts=str(counts),
        list_file=str(listed),
        check_counts="false",
    )
    assert list(gts) == ["Normal_Videos_003_x264", "Abuse028_x264"]
    # Sultani [2, 6) on 10 frames, ceil to 12 with the last label 0
    np.testing.assert_array_equal(gts["Abuse028_x264"].labels, [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(gts["Normal_Videos_003_x264"].labels, [0] * 8)


def test_option_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown dataset 'ucf'; known: avenue, ped2"):
        build_ground_truth("ucf", tmp_path)
    with pytest.raises(
        ValidationError, match=r"avenue: unknown ground-truth option\(s\) convention; accepted: length"
    ):
        build_ground_truth("avenue", tmp_path, convention="rtfm")
    with pytest.raises(ValidationError, match="option check_counts expects true or false, got 'maybe'"):
        build_ground_truth("xd_violence", tmp_path / "a.txt", check_counts="maybe")
    with pytest.raises(ValidationError, match="snippet_length must be a positive integer, got '0'"):
        build_ground_truth("shanghaitech", _one_mask(tmp_path), snippet_length="0")
    with pytest.raises(ValidationError, match=r"snippet_length must be a positive integer, got 2\.5"):
        build_ground_truth("shanghaitech", _one_mask(tmp_path), snippet_length=2.5)
    with pytest.raises(ValidationError, match="unknown length rule 'ceil'"):
        build_ground_truth("shanghaitech", _one_mask(tmp_path), length="ceil")


def _one_mask(tmp_path: Path) -> Path:
    folder = tmp_path / "test_frame_mask"
    folder.mkdir(exist_ok=True)
    np.save(folder / "01_0014.npy", np.array([0, 1], dtype=np.uint8))
    return folder
