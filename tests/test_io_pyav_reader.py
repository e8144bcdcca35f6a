"""PyAVReader: metadata, exact indexed access (seeking and its fallback), threading, resizing."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np
import pytest

from vadkit.errors import ValidationError, VideoDecodeError
from vadkit.io import PyAVReader, write_video

COUNT = 40


def gray_frames(count: int = COUNT, width: int = 64, height: int = 48) -> list[np.ndarray]:
    """Frame i is a flat gray of level 20 + 5 i."""
    return [np.full((height, width, 3), 20 + 5 * i, dtype=np.uint8) for i in range(count)]


def frame_number(frame: np.ndarray) -> int:
    return round((float(frame.mean()) - 20) / 5)


def textured_frames(count: int = COUNT) -> list[np.ndarray]:
    """Random texture plus a per-frame offset: every frame differs everywhere (B-frames get real work)."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 200, (48, 64, 3), dtype=np.uint8)
    return [np.roll(base, 3 * i, axis=1) for i in range(count)]


def pyav_decode(path: Path) -> list[np.ndarray]:
    """Every frame through PyAV directly: the independent reference."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.fixture
def gop8_mp4(tmp_path: Path) -> Path:
    """H.264 mp4 with B-frames (reordered timestamps) and a keyframe every 8 frames."""
    path = tmp_path / "gop8.mp4"
    write_video(
        path, textured_frames(), 25, crf=20, options={"g": "8", "keyint_min": "8", "sc_threshold": "0"}
    )
    return path


def test_metadata_from_the_container(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_video(path, gray_frames(), 30000 / 1001, crf=0)
    with PyAVReader(path) as reader:
        info = reader.info
        assert (info.width, info.height, info.codec) == (64, 48, "h264")
        assert info.fps == pytest.approx(30000 / 1001)
        assert (info.container_frames, info.decoded_frames, info.num_frames) == (COUNT, None, COUNT)
        assert info.duration_s == pytest.approx(COUNT * 1001 / 30000)
        assert reader.count_frames() == COUNT
        assert (reader.info.decoded_frames, reader.info.num_frames) == (COUNT, COUNT)
        assert reader.outcome is not None and reader.outcome.status == "ok"


def test_frames_match_pyav_and_the_written_content(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_video(path, gray_frames(), 25, crf=0)
    with PyAVReader(path) as reader:
        frames = list(reader.iter_frames())
    assert [frame_number(f) for f in frames] == list(range(COUNT))
    for ours, theirs in zip(frames, pyav_decode(path), strict=True):
        assert ours.shape == (48, 64, 3) and ours.dtype == np.uint8
        assert np.array_equal(ours, theirs)


def test_mkv_without_a_declared_count_counts_packets(tmp_path: Path) -> None:
    path = tmp_path / "clip.mkv"
    write_video(path, gray_frames(), 25)
    with PyAVReader(path) as reader:
        assert (reader.info.container_frames, reader.info.num_frames) == (None, COUNT)
        assert reader.count_frames() == COUNT
        assert reader.outcome is not None and reader.outcome.frames_declared is None
        assert np.array_equal(reader.read_frames([33]), pyav_decode(path)[33][None])


def test_fps_override(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_video(path, gray_frames(5), 12.5)
    assert PyAVReader(path).info.fps == 12.5
    assert PyAVReader(path, fps=10).info.fps == 10.0


@pytest.mark.parametrize(
    "indices", [[35], [0, 1, 2], [3, 9, 10, 17, 31, 39], [39, 0, 20, 20, 7], list(range(40))]
)
def test_indexed_access_equals_sequential_decode(gop8_mp4: Path, indices: list[int]) -> None:
    reference = pyav_decode(gop8_mp4)
    with PyAVReader(gop8_mp4) as reader:
        got = reader.read_frames(indices)
    assert got.shape == (len(indices), 48, 64, 3)
    for frame, index in zip(got, indices, strict=True):
        assert np.array_equal(frame, reference[index])


def test_indexed_access_seeks_instead_of_decoding_from_the_start(
    gop8_mp4: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = []
    original = PyAVReader._decoded

    def counting(self, container, stream):
        for frame in original(self, container, stream):
            decoded.append(frame.pts)
            yield frame

    monkeypatch.setattr(PyAVReader, "_decoded", counting)
    with PyAVReader(gop8_mp4, threads=1) as reader:
        frame = reader.read_frames([35])[0]
        assert len(decoded) <= 8  # the keyframe at 32, then forward to 35 (plus reordering delay)
        decoded.clear()
        reader.read_frames([1, 2, 3, 4])
        assert len(decoded) <= 8
    assert np.array_equal(frame, pyav_decode(gop8_mp4)[35])


def test_avi_with_bframes_falls_back_to_exact_decoding(tmp_path: Path) -> None:
    # avi stores no presentation timestamps, so with B-frames the decoder's timestamps are not the container's
    path = tmp_path / "bframes.avi"
    write_video(path, textured_frames(), 25, options={"g": "8"})
    reference = pyav_decode(path)
    with PyAVReader(path) as reader:
        got = reader.read_frames([5, 12, 13, 30, 39])
        again = reader.read_frames([38])
    for frame, index in zip(got, [5, 12, 13, 30, 39], strict=True):
        assert np.array_equal(frame, reference[index])
    assert np.array_equal(again[0], reference[38])


def test_avi_without_bframes_seeks(tmp_path: Path) -> None:
    path = tmp_path / "mpeg4.avi"
    write_video(path, gray_frames(), 25, codec="mpeg4", crf=None, options={"g": "8", "qscale": "2"})
    reference = pyav_decode(path)
    with PyAVReader(path) as reader:
        got = reader.read_frames([2, 19, 33])
    for frame, index in zip(got, [2, 19, 33], strict=True):
        assert np.array_equal(frame, reference[index])


@pytest.mark.parametrize("threads", [1, 2, 0])
def test_thread_count_does_not_change_frames(gop8_mp4: Path, threads: int) -> None:
    reference = pyav_decode(gop8_mp4)
    with PyAVReader(gop8_mp4, threads=threads) as reader:
        frames = list(reader.iter_frames())
    assert len(frames) == COUNT
    assert all(np.array_equal(a, b) for a, b in zip(frames, reference, strict=True))


def test_resize_while_decoding(tmp_path: Path) -> None:
    split = np.zeros((48, 64, 3), dtype=np.uint8)
    split[:, 32:] = 200  # dark left half, bright right half
    path = tmp_path / "split.mp4"
    write_video(path, [split] * 4, 25, crf=0)
    with PyAVReader(path, size=(32, 60)) as reader:
        assert reader.frame_shape == (60, 32, 3)
        frames = list(reader.iter_frames())
        picked = reader.read_frames([3])
    assert frames[0].shape == (60, 32, 3)
    assert frames[0][:, :14].mean() < 10 and frames[0][:, 18:].mean() > 190
    assert np.array_equal(picked[0], frames[3])
    assert reader.info.width == 64  # info describes the source


def test_bad_arguments(gop8_mp4: Path) -> None:
    with pytest.raises(ValidationError, match="threads must be >= 0"):
        PyAVReader(gop8_mp4, threads=-1)
    with pytest.raises(ValidationError, match="size must be"):
        PyAVReader(gop8_mp4, size=(0, 10))
    with pytest.raises(ValidationError, match="on_error must be one of"):
        PyAVReader(gop8_mp4, on_error="ignore")


def test_raw_h264_without_timestamps_reads_by_decoding(tmp_path: Path) -> None:
    path = tmp_path / "clip.h264"  # an elementary stream: no container, no timestamps, no declared count
    write_video(path, textured_frames(), 25, options={"g": "8"})
    reference = pyav_decode(path)
    with PyAVReader(path) as reader:
        assert (reader.info.container_frames, reader.info.num_frames) == (None, COUNT)
        got = reader.read_frames([30, 4])
    assert np.array_equal(got[0], reference[30]) and np.array_equal(got[1], reference[4])


def test_a_container_that_cannot_seek_falls_back_to_decoding(
    gop8_mp4: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoSeek:
        """A container whose seek fails as FFmpeg's does for unseekable input."""

        def __init__(self, container: av.container.InputContainer) -> None:
            self._container = container

        def seek(self, *args: object, **kwargs: object) -> None:
            raise av.error.PermissionError(1, "seek refused")

        def __getattr__(self, name: str) -> object:
            return getattr(self._container, name)

    original = PyAVReader._opened

    @contextmanager
    def opened(self, path=None):
        with original(self, path) as (container, stream):
            yield NoSeek(container), stream

    monkeypatch.setattr(PyAVReader, "_opened", opened)
    with PyAVReader(gop8_mp4) as reader:
        got = reader.read_frames([12, 35])
    reference = pyav_decode(gop8_mp4)
    assert np.array_equal(got[0], reference[12]) and np.array_equal(got[1], reference[35])


def test_declared_frame_missing_after_the_fallback(tmp_path: Path) -> None:
    whole = tmp_path / "whole.avi"
    write_video(whole, textured_frames(), 25, options={"g": "8"})
    with av.open(str(whole)) as container:
        offsets = [p.pos for p in container.demux(video=0) if p.size]
    cut = tmp_path / "cut.avi"  # the avi header still declares 40 frames; the data stops before packet 30
    cut.write_bytes(whole.read_bytes()[: offsets[30]])
    with PyAVReader(cut) as reader:
        assert reader.info.container_frames == COUNT
        assert np.array_equal(reader.read_frames([5])[0], pyav_decode(whole)[5])  # B-frames: falls back
        with pytest.raises(VideoDecodeError, match="frame 35 cannot be decoded"):
            reader.read_frames([35])


def test_first_frame_undecodable(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    write_video(whole, textured_frames(), 25, faststart=True)
    with av.open(str(whole)) as container:
        first = next(p for p in container.demux(video=0) if p.size)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: first.pos + first.size // 2])
    with pytest.raises(VideoDecodeError, match="decoding the first frame failed") as caught:
        PyAVReader(cut)
    assert caught.value.path == str(cut)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError, match="does not exist"):
        PyAVReader(tmp_path / "missing.mp4")
    with pytest.raises(VideoDecodeError, match="is not a file"):
        PyAVReader(tmp_path)
