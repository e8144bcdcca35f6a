"""FrameFolderReader: natural order, image types, grayscale, folder metadata and folder errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from vadkit.errors import VideoDecodeError
from vadkit.io import DEFAULT_FOLDER_FPS, FrameFolderReader, natural_key, open_video, write_frame_folder


def random_frames(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (12, 16, 3), dtype=np.uint8) for _ in range(count)]


def test_natural_key_orders_numbers_by_value() -> None:
    names = ["10.jpg", "2.jpg", "1.jpg", "img_11.png", "img_9.png", "IMG_10.png"]
    assert sorted(names, key=natural_key) == [
        "1.jpg",
        "2.jpg",
        "10.jpg",
        "img_9.png",
        "IMG_10.png",
        "img_11.png",
    ]


def test_unpadded_names_read_in_natural_order(tmp_path: Path) -> None:
    frames = random_frames(12)
    for index, frame in enumerate(frames):  # 0.png .. 11.png, no zero padding
        cv2.imwrite(str(tmp_path / f"{index}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    with FrameFolderReader(tmp_path) as reader:
        got = list(reader.iter_frames())
    assert all(np.array_equal(a, b) for a, b in zip(got, frames, strict=True))


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".tiff", ".PNG"])
def test_lossless_types_read_back_exactly(tmp_path: Path, ext: str) -> None:
    frames = random_frames(5)
    write_frame_folder(tmp_path, frames, ext)
    with FrameFolderReader(tmp_path) as reader:
        assert reader.info.codec == ext.lower().lstrip(".")
        got = list(reader.iter_frames())
    assert all(np.array_equal(a, b) for a, b in zip(got, frames, strict=True))


def test_jpeg_reads_back_closely(tmp_path: Path) -> None:
    frames = [np.full((16, 16, 3), (30 * i, 100, 250 - 30 * i), dtype=np.uint8) for i in range(6)]
    write_frame_folder(tmp_path, frames, ".jpg", start_index=0)
    with FrameFolderReader(tmp_path) as reader:
        got = list(reader.iter_frames())
    for ours, written in zip(got, frames, strict=True):
        np.testing.assert_allclose(ours.mean(axis=(0, 1)), written[0, 0], atol=3)


def test_grayscale_tif_becomes_three_equal_channels(tmp_path: Path) -> None:
    gray = [np.arange(48, dtype=np.uint8).reshape(6, 8) * (i + 1) for i in range(3)]
    write_frame_folder(tmp_path, gray, ".tif")
    assert cv2.imread(str(tmp_path / "001.tif"), cv2.IMREAD_UNCHANGED).ndim == 2
    with FrameFolderReader(tmp_path) as reader:
        got = list(reader.iter_frames())
    for ours, written in zip(got, gray, strict=True):
        assert ours.shape == (6, 8, 3)
        assert all(np.array_equal(ours[..., c], written) for c in range(3))


def test_metadata_and_fps(tmp_path: Path) -> None:
    write_frame_folder(tmp_path, random_frames(7), ".png")
    (tmp_path / "notes.txt").write_text("not a frame")
    (tmp_path / ".hidden.png").write_bytes(b"mac resource fork")
    reader = FrameFolderReader(tmp_path)
    info = reader.info
    assert (info.num_frames, info.width, info.height, info.container_frames) == (7, 16, 12, None)
    assert info.fps == DEFAULT_FOLDER_FPS == 25.0
    assert FrameFolderReader(tmp_path, fps=10).info.fps == 10.0
    assert open_video(tmp_path, fps=30).info.fps == 30.0
    assert reader.count_frames() == 7
    assert reader.outcome is not None and reader.outcome.frames_declared == 7


def test_resize_uses_the_requested_size(tmp_path: Path) -> None:
    split = np.zeros((48, 64, 3), dtype=np.uint8)
    split[:, 32:] = 200
    write_frame_folder(tmp_path, [split] * 2, ".png")
    with FrameFolderReader(tmp_path, size=(32, 60)) as reader:
        frame = reader.read_frames([1])[0]
    assert frame.shape == (60, 32, 3)
    assert frame[:, :15].max() == 0 and frame[:, 17:].min() == 200


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "contains no frame images"),
        (lambda d: (d / "a.txt").write_text("x"), "contains no frame images"),
        (
            lambda d: (
                write_frame_folder(d, random_frames(3), ".jpg"),
                write_frame_folder(d, random_frames(1), ".png"),
            ),
            r"mixes image types \(3 \.jpg, 1 \.png\)",
        ),
        (
            lambda d: (d / "001.jpg").write_text("not a jpeg"),
            r"frame 0 \(001\.jpg\) cannot be read as an image",
        ),
    ],
)
def test_folder_errors_name_the_folder_and_the_problem(
    tmp_path: Path, setup: Callable[[Path], object], message: str
) -> None:
    folder = tmp_path / "01_001"
    folder.mkdir()
    setup(folder)
    with pytest.raises(VideoDecodeError, match=message) as caught:
        FrameFolderReader(folder)
    assert caught.value.path == str(folder)


def test_missing_folder_and_file_instead_of_folder(tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError, match="does not exist"):
        FrameFolderReader(tmp_path / "nope")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(VideoDecodeError, match="is not a directory"):
        FrameFolderReader(tmp_path / "file.png")


def test_a_frame_of_another_size_is_a_decode_error(tmp_path: Path) -> None:
    write_frame_folder(tmp_path, random_frames(3), ".png")
    cv2.imwrite(str(tmp_path / "004.png"), np.zeros((5, 5, 3), np.uint8))
    reader = FrameFolderReader(tmp_path)
    with pytest.raises(VideoDecodeError, match=r"frame 3 \(004\.png\) is 5x5, the first frame 16x12"):
        list(reader.iter_frames())
    with pytest.raises(VideoDecodeError, match=r"004\.png"):
        reader.read_frames([3])
