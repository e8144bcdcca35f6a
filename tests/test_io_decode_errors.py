"""Broken inputs and the on_error policy: every case is built in tmp_path in its real format."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import pytest

from vadkit.errors import VideoDecodeError
from vadkit.io import DecodeOutcome, open_video, settle_pass, write_frame_folder, write_video
from vadkit.types import SnippetSpec

COUNT = 40


def textured_frames(count: int = COUNT) -> list[np.ndarray]:
    """Random texture shifted per frame: frames big enough that a cut at half the bytes lands mid-stream."""
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    return [np.roll(base, 2 * i, axis=0) for i in range(count)]


def pyav_decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def packet_offsets(path: Path) -> list[int]:
    """Byte offset of each video packet in the file, as PyAV's demuxer reports it."""
    with av.open(str(path)) as container:
        return [p.pos for p in container.demux(video=0) if p.size]


@pytest.fixture
def intact(tmp_path: Path) -> Path:
    path = tmp_path / "intact.mp4"
    write_video(path, textured_frames(), 25, crf=18, faststart=True)
    return path


@pytest.fixture
def cut_mid_packet(tmp_path: Path, intact: Path) -> Path:
    """moov at the front, data cut at half the bytes: opens, then the decoder fails part way."""
    path = tmp_path / "cut_mid_packet.mp4"
    data = intact.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def cut_at_packet(tmp_path: Path, intact: Path) -> Path:
    """moov at the front, data cut exactly where packet 20 starts: 20 frames decode cleanly, 40 declared."""
    path = tmp_path / "cut_at_packet.mp4"
    path.write_bytes(intact.read_bytes()[: packet_offsets(intact)[20]])
    return path


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError, match="does not exist") as caught:
        open_video(tmp_path / "missing.mp4")
    assert caught.value.path == str(tmp_path / "missing.mp4")


def test_text_file_named_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are not video frames\n" * 50)
    with pytest.raises(VideoDecodeError, match="cannot be opened as a video") as caught:
        open_video(path)
    assert caught.value.path == str(path)


def test_truncated_mp4_with_index_at_the_end(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    write_video(whole, textured_frames(), 25)
    data = whole.read_bytes()
    assert data.index(b"moov") > data.index(b"mdat")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoDecodeError, match="cannot be opened as a video") as caught:
        open_video(cut)
    assert "cut.mp4" in str(caught.value)


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    path = tmp_path / "sound.wav"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 800)
    with pytest.raises(VideoDecodeError, match="has no video stream"):
        open_video(path)


def test_zero_frame_video(tmp_path: Path) -> None:
    path = tmp_path / "empty.avi"
    with av.open(str(path), "w") as container:  # a video stream, no frame
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    with av.open(str(path)) as check:
        assert len(check.streams.video) == 1
    with pytest.raises(VideoDecodeError, match="contains no frames"):
        open_video(path)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError, match="contains no frame images"):
        open_video(tmp_path)


@pytest.mark.parametrize("threads", [1, 0])
def test_decoder_failure_mid_stream_raises(cut_mid_packet: Path, threads: int) -> None:
    # With frame threading FFmpeg may drop the decoder's error and just stop: the count check still catches it
    reader = open_video(cut_mid_packet, threads=threads)
    assert reader.info.container_frames == COUNT
    frames = []
    with pytest.raises(VideoDecodeError, match=r"decoded \d+ of the 40 declared frames") as caught:
        frames.extend(reader.iter_frames())
    assert caught.value.path == str(cut_mid_packet)
    assert 0 < len(frames) < COUNT
    assert reader.outcome is None
    if threads == 1:
        assert caught.value.problem.startswith("decoding failed (Invalid data found when processing input)")


def test_decoder_failure_mid_stream_partial_keeps_the_frames(cut_mid_packet: Path, intact: Path) -> None:
    reference = pyav_decode(intact)
    with open_video(cut_mid_packet, on_error="partial", threads=1) as reader:
        frames = list(reader.iter_frames())
        outcome = reader.outcome
        assert reader.info.num_frames == reader.info.decoded_frames == len(frames)
    assert 0 < len(frames) < COUNT
    assert all(np.array_equal(a, b) for a, b in zip(frames, reference, strict=False))
    assert outcome is not None
    assert (outcome.status, outcome.frames_decoded, outcome.frames_declared) == (
        "partial",
        len(frames),
        COUNT,
    )
    assert "decoding failed" in outcome.message


def test_decoder_failure_mid_stream_skip_reports_skipped(cut_mid_packet: Path) -> None:
    with open_video(cut_mid_packet, on_error="skip") as reader:
        count = reader.count_frames()
    assert reader.outcome is not None
    assert (reader.outcome.status, reader.outcome.frames_decoded) == ("skipped", count)


def test_fewer_frames_than_declared_without_decoder_error(cut_at_packet: Path, intact: Path) -> None:
    with pytest.raises(VideoDecodeError, match="decoded 20 of the 40 declared frames"):
        open_video(cut_at_packet).count_frames()
    partial = open_video(cut_at_packet, on_error="partial")
    frames = list(partial.iter_frames())
    assert partial.outcome == DecodeOutcome("partial", 20, 40, "decoded 20 of the 40 declared frames")
    assert all(np.array_equal(a, b) for a, b in zip(frames, pyav_decode(intact)[:20], strict=True))
    skipped = open_video(cut_at_packet, on_error="skip")
    assert skipped.count_frames() == 20
    assert skipped.outcome == DecodeOutcome("skipped", 20, 40, "decoded 20 of the 40 declared frames")


def test_snippets_of_a_short_video_under_partial(cut_at_packet: Path) -> None:
    with open_video(cut_at_packet, on_error="partial") as reader:
        windows = [(w, s, e) for w, s, e, _ in reader.iter_snippets(SnippetSpec(16, 16, "ceil"))]
    assert windows == [(0, 0, 16), (1, 16, 32)]  # ceil(20 / 16) windows, not ceil(40 / 16)


@pytest.mark.parametrize("index", [25, 39])
def test_reading_a_declared_but_missing_frame_raises(cut_at_packet: Path, index: int) -> None:
    reader = open_video(cut_at_packet, on_error="partial")
    assert np.array_equal(reader.read_frames([19])[0], pyav_decode(cut_at_packet)[19])
    with pytest.raises(VideoDecodeError, match=f"frame {index} cannot be decoded"):
        reader.read_frames([index])


def test_unreadable_image_in_a_folder_under_each_policy(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    write_frame_folder(tmp_path, [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(10)], ".png")
    (tmp_path / "006.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(VideoDecodeError, match=r"frame 5 \(006\.png\) cannot be read as an image") as caught:
        open_video(tmp_path).count_frames()
    assert caught.value.path == str(tmp_path)
    partial = open_video(tmp_path, on_error="partial")
    assert len(list(partial.iter_frames())) == 5
    assert partial.outcome is not None and (partial.outcome.status, partial.outcome.frames_declared) == (
        "partial",
        10,
    )
    skipped = open_video(tmp_path, on_error="skip")
    skipped.count_frames()
    assert skipped.outcome is not None and skipped.outcome.status == "skipped"
    assert "006.png" in skipped.outcome.message


def test_settle_pass_rules() -> None:
    assert settle_pass("v.mp4", "raise", 40, 40) == DecodeOutcome("ok", 40, 40, "")
    assert settle_pass("v.mp4", "raise", 7, None) == DecodeOutcome("ok", 7, None, "")
    more = settle_pass("v.mp4", "raise", 41, 40)
    assert (more.status, more.message) == ("ok", "decoded 41 frames, more than the 40 declared")
    with pytest.raises(VideoDecodeError, match=r"v\.mp4: decoded 0 of an unknown number of declared frames"):
        settle_pass("v.mp4", "raise", 0, None)
    failure = VideoDecodeError("v.mp4", "decoding failed (boom)")
    outcome = settle_pass("v.mp4", "skip", 12, None, failure)
    assert outcome == DecodeOutcome(
        "skipped", 12, None, "decoding failed (boom) (decoded 12 of an unknown number of declared frames)"
    )
    assert outcome.to_dict() == {
        "status": "skipped",
        "frames_decoded": 12,
        "frames_declared": None,
        "message": outcome.message,
    }
