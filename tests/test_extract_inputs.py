"""Which videos an extraction reads, their ids (output names), and how shards split them."""

from __future__ import annotations

from pathlib import Path

import pytest

from vadkit.errors import ValidationError
from vadkit.features.inputs import VideoSource, collect_videos, find_videos, read_list_file
from vadkit.features.shards import Shard


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Videos in class folders, a Ped2-like frame folder with its mask folder, and files that are no video.

    Listing never opens a file, so the "videos" here are placeholders.
    """
    root = tmp_path / "videos"
    touch(root / "Running" / "s01_0010.mp4")
    touch(root / "Running" / "s01_0003.MP4")
    touch(root / "Walking" / "a.avi")
    touch(root / "Walking" / "b.mkv")
    touch(root / "Bad.Boys.1995__#00-26-51_00-27-53_label_A.mp4")
    for name in ("001.tif", "002.tif", "010.tif"):
        touch(root / "Test001" / name)
    touch(root / "Test001_gt" / "001.bmp")
    touch(root / "Walking" / "notes.txt")
    touch(root / ".hidden.mp4")
    touch(root / ".cache" / "c.mp4")
    return root


def test_folder_search_finds_videos_and_frame_folders_with_relative_ids(tree: Path) -> None:
    found = find_videos(tree)
    assert [source.video for source in found] == [
        "Bad.Boys.1995__#00-26-51_00-27-53_label_A",  # dots kept, only .mp4 removed
        "Running/s01_0003",  # natural order: 3 before 10; extension case ignored
        "Running/s01_0010",
        "Test001",
        "Test001_gt",
        "Walking/a",
        "Walking/b",
    ]
    assert found[1].path == tree / "Running" / "s01_0003.MP4"
    assert found[3].path == tree / "Test001"


def test_a_frame_folder_given_directly_is_one_video(tree: Path) -> None:
    assert find_videos(tree / "Test001") == [VideoSource("Test001", tree / "Test001")]


def test_exclude_drops_ids_by_glob(tree: Path) -> None:
    videos = [source.video for source in collect_videos(tree, exclude=["*_gt", "Walking/*"])]
    assert videos == [
        "Bad.Boys.1995__#00-26-51_00-27-53_label_A",
        "Running/s01_0003",
        "Running/s01_0010",
        "Test001",
    ]


def test_list_file_resolves_entries_against_its_folder_or_root(tree: Path, tmp_path: Path) -> None:
    outside = touch(tmp_path / "elsewhere" / "extra.mp4")
    listing = tree / "test.list"
    listing.write_bytes(
        b"\xef\xbb\xbfRunning/s01_0010.mp4\r\n\r\nTest001  \r\n"
        + str(outside).encode()
        + b"\r\nWalking/a.avi"
    )
    sources = read_list_file(listing)
    assert [source.video for source in sources] == ["Running/s01_0010", "Test001", "extra", "Walking/a"]
    assert sources[0].path == tree / "Running" / "s01_0010.mp4"
    # The same entries against another root: ids and paths follow it.
    moved = tmp_path / "test.list"
    moved.write_text("Running/s01_0010.mp4\n")
    assert read_list_file(moved, root=tree) == [
        VideoSource("Running/s01_0010", tree / "Running/s01_0010.mp4")
    ]


def test_list_entries_need_not_exist_yet(tmp_path: Path) -> None:
    listing = touch(tmp_path / "videos.txt", "missing/clip.mp4\n")
    # A missing video is not a listing error: the runner records it as failed and goes on.
    assert collect_videos(listing) == [VideoSource("missing/clip", tmp_path / "missing" / "clip.mp4")]


def test_named_videos_are_known_by_name_or_relative_to_root(tree: Path) -> None:
    video = tree / "Walking" / "a.avi"
    assert collect_videos([video]) == [VideoSource("a", video)]
    assert collect_videos([video], root=tree) == [VideoSource("Walking/a", video)]


def test_duplicates_are_dropped_in_input_order(tree: Path) -> None:
    a, b = tree / "Walking" / "a.avi", tree / "Walking" / "b.mkv"
    assert [s.video for s in collect_videos([b, a, b, tree / "Walking" / ".." / "Walking" / "b.mkv"])] == [
        "b",
        "a",
    ]


def test_two_videos_with_one_id_are_an_error_naming_both(tmp_path: Path) -> None:
    first = touch(tmp_path / "x" / "clip.mp4")
    second = touch(tmp_path / "y" / "clip.avi")
    with pytest.raises(ValidationError, match=r"both be written as clip\.npy") as caught:
        collect_videos([first, second])
    assert str(first) in str(caught.value) and str(second) in str(caught.value)


def test_the_manifest_id_is_reserved(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="'manifest' is reserved"):
        collect_videos(touch(tmp_path / "manifest.mp4"))


def test_a_missing_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="input does not exist") as caught:
        collect_videos(tmp_path / "absent")
    assert str(tmp_path / "absent") in str(caught.value)


def test_a_folder_without_videos_is_named(tmp_path: Path) -> None:
    touch(tmp_path / "docs" / "readme.txt")
    with pytest.raises(ValidationError, match=r"no video .* and no frame folder") as caught:
        collect_videos(tmp_path / "docs")
    assert str(tmp_path / "docs") in str(caught.value)


def test_an_empty_list_is_named(tmp_path: Path) -> None:
    listing = touch(tmp_path / "empty.list", "\n \r\n")
    with pytest.raises(ValidationError, match="names no video") as caught:
        collect_videos(listing)
    assert str(listing) in str(caught.value)


def test_everything_excluded_is_an_error(tree: Path) -> None:
    with pytest.raises(ValidationError, match="no video to extract"):
        collect_videos(tree, exclude=["*"])


def test_shards_deal_naturally_sorted_ids_round_robin() -> None:
    names = ["v10", "v2", "v1", "v3", "v11"]  # natural order: v1 v2 v3 v10 v11
    sources = [VideoSource(name, Path(name)) for name in names]
    # k-th in natural order -> shard k mod 2; each shard keeps the input order
    assert [s.video for s in Shard(0, 2).select(sources)] == ["v1", "v3", "v11"]
    assert [s.video for s in Shard(1, 2).select(sources)] == ["v10", "v2"]
    # the assignment does not depend on the input order
    assert {s.video for s in Shard(1, 2).select(sources[::-1])} == {"v2", "v10"}
    assert [s.video for s in Shard(0, 1).select(sources)] == names
    assert Shard(4, 5).select(sources[:3]) == []


@pytest.mark.parametrize(
    ("text", "shard"), [("0/4", Shard(0, 4)), (" 3 / 4 ", Shard(3, 4)), ("0/1", Shard(0, 1))]
)
def test_shard_parsing(text: str, shard: Shard) -> None:
    assert Shard.parse(text) == shard
    assert Shard.parse(str(shard)) == shard


@pytest.mark.parametrize("text", ["4/4", "1/0", "-1/2", "1", "a/b", "1/2/3"])
def test_bad_shards_are_rejected(text: str) -> None:
    with pytest.raises(ValidationError, match="shard"):
        Shard.parse(text)
