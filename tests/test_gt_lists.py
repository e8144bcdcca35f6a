"""List-file reading, video names and split counts (vadkit.data.lists), on files in the real formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from vadkit.data.lists import (
    KNOWN_SPLIT_COUNTS,
    check_split_counts,
    is_abnormal_name,
    parse_int,
    read_lines,
    read_list_entries,
    read_split,
    read_video_list,
    video_name,
)
from vadkit.errors import AnnotationError


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_read_lines_handles_every_line_ending_and_trailing_whitespace(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.txt", "a\r\nb \t\r\n\r\n  c\rd  \n\n\te"
    )  # lone \r, blank lines, no final newline
    lines = read_lines(path)
    assert [(line.number, line.text) for line in lines] == [
        (1, "a"),
        (2, "b"),
        (4, "  c"),
        (5, "d"),
        (7, "\te"),
    ]


def test_read_lines_skips_a_bom_and_reports_missing_or_binary_files(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfAbuse028_x264\n")
    assert [line.text for line in read_lines(path)] == ["Abuse028_x264"]
    with pytest.raises(AnnotationError, match=r"nothing\.txt: file not found"):
        read_lines(tmp_path / "nothing.txt")
    binary = tmp_path / "bin.list"
    binary.write_bytes(b"\xff\xfe\x00abc")
    with pytest.raises(AnnotationError, match=r"bin\.list: not UTF-8"):
        read_lines(binary)


@pytest.mark.parametrize(
    ("entry", "name"),
    [
        ("G:\\UCF_Train_ten_crop_i3d\\Abuse001_x264_i3d.npy", "Abuse001_x264"),
        ("/home/yu/yu_ssd/SH_Train_ten_crop_i3d/01_0014_i3d.npy", "01_0014"),
        ("Abuse/Abuse001_x264.mp4", "Abuse001_x264"),
        ("dataset/Abuse/Abuse001_x264__0.npy", "Abuse001_x264"),
        ("Arson011_x264.mp4", "Arson011_x264"),
        ("Arson011_x264", "Arson011_x264"),
        ("  Normal_Videos_003_x264.mp4 ", "Normal_Videos_003_x264"),
        (
            "/m/RGBTest/Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6__3.npy",
            "Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6",
        ),
        ("/m/test/v=yviKz5J-pEA__#1_label_A__vggish.npy", "v=yviKz5J-pEA__#1_label_A"),
        ("v=U6MC8JJJZSY__#1_label_G-0-0.mp4", "v=U6MC8JJJZSY__#1_label_G-0-0"),
        ("Bad.Boys.1995__#00-26-51_00-27-53_label_B2-0-0", "Bad.Boys.1995__#00-26-51_00-27-53_label_B2-0-0"),
        (
            "/x/UCFClipFeatures/Testing_Normal_Videos_Anomaly/Normal_Videos_943_x264__5.npy",
            "Normal_Videos_943_x264",
        ),
    ],
)
def test_video_name(entry: str, name: str) -> None:
    assert video_name(entry) == name


def test_video_name_rejects_an_empty_entry() -> None:
    with pytest.raises(ValueError, match="no video name"):
        video_name("G:\\features\\")


def test_rtfm_list_with_crlf_and_windows_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ucf-i3d-test.list",
        "G:\\UCF_Test_ten_crop_i3d\\Abuse028_x264_i3d.npy\r\n"
        "G:\\UCF_Test_ten_crop_i3d\\Arrest001_x264_i3d.npy\r\n"
        "G:\\UCF_Test_ten_crop_i3d\\Normal_Videos_003_x264_i3d.npy\r\n",
    )
    assert read_video_list(path) == ["Abuse028_x264", "Arrest001_x264", "Normal_Videos_003_x264"]


def test_per_crop_list_collapses_consecutive_crops(tmp_path: Path) -> None:
    a, n = "Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6", "wangted.2008__#0-27-17_0-28-07_label_A"
    rows = [f"/media/RGBTest/{a}__{k}.npy" for k in range(5)] + [
        f"/media/RGBTest/{n}__{k}.npy" for k in range(5)
    ]
    path = write(tmp_path / "rgb_test.list", "\n".join(rows))
    entries = read_list_entries(path)
    assert [(e.name, e.label, e.line) for e in entries] == [(a, None, 1), (n, None, 6)]


def test_vadclip_csv_list(tmp_path: Path) -> None:
    rows = ["path,label"]
    rows += [f"/d/UCFClipFeatures/Abuse/Abuse001_x264__{k}.npy,Abuse" for k in range(10)]
    rows += [
        f"/d/UCFClipFeatures/Training_Normal_Videos_Anomaly/Normal_Videos001_x264__{k}.npy,Normal"
        for k in (0, 1)
    ]
    path = write(tmp_path / "ucf_CLIP_rgb.csv", "\r\n".join(rows) + "\r\n")
    entries = read_list_entries(path)
    assert [(e.name, e.label) for e in entries] == [
        ("Abuse001_x264", "Abuse"),
        ("Normal_Videos001_x264", "Normal"),
    ]


def test_list_errors_name_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.list", "a_i3d.npy\nb_i3d.npy\na_i3d.npy\n")
    with pytest.raises(AnnotationError, match=r"bad\.list: line 3: a already listed at line 1"):
        read_video_list(path)
    path = write(tmp_path / "bad.csv", "path,label\nx/A__0.npy,Abuse\nx/A__1.npy,Normal\n")
    with pytest.raises(
        AnnotationError, match=r"bad\.csv: line 3: A labelled 'Normal', its earlier crops 'Abuse'"
    ):
        read_video_list(path)
    path = write(tmp_path / "nolabel.csv", "path,label\nx/A__0.npy\n")
    with pytest.raises(AnnotationError, match=r"nolabel\.csv: line 2: expected 'path,label'"):
        read_video_list(path)
    path = write(tmp_path / "empty.list", "\r\n\r\n")
    with pytest.raises(AnnotationError, match=r"empty\.list: the list names no video"):
        read_video_list(path)


def test_abnormal_from_names() -> None:
    assert is_abnormal_name("ucf_crime", "Abuse028_x264")
    assert not is_abnormal_name("ucf_crime", "Normal_Videos_003_x264")
    assert is_abnormal_name("xd_violence", "A.Movie__#1_label_B2-0-0")
    assert not is_abnormal_name("xd_violence", "A.Movie__#1_label_A")
    with pytest.raises(ValueError, match="shanghaitech"):
        is_abnormal_name("shanghaitech", "01_0014")


def _ucf_test_list(tmp_path: Path, abnormal: int, normal: int) -> Path:
    names = [f"G:\\T\\Abuse{i:03d}_x264_i3d.npy" for i in range(abnormal)]
    names += [f"G:\\T\\Normal_Videos_{i:03d}_x264_i3d.npy" for i in range(normal)]
    return write(tmp_path / "ucf-i3d-test.list", "\r\n".join(names) + "\r\n")


def test_split_counts_match_the_public_split(tmp_path: Path) -> None:
    split = read_split(_ucf_test_list(tmp_path, 140, 150), "ucf_crime")
    assert (split.num_abnormal, split.num_normal) == (140, 150)
    assert split.abnormal[:140] == (True,) * 140 and split.abnormal[140:] == (False,) * 150


def test_truncated_list_raises_a_clear_error_unless_disabled(tmp_path: Path) -> None:
    path = _ucf_test_list(tmp_path, 139, 150)
    with pytest.raises(AnnotationError, match=r"140 abnormal \+ 150 normal videos, found 139 \+ 150"):
        read_split(path, "ucf_crime")
    assert read_split(path, "ucf_crime", check_counts=False).num_abnormal == 139
    # the split is taken from the file name ("test" in it), or given explicitly
    with pytest.raises(AnnotationError, match="ucf_crime train split should have 810 abnormal"):
        read_split(path, "ucf_crime", split="train")


def test_shanghaitech_split_needs_the_abnormal_videos(tmp_path: Path) -> None:
    path = write(tmp_path / "SH_Test.txt", "01_0015\n01_0025\n05_001")
    with pytest.raises(AnnotationError, match="give abnormal_videos"):
        read_split(path, "shanghaitech")
    split = read_split(path, "shanghaitech", abnormal_videos={"01_0025"}, check_counts=False)
    assert split.abnormal == (False, True, False)


def test_known_counts_table_and_direct_check() -> None:
    assert KNOWN_SPLIT_COUNTS[("xd_violence", "train")] == (1905, 2049)
    assert KNOWN_SPLIT_COUNTS[("shanghaitech", "test")] == (44, 155)
    check_split_counts("x.list", "xd_violence", "test", 500, 300)
    check_split_counts("x.list", "my_dataset", "test", 1, 2)  # no known counts: nothing to check
    with pytest.raises(AnnotationError, match=r"x\.list: xd_violence test split should have 500"):
        check_split_counts("x.list", "xd_violence", "test", 500, 299)


def test_parse_int_names_file_and_line() -> None:
    assert parse_int("-1", "f.txt", 3) == -1
    with pytest.raises(AnnotationError, match=r"f\.txt: line 3: expected an integer, got '1.5'"):
        parse_int("1.5", "f.txt", 3)


def test_csv_without_header_is_recognised_by_suffix(tmp_path: Path) -> None:
    path = write(
        tmp_path / "xd_CLIP_rgbtest.csv",
        "/d/A.Movie__#1_label_B2-0-0__0.npy,B2-0-0\n/d/B__#1_label_A__0.npy,A\n",
    )
    assert [(e.name, e.label) for e in read_list_entries(path)] == [
        ("A.Movie__#1_label_B2-0-0", "B2-0-0"),
        ("B__#1_label_A", "A"),
    ]
