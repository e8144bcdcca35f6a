"""The same interface behaviour from both readers: a near-lossless mp4 and a png frame folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vadkit.errors import ValidationError, VideoDecodeError
from vadkit.io import FrameFolderReader, PyAVReader, VideoReader, open_video, write_frame_folder, write_video
from vadkit.types import SnippetSpec

COUNT = 40


def gray_frames(count: int = COUNT) -> list[np.ndarray]:
    """Frame i is a flat gray of level 20 + 5 i, with a white bar in its left quarter."""
    frames = [np.full((48, 64, 3), 20 + 5 * i, dtype=np.uint8) for i in range(count)]
    for frame in frames:
        frame[:, :16] = 255
    return frames


def frame_number(frame: np.ndarray) -> int:
    """The index a frame of :func:`gray_frames` encodes (read from its right three quarters)."""
    width = frame.shape[1]
    return round((float(frame[:, width // 3 + 2 :].mean()) - 20) / 5)


@pytest.fixture(params=["mp4", "folder"])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "mp4":
        path = tmp_path / "clip.mp4"
        write_video(path, gray_frames(), 25, crf=0, options={"g": "8"})
        return path
    return write_frame_folder(tmp_path / "clip", gray_frames(), ".png")[0].parent


def test_open_video_picks_the_reader(source: Path) -> None:
    with open_video(source) as reader:
        assert isinstance(reader, VideoReader)
        assert isinstance(reader, FrameFolderReader if source.is_dir() else PyAVReader)
        assert (reader.info.num_frames, reader.info.width, reader.info.height, reader.info.fps) == (
            COUNT,
            64,
            48,
            25,
        )
        assert reader.frame_shape == (48, 64, 3)
        assert reader.outcome is None


def test_sequential_frames_carry_their_index(source: Path) -> None:
    with open_video(source) as reader:
        frames = list(reader.iter_frames())
        assert reader.outcome is not None and reader.outcome.status == "ok"
        assert reader.info.decoded_frames == COUNT
    assert [frame_number(f) for f in frames] == list(range(COUNT))
    assert all(f.shape == (48, 64, 3) and f.dtype == np.uint8 for f in frames)
    assert frames[0][:, :12].min() >= 250  # the bar is on the left: no mirrored or transposed output


def test_a_filtered_pass_converts_only_the_wanted_frames(source: Path) -> None:
    asked: list[int] = []

    def every_third(index: int) -> bool:
        asked.append(index)
        return index % 3 == 0

    with open_video(source) as reader:
        frames = list(reader.iter_frames_where(every_third))
        assert reader.outcome is not None and reader.outcome.status == "ok"
        assert reader.info.decoded_frames == COUNT  # every frame is decoded and counted
    assert asked == list(range(COUNT))
    assert [i for i, f in enumerate(frames) if f is not None] == list(range(0, COUNT, 3))
    assert all(frame_number(f) == i for i, f in enumerate(frames) if f is not None)


def test_indexed_equals_sequential(source: Path) -> None:
    indices = [0, 7, 8, 9, 23, 39, 8, 1]
    with open_video(source) as reader:
        frames = list(reader.iter_frames())
        got = reader.read_frames(np.asarray(indices, dtype=np.int32))
        empty = reader.read_frames([])
    assert got.shape == (len(indices), 48, 64, 3)
    assert all(np.array_equal(g, frames[i]) for g, i in zip(got, indices, strict=True))
    assert empty.shape == (0, 48, 64, 3) and empty.dtype == np.uint8


@pytest.mark.parametrize(
    ("indices", "message"),
    [
        ([40], r"frame index 40 is outside \[0, 40\)"),
        ([3, -1], "frame index -1"),
        ([1.5], "must be integers"),
    ],
)
def test_bad_indices(source: Path, indices: list, message: str) -> None:
    with open_video(source) as reader, pytest.raises(ValidationError, match=message) as caught:
        reader.read_frames(indices)
    assert str(source) in str(caught.value)
    with open_video(source) as reader, pytest.raises(ValidationError, match="must be 1-D"):
        reader.read_frames([[1, 2]])


@pytest.mark.parametrize(
    ("spec", "starts", "padded_last"),
    [
        (SnippetSpec(16, 16, "ceil"), [0, 16, 32], 8),  # 40 = 16 + 16 + 8: the last window repeats frame 39
        (SnippetSpec(16, 16, "floor"), [0, 16], 0),
        (SnippetSpec(16, 8, "ceil"), [0, 8, 16, 24], 0),  # 24 + 16 = 40 exactly
        (SnippetSpec(12, 10, "ceil"), [0, 10, 20, 30], 2),  # 30 + 12 = 42: two padded frames
        (SnippetSpec(4, 10, "floor"), [0, 10, 20, 30], 0),
    ],
)
def test_snippets(source: Path, spec: SnippetSpec, starts: list[int], padded_last: int) -> None:
    with open_video(source) as reader:
        frames = list(reader.iter_frames())
        windows = list(reader.iter_snippets(spec))
    assert [w for w, _, _, _ in windows] == list(range(len(starts)))
    assert [s for _, s, _, _ in windows] == starts
    assert len(windows) == spec.num_snippets(COUNT)
    for _, start, end, clip in windows:
        assert end == start + spec.length and clip.shape == (spec.length, 48, 64, 3)
        real = min(end, COUNT) - start
        assert all(np.array_equal(clip[k], frames[start + k]) for k in range(real))
        assert all(np.array_equal(clip[k], frames[-1]) for k in range(real, spec.length))
    assert max(0, windows[-1][2] - COUNT) == padded_last


def test_resize_on_decode_keeps_orientation(source: Path) -> None:
    with open_video(source, size=(32, 24)) as reader:
        assert reader.frame_shape == (24, 32, 3)
        frames = list(reader.iter_frames())
        assert np.array_equal(reader.read_frames([5])[0], frames[5])
    assert frames[0].shape == (24, 32, 3)
    assert [frame_number(f) for f in frames] == list(range(COUNT))
    assert frames[10][:, :6].min() >= 245


def test_closed_reader_refuses_work(source: Path) -> None:
    with open_video(source) as reader:
        next(reader.iter_frames())
    with pytest.raises(VideoDecodeError, match="the reader is closed"):
        list(reader.iter_frames())
    with pytest.raises(VideoDecodeError, match="the reader is closed"):
        reader.read_frames([0])


def test_close_releases_a_pass_left_open(source: Path) -> None:
    reader = open_video(source)
    frames = reader.iter_frames()
    first = next(frames)
    reader.close()
    assert frame_number(first) == 0
    assert reader.outcome is None
