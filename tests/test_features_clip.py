"""The ``clip`` extractor on a tiny random CLIP written with save_pretrained: shapes, the frame rules checked
against embeddings computed independently, crops, options, the runner and the CLI end to end."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from test_hf_loading import PROJECTION, save_tiny_clip
from vadkit.cli.app import app
from vadkit.errors import ValidationError
from vadkit.features import create_extractor, list_extractors, run_extraction
from vadkit.features.clip import ClipExtractor
from vadkit.features.crops import crop_boxes
from vadkit.io import open_video, write_video
from vadkit.models.clip_loading import image_processor_class

FRAMES = 40
"""Frames of the test video: two full 16-frame snippets and 8 frames more."""


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip")


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 frames of 48x40 (W x H): a random texture drifting 1 pixel a frame."""
    base = np.random.default_rng(3).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    path = tmp_path_factory.mktemp("videos") / "drift.mp4"
    write_video(path, [np.roll(base, index, axis=1) for index in range(FRAMES)], 25)
    return path


@pytest.fixture(scope="module")
def decoded(video: Path) -> np.ndarray:
    with open_video(video) as reader:
        return np.stack(list(reader.iter_frames()))


@pytest.fixture(scope="module")
def reference(tiny_clip: Path) -> tuple[object, object]:
    """The whole CLIPModel and the processor, loaded directly with transformers."""
    from transformers import CLIPModel

    model = CLIPModel.from_pretrained(tiny_clip, local_files_only=True).eval()
    return model, image_processor_class().from_pretrained(tiny_clip)


def embed(reference: tuple[object, object], images: list[np.ndarray], **processing: object) -> np.ndarray:
    """``get_image_features`` of HWC uint8 images through the processor (independent of the extractor)."""
    model, processor = reference
    pixels = processor(images=images, return_tensors="pt", input_data_format="channels_last", **processing)
    with torch.inference_mode():
        output = model.get_image_features(pixel_values=pixels["pixel_values"])  # type: ignore[attr-defined]
    output = output if isinstance(output, torch.Tensor) else output.pooler_output
    return output.numpy()


def extract(model: Path, video: Path, **config: object) -> np.ndarray:
    extractor = create_extractor("clip", model=str(model), device="cpu", **config)
    with open_video(video) as reader:
        return extractor.extract(reader)


def test_registered_with_the_models_projection_size(tiny_clip: Path) -> None:
    assert "clip" in list_extractors()
    extractor = create_extractor("clip", model=str(tiny_clip))
    assert extractor.dim == PROJECTION and extractor.feature_names()[:2] == ["clip.0", "clip.1"]
    assert extractor.snippet.to_dict() == {"length": 16, "stride": 16, "rounding": "floor", "crops": 1}


@pytest.mark.parametrize(
    ("crops", "shape"), [("center", (2, 24)), ("five", (2, 5, 24)), ("ten", (2, 10, 24))]
)
def test_shapes_and_determinism(tiny_clip: Path, video: Path, crops: str, shape: tuple[int, ...]) -> None:
    first = extract(tiny_clip, video, crops=crops)
    assert first.shape == shape and first.dtype == np.float32
    assert np.array_equal(first, extract(tiny_clip, video, crops=crops))
    views = shape[1] if len(shape) == 3 else 1
    assert create_extractor("clip", model=str(tiny_clip), crops=crops).snippet.crops == views


@pytest.mark.parametrize(("frames", "chosen"), [("middle", [8, 24]), ("first", [0, 16])])
def test_one_frame_rules_encode_the_chosen_frame(
    tiny_clip: Path,
    video: Path,
    decoded: np.ndarray,
    reference: tuple[object, object],
    frames: str,
    chosen: list,
) -> None:
    expected = embed(reference, list(decoded[chosen]))
    features = extract(tiny_clip, video, frames=frames, batch_size=3)
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)
    encoded = ClipExtractor(model=str(tiny_clip), device="cpu").encode(list(decoded[chosen]))
    np.testing.assert_allclose(encoded[:, 0], expected, rtol=1e-5, atol=1e-6)


def test_mean_averages_every_frame_of_the_snippet(
    tiny_clip: Path, video: Path, decoded: np.ndarray, reference: tuple[object, object]
) -> None:
    every = embed(reference, list(decoded))
    expected = np.stack([every[0:16].mean(axis=0), every[16:32].mean(axis=0)])
    np.testing.assert_allclose(extract(tiny_clip, video, frames="mean"), expected, rtol=1e-5, atol=1e-6)
    # Overlapping windows (stride 8): [0,16), [8,24), [16,32), [24,40).
    overlapping = extract(tiny_clip, video, frames="mean", snippet={"length": 16, "stride": 8})
    expected = np.stack([every[s : s + 16].mean(axis=0) for s in (0, 8, 16, 24)])
    np.testing.assert_allclose(overlapping, expected, rtol=1e-5, atol=1e-6)
    # "ceil": the padded window [32, 48) averages its 8 real frames only.
    padded = extract(tiny_clip, video, frames="mean", snippet={"rounding": "ceil"})
    np.testing.assert_allclose(padded[2], every[32:].mean(axis=0), rtol=1e-5, atol=1e-6)


def test_ceil_windows_past_the_end_take_the_last_frame(
    tiny_clip: Path, video: Path, decoded: np.ndarray, reference: tuple[object, object]
) -> None:
    features = extract(tiny_clip, video, snippet={"rounding": "ceil"})
    # Window [32, 48): its middle, frame 40, is past the end; the last frame (39) pads that position.
    np.testing.assert_allclose(features, embed(reference, list(decoded[[8, 24, 39]])), rtol=1e-5, atol=1e-6)


def test_crop_views_are_the_crops_of_the_resized_frame(
    tiny_clip: Path, video: Path, decoded: np.ndarray, reference: tuple[object, object]
) -> None:
    ten = extract(tiny_clip, video, crops="ten")
    _, processor = reference
    resized = processor(  # type: ignore[operator]
        images=[decoded[8]], do_center_crop=False, do_rescale=False, do_normalize=False, return_tensors="np"
    )["pixel_values"][0].transpose(1, 2, 0)
    height, width = resized.shape[:2]
    assert (height, width) == (32, 38)  # shortest side 40 -> 32, 48 -> int(32 * 48 / 40)
    boxes = crop_boxes(width, height, 32, "five")
    flipped = resized[:, ::-1]
    views = [
        image[top:bottom, left:right] for image in (resized, flipped) for left, top, right, bottom in boxes
    ]
    expected = embed(
        reference, [np.ascontiguousarray(v) for v in views], do_resize=False, do_center_crop=False
    )
    np.testing.assert_allclose(ten[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(extract(tiny_clip, video, crops="five"), ten[:, :5], rtol=1e-5, atol=1e-6)
    # Even margins (38 - 32, 32 - 32): the center view is the processor's own center crop.
    np.testing.assert_allclose(ten[:, 4], extract(tiny_clip, video), rtol=1e-5, atol=1e-6)


def test_normalize_gives_unit_rows_in_the_same_direction(tiny_clip: Path, video: Path) -> None:
    raw = extract(tiny_clip, video, crops="five")
    unit = extract(tiny_clip, video, crops="five", normalize=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(unit, raw / np.linalg.norm(raw, axis=-1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_config_rebuilds_the_extractor_and_pins_the_weights(tiny_clip: Path, tmp_path: Path) -> None:
    extractor = create_extractor("clip", model=str(tiny_clip), frames="first", crops="ten", batch_size=7)
    config = json.loads(json.dumps(extractor.config()))
    assert set(config) == {*"model revision model_sha256 frames crops normalize dtype snippet".split()}
    rebuilt = create_extractor("clip", **config)
    assert rebuilt.config_hash() == extractor.config_hash()
    other = save_tiny_clip(tmp_path / "other", seed=5)
    with pytest.raises(ValidationError, match="has digest"):
        create_extractor("clip", **{**config, "model": str(other)})


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"frames": "last"}, "frames must be one of middle, first, mean"),
        ({"crops": "three"}, "crops must be one of center, five, ten"),
        ({"dtype": "int8"}, "dtype must be one of"),
        ({"normalize": "yes"}, "normalize must be true or false"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"crops": "ten", "snippet": {"crops": 5}}, "snippet crops 5 disagree with the 10 views"),
    ],
)
def test_bad_settings_are_named(tiny_clip: Path, setting: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        create_extractor("clip", model=str(tiny_clip), **setting)


def test_a_video_shorter_than_a_snippet(tiny_clip: Path, tmp_path: Path) -> None:
    path = tmp_path / "short.mp4"
    write_video(path, [np.full((32, 32, 3), 100 + i, np.uint8) for i in range(5)], 25)
    with pytest.raises(ValidationError, match="5 frames make no 16-frame snippet under rounding 'floor'"):
        extract(tiny_clip, path)
    assert extract(tiny_clip, path, snippet={"rounding": "ceil"}).shape == (1, PROJECTION)


def test_the_extractor_pickles_without_its_model(tiny_clip: Path, video: Path) -> None:
    extractor = ClipExtractor(model=str(tiny_clip), device="cpu")
    with open_video(video) as reader:
        features = extractor.extract(reader)
    clone = pickle.loads(pickle.dumps(extractor))
    assert clone._components is None
    with open_video(video) as reader:
        assert np.array_equal(clone.extract(reader), features)


def test_runner_and_cli_write_the_arrays(tiny_clip: Path, video: Path, tmp_path: Path) -> None:
    summary = run_extraction(
        [video], tmp_path / "api", "clip", config={"model": str(tiny_clip), "crops": "ten"}, progress=False
    )
    assert summary.exit_code == 0 and np.load(tmp_path / "api" / "drift.npy").shape == (2, 10, PROJECTION)
    args = ["extract", str(video), "--out", str(tmp_path / "cli"), "-e", "clip", "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--set", f"model={tiny_clip}"])
    assert result.exit_code == 0, result.output
    written = np.load(tmp_path / "cli" / "drift.npy")
    assert written.shape == (2, PROJECTION) and np.array_equal(written, extract(tiny_clip, video))
    record = json.loads((tmp_path / "cli" / "drift.json").read_text(encoding="utf-8"))
    assert record["manifest"]["config"]["model"] == str(tiny_clip)
