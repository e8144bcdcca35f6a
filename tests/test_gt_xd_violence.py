"""XD-Violence annotations and ground truth, on files in the real formats (stray .mp4, per-crop lists)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from vadkit.data import XD_CLASS_NAMES, build_xd_violence_gt, read_xd_violence_annotation, xd_video_label
from vadkit.errors import AnnotationError
from vadkit.types import EventInterval

MOVIE = "Movie.A.1995__#00-00-01_00-00-10_label_B2-0-0"
CLIP = "v=abc__#1_label_G-B2-B6"
NORMAL = "Normal.Movie.2001__#1_label_A"
COUNTS = {MOVIE: 12, CLIP: 4, NORMAL: 6}
# 0-based exclusive end (XDVioDet): MOVIE [2, 5) and [7, 9); CLIP [0, 3)
MOVIE_LABELS = [0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0]
CLIP_LABELS = [1, 1, 1, 0]


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def annotations(tmp_path: Path) -> Path:
    return write(
        tmp_path / "annotations.txt", f"{MOVIE} 2 5 7 9\n{CLIP}.mp4 0 3"
    )  # stray .mp4, no final newline


@pytest.fixture
def multiclass(tmp_path: Path) -> Path:
    return write(tmp_path / "annotations_multiclasses.txt", f"{MOVIE} B2 2 5 B2 7 9\n{CLIP} G 0 2 B6 1 3\n")


@pytest.fixture
def rgb_test_list(tmp_path: Path) -> Path:
    rows = [
        f"/media/i3d-features/RGBTest/{name}__{k}.npy" for name in (CLIP, MOVIE, NORMAL) for k in range(5)
    ]
    return write(tmp_path / "rgb_test.list", "\n".join(rows) + "\n")


def test_video_label_tags() -> None:
    assert xd_video_label(MOVIE) == "B2"
    assert xd_video_label(CLIP) == "G-B2-B6"
    assert xd_video_label(NORMAL) == "A"
    assert XD_CLASS_NAMES["B6"] == "car accident" and XD_CLASS_NAMES["A"] == "normal"
    with pytest.raises(ValueError, match="not an XD-Violence name"):
        xd_video_label("Abuse028_x264")
    with pytest.raises(ValueError, match="not an XD-Violence name"):
        xd_video_label("x__#1_label_B9-0-0")


def test_binary_annotation_parses_and_strips_mp4(annotations: Path) -> None:
    parsed = read_xd_violence_annotation(annotations)
    assert list(parsed) == [MOVIE, CLIP]
    assert parsed[MOVIE].intervals == ((2, 5, None), (7, 9, None))
    assert parsed[CLIP].label == "G-B2-B6"


def test_ground_truth_with_list_and_normal_videos(
    annotations: Path, rgb_test_list: Path, tmp_path: Path
) -> None:
    counts = tmp_path / "frames.json"
    counts.write_text(json.dumps(COUNTS), encoding="utf-8")
    gts = build_xd_violence_gt(annotations, list_file=rgb_test_list, frame_counts=counts, check_counts=False)
    assert list(gts) == [CLIP, MOVIE, NORMAL]  # list order, five crop rows collapsed
    np.testing.assert_array_equal(gts[MOVIE].labels, MOVIE_LABELS)
    np.testing.assert_array_equal(gts[CLIP].labels, CLIP_LABELS)
    np.testing.assert_array_equal(gts[NORMAL].labels, [0] * 6)
    assert gts[NORMAL].label == "A" and gts[MOVIE].label == "B2"
    assert gts[MOVIE].events == (EventInterval(2, 5), EventInterval(7, 9))
    assert gts[MOVIE].source == "annotations.txt; 0-based exclusive (xdviodet); frames (n from frames.json)"


def test_multiclass_annotation_gives_event_classes(multiclass: Path) -> None:
    gts = build_xd_violence_gt(multiclass, frame_counts=COUNTS)
    assert gts[CLIP].events == (EventInterval(0, 2, "G"), EventInterval(1, 3, "B6"))
    np.testing.assert_array_equal(gts[CLIP].labels, CLIP_LABELS)  # union of the overlapping events
    np.testing.assert_array_equal(gts[MOVIE].labels, MOVIE_LABELS)
    assert gts[CLIP].source.startswith("annotations_multiclasses.txt;")


def test_xdviodet_length_rule(annotations: Path) -> None:
    # snippet length 4: MOVIE n=12 keeps floor(11/4)*4 = 8 frames; CLIP n=4 keeps floor(3/4)*4 = 0
    gts = build_xd_violence_gt(annotations, frame_counts=COUNTS, length="xdviodet", snippet_length=4)
    np.testing.assert_array_equal(gts[MOVIE].labels, MOVIE_LABELS[:8])
    assert gts[MOVIE].events == (EventInterval(2, 5), EventInterval(7, 8))
    assert gts[MOVIE].source.endswith("truncated=4")
    assert gts[CLIP].num_frames == 0 and gts[CLIP].events == ()


def test_snippet_rule_and_default_16(annotations: Path) -> None:
    gts = build_xd_violence_gt(annotations, length="snippets", snippet_counts={MOVIE: 1, CLIP: 2})
    np.testing.assert_array_equal(gts[MOVIE].labels, MOVIE_LABELS + [0] * 4)
    np.testing.assert_array_equal(gts[CLIP].labels, CLIP_LABELS + [0] * 28)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f"{MOVIE} 2 5 7", "expected '<s> <e>' pairs, got 3 fields"),
        (f"{MOVIE} B9 2 5", "unknown violence class 'B9'"),
        (f"{MOVIE} B2 2 5 B2 7", "expected '<cls> <s> <e>' triples"),
        (f"{MOVIE} B2 2 x", "expected an integer, got 'x'"),
        (f"{MOVIE}", "no interval after the video name"),
        ("Abuse028_x264 2 5", "is not an XD-Violence name"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = write(tmp_path / "annotations.txt", f"{CLIP} 0 3\r\n{line}\r\n")
    with pytest.raises(AnnotationError, match=rf"annotations\.txt: line 2: .*{re.escape(problem)}"):
        read_xd_violence_annotation(path)


def test_errors_unknown_video_missing_counts_and_count_check(
    annotations: Path, rgb_test_list: Path, tmp_path: Path
) -> None:
    with pytest.raises(
        AnnotationError, match=rf"{re.escape(MOVIE)}: length rule 'frames' needs its frame count"
    ):
        build_xd_violence_gt(annotations)
    with pytest.raises(
        AnnotationError, match=r"xd_violence test split should have 500 abnormal \+ 300 normal"
    ):
        build_xd_violence_gt(annotations, list_file=rgb_test_list, frame_counts=COUNTS)
    other = "Other.Movie__#1_label_B1-0-0"
    listed = write(tmp_path / "test.list", f"/x/{other}__0.npy\n")
    with pytest.raises(
        AnnotationError,
        match=rf"unknown video {re.escape(other)}: abnormal by its name but not in annotations",
    ):
        build_xd_violence_gt(annotations, list_file=listed, frame_counts=COUNTS, check_counts=False)
    dup = write(tmp_path / "dup.txt", f"{MOVIE} 1 2\n{MOVIE}.mp4 1 2\n")
    with pytest.raises(AnnotationError, match=r"line 2: .* already annotated at line 1"):
        read_xd_violence_annotation(dup)
