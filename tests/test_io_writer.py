"""write_video and write_frame_folder: content, determinism, validation, clean failure."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.io import write_frame_folder, write_video


def gray_frames(count: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    """Frame i is a flat gray of level 20 + 5 i."""
    return [np.full((height, width, 3), 20 + 5 * i, dtype=np.uint8) for i in range(count)]


def test_written_video_reads_back_with_pyav(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    assert write_video(path, gray_frames(40), 25, crf=0) == 40
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 64, 48)
        assert stream.average_rate == 25
        assert stream.frames == 40
        levels = [float(f.to_ndarray(format="rgb24").mean()) for f in container.decode(stream)]
    np.testing.assert_allclose(levels, [20 + 5 * i for i in range(40)], atol=2.5)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_same_frames_give_identical_bytes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(12)]
    write_video(tmp_path / "a.mp4", frames, 25)
    write_video(tmp_path / "b.mp4", iter(frames), 25)
    write_video(tmp_path / "c.mp4", frames[::-1], 25)
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    assert (tmp_path / "a.mp4").read_bytes() != (tmp_path / "c.mp4").read_bytes()


def test_ntsc_rate_is_stored_exactly(tmp_path: Path) -> None:
    path = tmp_path / "ntsc.mp4"
    write_video(path, gray_frames(5), 29.97)
    with av.open(str(path)) as container:
        assert container.streams.video[0].average_rate == Fraction(2997, 100)


def test_faststart_moves_the_index_before_the_data(tmp_path: Path) -> None:
    write_video(tmp_path / "end.mp4", gray_frames(10), 25)
    write_video(tmp_path / "front.mp4", gray_frames(10), 25, faststart=True)
    end, front = (tmp_path / "end.mp4").read_bytes(), (tmp_path / "front.mp4").read_bytes()
    assert end.index(b"moov") > end.index(b"mdat")
    assert front.index(b"moov") < front.index(b"mdat")


def test_encoder_options_reach_the_encoder(tmp_path: Path) -> None:
    path = tmp_path / "gop4.mp4"
    write_video(path, gray_frames(16), 25, options={"g": "4", "bf": "0"})
    with av.open(str(path)) as container:
        keys = [p.is_keyframe for p in container.demux(video=0) if p.size]
    assert np.flatnonzero(keys).tolist() == [0, 4, 8, 12]


def test_other_codec_and_container(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    assert write_video(path, gray_frames(16), 25, codec="mpeg4", crf=None) == 16
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (container.format.name, stream.codec_context.name, stream.frames) == ("avi", "mpeg4", 16)


@pytest.mark.parametrize(
    ("frames", "fps", "message"),
    [
        ([], 25, "no frames"),
        ([np.zeros((48, 64, 3), np.float32)], 25, "frame 0 must be a uint8"),
        ([np.zeros((48, 64), np.uint8)], 25, "frame 0 must be a uint8"),
        ([np.zeros((47, 64, 3), np.uint8)], 25, "even width and height"),
        (gray_frames(1), 0, "fps must be positive"),
        ([*gray_frames(3), np.zeros((48, 32, 3), np.uint8)], 25, "frame 3 is"),
        ([*gray_frames(3), np.zeros((48, 64, 4), np.uint8)], 25, "frame 3 must be a uint8"),
    ],
)
def test_bad_input_raises_and_leaves_no_file(tmp_path: Path, frames: list, fps: float, message: str) -> None:
    path = tmp_path / "bad.mp4"
    with pytest.raises(ValidationError, match=message) as caught:
        write_video(path, frames, fps)
    assert str(path) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif"])
def test_frame_folder_is_lossless_and_named_like_the_benchmarks(tmp_path: Path, ext: str) -> None:
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (6, 5, 3), dtype=np.uint8) for _ in range(12)]
    files = write_frame_folder(tmp_path / "01", frames, ext)
    assert [f.name for f in files] == [f"{i:03d}{ext}" for i in range(1, 13)]
    for file, frame in zip(files, frames, strict=True):
        assert np.array_equal(cv2.cvtColor(cv2.imread(str(file)), cv2.COLOR_BGR2RGB), frame)


def test_frame_folder_numbering_and_grayscale(tmp_path: Path) -> None:
    frames = [np.full((4, 4), 7 * i, dtype=np.uint8) for i in range(3)]
    files = write_frame_folder(tmp_path, frames, ".jpg", start_index=0, digits=5)
    assert [f.name for f in files] == ["00000.jpg", "00001.jpg", "00002.jpg"]
    assert cv2.imread(str(files[2]), cv2.IMREAD_UNCHANGED).ndim == 2


def test_frame_folder_rejects_unknown_type_and_bad_frames(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"image type '\.gif'"):
        write_frame_folder(tmp_path, gray_frames(1), ".gif")
    with pytest.raises(ValidationError, match="frame 0 must be a uint8"):
        write_frame_folder(tmp_path, [np.zeros((4, 4, 2), np.uint8)], ".png")


def test_frame_folder_reports_an_image_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "001.png").mkdir()
    with pytest.raises(OSError, match=r"001\.png"):
        write_frame_folder(tmp_path, gray_frames(1), ".png")


_ENCODE_DECODE_CHAIN = """
import hashlib, sys, pathlib
import numpy as np
from vadkit.io import open_video, write_video
out = pathlib.Path(sys.argv[1])
out.mkdir()
digests = []
for clip in range(4):
    rng = np.random.default_rng(clip)
    background = rng.integers(60, 200, (120, 160, 1), dtype=np.uint8)
    frames = []
    for t in range(60):
        frame = np.repeat(background, 3, axis=2).copy()
        frame[40:60, 2 * t : 2 * t + 12] = 20
        frames.append(frame)
    path = out / f"clip{clip}.mp4"
    write_video(path, frames, 25.0)
    with open_video(path) as reader:
        sum(1 for _ in reader.iter_frames())
    digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
print(" ".join(digests))
"""


def test_encoding_does_not_depend_on_what_the_process_did_before(tmp_path: Path) -> None:
    # Render, encode and decode clips one after the other, as the synthetic generator does. Without
    # vadkit.io.heap.deterministic_heap, leftover heap bytes changed x264's output for the same frames in most
    # such runs (every file after the first of a process could differ).
    runs = [
        subprocess.run(
            [sys.executable, "-c", _ENCODE_DECODE_CHAIN, str(tmp_path / f"run{run}")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for run in range(3)
    ]
    assert len(runs[0]) == 4 and runs[0] == runs[1] == runs[2]
