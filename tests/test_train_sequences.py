"""Training sequences per mode (exact against vadkit.snippets and by hand), input checks, and the in-memory
feature set."""

from __future__ import annotations

import numpy as np
import pytest

from vadkit.errors import LengthMismatchError, ValidationError
from vadkit.methods import TrainSequence, create_method
from vadkit.snippets import pool_or_pad, resample_segments, subsample_or_pad
from vadkit.train import (
    ArrayFeatureSet,
    ArrayVideo,
    VideoInputs,
    load_inputs,
    training_sequence,
)


def video(
    steps: int, crops: int = 3, dim: int = 4, audio_dim: int | None = None, seed: int = 0
) -> VideoInputs:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(steps, crops, dim)).astype(np.float32)
    audio = None if audio_dim is None else rng.normal(size=(steps, audio_dim)).astype(np.float32)
    return VideoInputs("clip", features, audio)


def per_crop(inputs: VideoInputs, function, length: int) -> tuple[np.ndarray, int]:
    """Apply a vadkit.snippets function to each crop's (T, D) sequence separately: (C, L, D), valid length."""
    results = [function(inputs.features[:, c], length) for c in range(inputs.features.shape[1])]
    if isinstance(results[0], tuple):
        return np.stack([r[0] for r in results]), results[0][1]
    return np.stack(results), length


@pytest.mark.parametrize("steps", [5, 32, 77])
def test_segments_resample_each_crop_and_the_audio(steps: int) -> None:
    inputs = video(steps, audio_dim=2)
    sequence = training_sequence(inputs, TrainSequence("segments", 32))
    expected, _ = per_crop(inputs, resample_segments, 32)
    np.testing.assert_array_equal(sequence.features, expected)
    np.testing.assert_array_equal(sequence.audio, resample_segments(inputs.audio, 32))
    assert sequence.length == 32
    assert sequence.features.dtype == np.float32 and sequence.features.flags.c_contiguous


def test_segments_by_hand() -> None:
    # T = 3, 2 segments: int(linspace(0, 3, 3)) = [0, 1, 3]: segment 0 = row 0, segment 1 = mean of rows 1, 2
    features = np.array([[[1.0]], [[2.0]], [[6.0]]], np.float32)
    sequence = training_sequence(VideoInputs("v", features), TrainSequence("segments", 2))
    np.testing.assert_array_equal(sequence.features, [[[1.0], [4.0]]])


@pytest.mark.parametrize(
    ("mode", "function"), [("pool_or_pad", pool_or_pad), ("subsample_or_pad", subsample_or_pad)]
)
@pytest.mark.parametrize("steps", [7, 20, 45])
def test_fixed_length_modes_match_vadkit_snippets(mode: str, function, steps: int) -> None:
    inputs = video(steps, audio_dim=3)
    sequence = training_sequence(inputs, TrainSequence(mode, 20))  # type: ignore[arg-type]
    expected, length = per_crop(inputs, function, 20)
    np.testing.assert_array_equal(sequence.features, expected)
    np.testing.assert_array_equal(sequence.audio, function(inputs.audio, 20)[0])
    assert sequence.length == length == min(steps, 20)


def test_subsample_or_pad_by_hand() -> None:
    # T = 5 > 3: rows floor(linspace(0, 4, 3)) = 0, 2, 4 are picked; T = 2 < 3: one zero row appended
    long = VideoInputs("v", np.arange(5, dtype=np.float32).reshape(5, 1, 1))
    np.testing.assert_array_equal(
        training_sequence(long, TrainSequence("subsample_or_pad", 3)).features, [[[0], [2], [4]]]
    )
    short = training_sequence(
        VideoInputs("v", np.ones((2, 1, 1), np.float32)), TrainSequence("subsample_or_pad", 3)
    )
    np.testing.assert_array_equal(short.features, [[[1], [1], [0]]])
    assert short.length == 2


def test_full_mode_keeps_the_video() -> None:
    inputs = video(13)
    sequence = training_sequence(inputs, TrainSequence("full"))
    np.testing.assert_array_equal(sequence.features, inputs.features.transpose(1, 0, 2))
    assert sequence.length == 13 and sequence.audio is None


def test_fixed_length_mode_without_length_is_an_error() -> None:
    with pytest.raises(ValidationError, match="needs a length"):
        training_sequence(video(4), TrainSequence("segments"))


class ReturnsArray(ArrayFeatureSet):
    """A feature set whose ``load`` returns a given array (for malformed files)."""

    def __init__(self, array: np.ndarray) -> None:
        super().__init__([ArrayVideo("bad", 1)], {"bad": np.zeros((2, 1, 2), np.float32)}, dataset="toy")
        self.array = array

    def load(self, video: ArrayVideo) -> np.ndarray:
        return self.array


class AudioOf(ArrayFeatureSet):
    """A feature set whose ``load_audio`` returns a given array (for malformed or misaligned audio)."""

    def __init__(self, array: np.ndarray) -> None:
        super().__init__([ArrayVideo("bad", 1)], {"bad": np.zeros((2, 1, 2), np.float32)}, dataset="toy")
        self.array = array

    def load_audio(self, video: ArrayVideo) -> np.ndarray:
        return self.array


def test_load_inputs_checks_features_and_audio() -> None:
    with pytest.raises(
        ValidationError, match=r"toy/train \(memory\), video bad: features must be .*\(4, 2\)"
    ):
        load_inputs(ReturnsArray(np.zeros((4, 2))), ArrayVideo("bad", 1), audio=False)
    with pytest.raises(ValidationError, match="video bad: features contain NaN or inf"):
        load_inputs(ReturnsArray(np.full((4, 1, 2), np.nan)), ArrayVideo("bad", 1), audio=False)
    with pytest.raises(ValidationError, match="video bad: features must be"):
        load_inputs(ReturnsArray(np.array([["a"]])), ArrayVideo("bad", 1), audio=False)
    silent = ArrayFeatureSet([ArrayVideo("a", 0)], {"a": np.zeros((3, 2))})
    with pytest.raises(
        ValidationError, match="video a: the method takes audio features but the set has none"
    ):
        load_inputs(silent, silent["a"], audio=True)


def test_load_inputs_casts_to_float32_and_requires_aligned_audio() -> None:
    data = ArrayFeatureSet(
        [ArrayVideo("a", 0)], {"a": np.ones((5, 2, 3), np.float64)}, {"a": np.ones((5, 4), np.float64)}
    )
    inputs = load_inputs(data, data["a"], audio=True)
    assert inputs.features.shape == (5, 2, 3) and inputs.audio is not None and inputs.audio.shape == (5, 4)
    assert inputs.features.dtype == np.float32 and inputs.audio.dtype == np.float32
    assert inputs.nbytes == (5 * 2 * 3 + 5 * 4) * 4
    assert load_inputs(data, data["a"], audio=False).audio is None
    misaligned = AudioOf(np.ones((4, 4)))
    with pytest.raises(LengthMismatchError, match=r"bad: 2 feature rows but 4 audio rows in toy/train"):
        load_inputs(misaligned, misaligned["bad"], audio=True)
    with pytest.raises(ValidationError, match="video bad: audio must be a non-empty numeric"):
        load_inputs(AudioOf(np.ones(2)), misaligned["bad"], audio=True)


def test_uses_audio_follows_the_model() -> None:
    assert create_method("hlnet", feature_dim=4, audio_dim=2).uses_audio
    assert not create_method("hlnet", feature_dim=4, audio_dim=0).uses_audio
    assert not create_method("mil", feature_dim=4).uses_audio


def test_array_feature_set_members() -> None:
    videos = [ArrayVideo("n", 0), ArrayVideo("a", 1, "Fight")]
    data = ArrayFeatureSet(videos, {"n": np.zeros((4, 3)), "a": np.ones((2, 2, 3))}, split="val")
    assert len(data) == 2 and [v.name for v in data] == ["n", "a"]
    assert data.normal == (videos[0],) and data.abnormal == (videos[1],)
    assert data.load(videos[0]).shape == (4, 1, 3) and data.load(videos[0]).dtype == np.float32
    assert data.load_audio(videos[0]) is None
    assert [v.name for v in data.subset(["a"])] == ["a"] and data.subset(["a"]).split == "val"
    loaded = data.load(videos[1])
    loaded[:] = 5
    assert data.load(videos[1]).max() == 1.0  # load returns a copy


def test_array_feature_set_errors() -> None:
    with pytest.raises(ValidationError, match="label must be 0"):
        ArrayVideo("x", 2)
    with pytest.raises(ValidationError, match="names must be unique"):
        ArrayFeatureSet([ArrayVideo("x", 0), ArrayVideo("x", 1)], {"x": np.zeros((2, 2))})
    with pytest.raises(ValidationError, match="video y has no features"):
        ArrayFeatureSet([ArrayVideo("y", 0)], {})
    with pytest.raises(ValidationError, match="video y has 2 feature rows but 3 audio rows"):
        ArrayFeatureSet([ArrayVideo("y", 0)], {"y": np.zeros((2, 2))}, {"y": np.zeros((3, 1))})
    with pytest.raises(ValidationError, match="video y has no audio"):
        ArrayFeatureSet([ArrayVideo("y", 0)], {"y": np.zeros((2, 2))}, {})
    with pytest.raises(ValidationError, match=r"features of video y must be .*got shape \(2,\)"):
        ArrayFeatureSet([ArrayVideo("y", 0)], {"y": np.zeros(2)})
    with pytest.raises(ValidationError, match=r"features of video y must be .*got shape \(0, 2\)"):
        ArrayFeatureSet([ArrayVideo("y", 0)], {"y": np.zeros((0, 2))})
    data = ArrayFeatureSet([ArrayVideo("y", 0)], {"y": np.zeros((2, 2))})
    with pytest.raises(ValidationError, match="no video named z"):
        data.subset(["y", "z"])
    with pytest.raises(ValidationError, match="no video named 'z'"):
        data["z"]
