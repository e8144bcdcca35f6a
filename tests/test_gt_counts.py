"""Frame/snippet count sources (vadkit.data.counts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vadkit.data.counts import CountTable, read_counts
from vadkit.errors import AnnotationError


def test_mapping_keys_are_normalised_to_video_names() -> None:
    table = read_counts({"Abuse/Abuse028_x264.mp4": 10, "Normal_Videos_003_x264": "5"})
    assert dict(table.counts) == {"Abuse028_x264": 10, "Normal_Videos_003_x264": 5}
    assert table.origin == "mapping" and table.get("missing") is None
    assert read_counts(table) is table


def test_json_and_urdmu_text(tmp_path: Path) -> None:
    path = tmp_path / "counts.json"
    path.write_text(json.dumps({"01_001": 33, "01_002": 17}), encoding="utf-8")
    assert dict(read_counts(path).counts) == {"01_001": 33, "01_002": 17}
    assert read_counts(str(path)).origin == "counts.json"
    text = tmp_path / "UCF_Annotation.txt"
    text.write_bytes(
        b"Arson/Arson022_x264.mp4 8640 Arson 3500 4000 -1 -1 \r\n"
        b"Testing_Normal_Videos_Anomaly/Normal_Videos_872_x264.mp4 530 Normal -1 -1 -1 -1 \r\n"
    )
    assert dict(read_counts(text).counts) == {"Arson022_x264": 8640, "Normal_Videos_872_x264": 530}


def test_frame_folders_are_counted(tmp_path: Path) -> None:
    for video, frames in (("Test001", 3), ("Test002", 2)):
        (tmp_path / video).mkdir()
        for i in range(1, frames + 1):
            (tmp_path / video / f"{i:03d}.tif").touch()
    (tmp_path / "Test001" / "Thumbs.db").touch()  # not a frame
    (tmp_path / "empty").mkdir()
    table = read_counts(tmp_path)
    assert dict(table.counts) == {"Test001": 3, "Test002": 2}
    assert table.origin == f"frames counted in {tmp_path.name}/"


def test_count_errors(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match=r"a: count must be >= 0, got -3"):
        read_counts({"a": -3})
    with pytest.raises(AnnotationError, match=r"a: count must be an integer, got 2\.5"):
        read_counts({"a": 2.5})
    with pytest.raises(AnnotationError, match=r"nope\.json: count file not found"):
        read_counts(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{1: 2", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"bad\.json: invalid JSON"):
        read_counts(bad)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(AnnotationError, match="expected a JSON object"):
        read_counts(listed)
    text = tmp_path / "counts.txt"
    text.write_text("a 10\nb ten\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"counts\.txt: line 2: expected '<video> <count> \.\.\.'"):
        read_counts(text)
    (tmp_path / "frames").mkdir()
    with pytest.raises(AnnotationError, match="no subfolder holds image frames"):
        read_counts(tmp_path / "frames")


def test_count_table_is_read_only() -> None:
    table = CountTable({"a": 1})
    with pytest.raises(TypeError):
        table.counts["a"] = 2  # type: ignore[index]
