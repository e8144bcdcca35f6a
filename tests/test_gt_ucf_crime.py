"""UCF-Crime annotation parsing and ground truth, on files in the three real forms with their quirks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from vadkit.data import build_ucf_crime_gt, concatenate_labels, read_ucf_crime_annotation
from vadkit.errors import AnnotationError
from vadkit.types import EventInterval

# Official form: two-space separated, trailing spaces, a trailing TAB, one stray .mp4, CRLF, no final newline.
OFFICIAL = (
    "Abuse028_x264.mp4  Abuse  3  6  -1  -1  \r\n"
    "Arson011_x264  Arson  1  2  8  12  \t\r\n"
    "Normal_Videos_003_x264  Normal  -1  -1  -1  -1  "
)
# UR-DMU form with frame counts, shuffled order.
URDMU = (
    "Testing_Normal_Videos_Anomaly/Normal_Videos_003_x264.mp4 5 Normal -1 -1 -1 -1 \n"
    "Arson/Arson011_x264.mp4 10 Arson 1 2 8 12 \n"
    "Abuse/Abuse028_x264.mp4 10 Abuse 3 6 -1 -1 \n"
)
COUNTS = {"Abuse028_x264": 10, "Arson011_x264": 10, "Normal_Videos_003_x264": 5, "Normal_Videos_010_x264": 3}
# RTFM convention [s, e]: Abuse [3, 7); Arson [1, 3) and [8, 13) clamped to [8, 10)
RTFM_ABUSE = [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]
RTFM_ARSON = [0, 1, 1, 0, 0, 0, 0, 0, 1, 1]
# Sultani 1-based inclusive: Abuse [2, 6); Arson [0, 2) and [7, 12) clamped to [7, 10)
SULTANI_ABUSE = [0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
SULTANI_ARSON = [1, 1, 0, 0, 0, 0, 0, 1, 1, 1]


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def official(tmp_path: Path) -> Path:
    return write(tmp_path / "Temporal_Anomaly_Annotation.txt", OFFICIAL)


@pytest.fixture
def test_list(tmp_path: Path) -> Path:
    rows = ["Arson011_x264", "Abuse028_x264", "Normal_Videos_003_x264", "Normal_Videos_010_x264"]
    text = "".join(f"G:\\UCF_Test_ten_crop_i3d\\{name}_i3d.npy\r\n" for name in rows)
    return write(tmp_path / "ucf-i3d-test.list", text)


def test_official_form_parses_with_quirks(official: Path) -> None:
    annotations = read_ucf_crime_annotation(official)
    assert list(annotations) == ["Abuse028_x264", "Arson011_x264", "Normal_Videos_003_x264"]
    assert annotations["Arson011_x264"].intervals == ((1, 2, "Arson"), (8, 12, "Arson"))
    assert annotations["Normal_Videos_003_x264"].intervals == ()
    assert annotations["Abuse028_x264"].num_frames is None


def test_rtfm_default_convention_with_frame_counts(official: Path) -> None:
    gts = build_ucf_crime_gt(official, frame_counts=COUNTS)
    np.testing.assert_array_equal(gts["Abuse028_x264"].labels, RTFM_ABUSE)
    np.testing.assert_array_equal(gts["Arson011_x264"].labels, RTFM_ARSON)
    np.testing.assert_array_equal(gts["Normal_Videos_003_x264"].labels, [0] * 5)
    arson = gts["Arson011_x264"]
    assert arson.events == (EventInterval(1, 3, "Arson"), EventInterval(8, 10, "Arson"))
    assert arson.label == "Arson" and gts["Normal_Videos_003_x264"].label == "Normal"
    assert (
        arson.source
        == "Temporal_Anomaly_Annotation.txt; 0-based inclusive (rtfm); frames (n from mapping); clamped=1"
    )
    assert "clamped" not in gts["Abuse028_x264"].source


def test_sultani_convention(official: Path) -> None:
    gts = build_ucf_crime_gt(official, frame_counts=COUNTS, convention="sultani")
    np.testing.assert_array_equal(gts["Abuse028_x264"].labels, SULTANI_ABUSE)
    np.testing.assert_array_equal(gts["Arson011_x264"].labels, SULTANI_ARSON)
    assert "1-based inclusive (sultani)" in gts["Arson011_x264"].source


def test_urdmu_form_brings_its_frame_counts_and_agrees(official: Path, tmp_path: Path) -> None:
    urdmu = write(tmp_path / "UCF_Annotation.txt", URDMU)
    from_urdmu = build_ucf_crime_gt(urdmu)
    assert list(from_urdmu) == ["Normal_Videos_003_x264", "Arson011_x264", "Abuse028_x264"]  # file order
    assert from_urdmu["Arson011_x264"].source.endswith("frames (n from UCF_Annotation.txt); clamped=1")
    from_official = build_ucf_crime_gt(official, frame_counts=urdmu)
    for name, gt in from_official.items():
        np.testing.assert_array_equal(gt.labels, from_urdmu[name].labels)
        assert gt.events == from_urdmu[name].events
    # an explicit mapping takes precedence over the file's own counts
    longer = build_ucf_crime_gt(urdmu, frame_counts={"Abuse028_x264": 12})
    assert longer["Abuse028_x264"].num_frames == 12 and longer["Arson011_x264"].num_frames == 10


def test_list_fixes_order_and_adds_unannotated_normal_videos(official: Path, test_list: Path) -> None:
    gts = build_ucf_crime_gt(official, list_file=test_list, frame_counts=COUNTS, check_counts=False)
    assert list(gts) == ["Arson011_x264", "Abuse028_x264", "Normal_Videos_003_x264", "Normal_Videos_010_x264"]
    extra = gts["Normal_Videos_010_x264"]
    np.testing.assert_array_equal(extra.labels, [0, 0, 0])
    assert extra.label == "Normal" and "not annotated, normal by name" in extra.source
    vector = concatenate_labels(gts)
    assert vector.dtype == np.float64
    np.testing.assert_array_equal(vector, RTFM_ARSON + RTFM_ABUSE + [0] * 5 + [0] * 3)
    reordered = concatenate_labels(gts, order=["Abuse028_x264", "Arson011_x264"])
    np.testing.assert_array_equal(reordered, RTFM_ABUSE + RTFM_ARSON)
    with pytest.raises(AnnotationError, match="no ground truth for video Explosion001_x264"):
        concatenate_labels(gts, order=["Explosion001_x264"])


def test_snippet_length_rule_paints_on_the_snippet_grid(official: Path) -> None:
    # snippet length 4: Abuse T=3 -> 12 frames, [3, 7); Arson T=2 -> 8 frames, [1, 3), [8, 13) lies outside
    gts = build_ucf_crime_gt(
        official,
        length="snippets",
        snippet_length=4,
        snippet_counts={"Abuse028_x264": 3, "Arson011_x264": 2, "Normal_Videos_003_x264": 1},
    )
    np.testing.assert_array_equal(gts["Abuse028_x264"].labels, [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(gts["Arson011_x264"].labels, [0, 1, 1, 0, 0, 0, 0, 0])
    assert gts["Arson011_x264"].events == (EventInterval(1, 3, "Arson"),)
    assert gts["Arson011_x264"].source.endswith("snippets (T*4, T from mapping); dropped=1")
    np.testing.assert_array_equal(gts["Normal_Videos_003_x264"].labels, [0, 0, 0, 0])


def test_ceil16_rule_pads_with_the_last_label(official: Path) -> None:
    gts = build_ucf_crime_gt(official, frame_counts=COUNTS, length="ceil16", snippet_length=4)
    # Arson n=10 -> 12 frames; last label 1 repeated; Abuse -> 12 frames, last label 0
    np.testing.assert_array_equal(gts["Arson011_x264"].labels, [*RTFM_ARSON, 1, 1])
    np.testing.assert_array_equal(gts["Abuse028_x264"].labels, [*RTFM_ABUSE, 0, 0])
    assert gts["Arson011_x264"].source.endswith("clamped=1; padded=2")


def test_per_video_mat_files(tmp_path: Path, official: Path) -> None:
    folder = tmp_path / "Matlab_formate"
    folder.mkdir()
    savemat(
        folder / "Abuse028_x264.mat",
        {
            "Annotation_file": {
                "VideoName": "Abuse028_x264.mp4",
                "Anno": np.array([[3, 6]], np.uint8),
                "EventName": "Abuse",
            }
        },
    )
    savemat(
        folder / "Arson011_x264.mat",
        {
            "Annotation_file": {
                "VideoName": "Arson011_x264.mp4",
                "Anno": np.array([[1, 2], [8, 12]], np.uint16),
                "EventName": "Arson",
            }
        },
    )
    annotations = read_ucf_crime_annotation(folder)
    assert list(annotations) == ["Abuse028_x264", "Arson011_x264"]
    assert annotations["Arson011_x264"].intervals == ((1, 2, "Arson"), (8, 12, "Arson"))
    gts = build_ucf_crime_gt(folder, frame_counts=COUNTS)
    np.testing.assert_array_equal(gts["Abuse028_x264"].labels, RTFM_ABUSE)
    np.testing.assert_array_equal(gts["Arson011_x264"].labels, RTFM_ARSON)
    assert gts["Arson011_x264"].source.startswith("Matlab_formate; 0-based inclusive (rtfm)")
    single = read_ucf_crime_annotation(folder / "Abuse028_x264.mat")
    assert single["Abuse028_x264"].intervals == ((3, 6, "Abuse"),)


def test_mat_errors(tmp_path: Path) -> None:
    wrong = tmp_path / "Abuse028_x264.mat"
    savemat(
        wrong, {"Annotation_file": {"VideoName": "Abuse030_x264.mp4", "Anno": np.array([[3, 6]], np.uint8)}}
    )
    with pytest.raises(
        AnnotationError, match=r"Abuse028_x264\.mat: VideoName 'Abuse030_x264\.mp4' does not match"
    ):
        read_ucf_crime_annotation(wrong)
    savemat(wrong, {"other": np.zeros(2)})
    with pytest.raises(AnnotationError, match=r"no variable 'Annotation_file' \(variables: other\)"):
        read_ucf_crime_annotation(wrong)
    not_mat = tmp_path / "Broken.mat"
    not_mat.write_bytes(b"this is not a MATLAB file at all, just text....................................")
    with pytest.raises(AnnotationError, match=r"Broken\.mat: not a readable MATLAB file"):
        read_ucf_crime_annotation(not_mat)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AnnotationError, match=r"folder holds no \.mat annotation files"):
        read_ucf_crime_annotation(empty)


def test_missing_frame_count_names_the_video(official: Path) -> None:
    with pytest.raises(AnnotationError, match=r"Abuse028_x264: length rule 'frames' needs its frame count"):
        build_ucf_crime_gt(official)
    with pytest.raises(
        AnnotationError, match=r"Abuse028_x264: length rule 'snippets' needs its snippet count"
    ):
        build_ucf_crime_gt(official, length="snippets", frame_counts=COUNTS)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Abuse028_x264  Abuse  3  6  -1", "odd number of frame indices"),
        ("Abuse028_x264  Abuse  3  x  -1  -1", "expected an integer, got 'x'"),
        ("Abuse028_x264  165  240  -1  -1", "expected '<video> <Class> s1 e1"),
        ("Abuse028_x264  Abuse  3  -1", "half-missing interval"),
        ("Abuse028_x264", "expected '<video> <Class> s1 e1"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = write(tmp_path / "ann.txt", "Abuse030_x264  Abuse  1275  1360  -1  -1  \r\n\r\n" + line + "\r\n")
    with pytest.raises(AnnotationError, match=rf"ann\.txt: line 3: {problem}"):
        read_ucf_crime_annotation(path)


def test_duplicate_missing_and_unknown_videos(tmp_path: Path, official: Path) -> None:
    dup = write(tmp_path / "dup.txt", "A001_x264  Abuse  1  2  -1  -1\nA001_x264.mp4  Abuse  1  2  -1  -1\n")
    with pytest.raises(AnnotationError, match="line 2: A001_x264 already annotated at line 1"):
        read_ucf_crime_annotation(dup)
    with pytest.raises(AnnotationError, match=r"missing\.txt: file not found"):
        build_ucf_crime_gt(tmp_path / "missing.txt")
    listed = write(tmp_path / "test.list", "G:\\x\\Explosion001_x264_i3d.npy\r\n")
    with pytest.raises(
        AnnotationError, match="unknown video Explosion001_x264: abnormal by its name but not in"
    ):
        build_ucf_crime_gt(official, list_file=listed, frame_counts=COUNTS, check_counts=False)


def test_list_count_check_is_on_by_default(official: Path, test_list: Path) -> None:
    with pytest.raises(AnnotationError, match=r"ucf_crime test split should have 140 abnormal \+ 150 normal"):
        build_ucf_crime_gt(official, list_file=test_list, frame_counts=COUNTS)
