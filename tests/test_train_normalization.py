"""Per-dimension feature standardisation: statistics against numpy, the floor, saving, and its use in runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from test_train_datasets_files import (
    DIM,
    experiment_fields,
    ucf_rtfm_release,
)
from vadkit.data import read_rtfm_list
from vadkit.errors import ValidationError
from vadkit.train import (
    ArrayFeatureSet,
    ArrayVideo,
    ExperimentConfig,
    StandardizedFeatureSet,
    Standardizer,
    fit_standardizer,
    load_checkpoint,
    read_info,
    run_experiment,
    score_feature_set,
)
from vadkit.train.normalization import STD_FLOOR, fitted_standardizer


def feature_set() -> ArrayFeatureSet:
    """Three videos of different lengths, two crops, dimension 2 constant; audio on every video."""
    rng = np.random.default_rng(5)
    videos = [ArrayVideo("a", 0), ArrayVideo("b", 1), ArrayVideo("c", 0)]
    features, audio = {}, {}
    for video, steps in zip(videos, (3, 7, 5), strict=True):
        values = rng.normal(loc=[0.01, -4.0, 0.5, 2.0], scale=[0.002, 3.0, 0.0, 0.5], size=(steps, 2, 4))
        features[video.name] = values.astype(np.float32)
        audio[video.name] = rng.normal(size=(steps, 3)).astype(np.float32)
    return ArrayFeatureSet(videos, features, audio)


def test_statistics_are_numpys_over_every_snippet_and_crop() -> None:
    data = feature_set()
    rows = np.concatenate([data.load(v).reshape(-1, 4).astype(np.float64) for v in data])
    assert rows.shape == (30, 4)  # (3 + 7 + 5) snippets x 2 crops
    fitted = fit_standardizer(data)
    np.testing.assert_allclose(fitted.mean, rows.mean(axis=0), rtol=1e-12, atol=1e-15)
    expected_std = rows.std(axis=0, ddof=0)
    assert expected_std[2] == 0.0
    np.testing.assert_allclose(fitted.std[[0, 1, 3]], expected_std[[0, 1, 3]], rtol=1e-12)
    assert fitted.std[2] == STD_FLOOR == 1e-6
    assert fitted.videos == ("a", "b", "c")


def test_standardized_set_applies_the_statistics_and_leaves_audio_alone() -> None:
    data = feature_set()
    fitted = fit_standardizer(data.subset(["a", "b"]))
    wrapped = StandardizedFeatureSet(data, fitted)
    video = next(v for v in data if v.name == "c")
    raw = data.load(video).astype(np.float64)
    expected = (raw - fitted.mean) / fitted.std
    loaded = wrapped.load(video)
    assert loaded.dtype == np.float32
    np.testing.assert_allclose(loaded, expected, rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(wrapped.load_audio(video), data.load_audio(video))
    part = wrapped.subset(["c"])
    assert [v.name for v in part] == ["c"] and part.standardizer is fitted
    assert part.source.endswith("standardised per dimension") and part.split == data.split
    # the constant dimension of the fitting videos becomes 0 on them
    on_fit = wrapped.load(next(iter(data)))
    np.testing.assert_allclose(on_fit[..., 2], 0.0, atol=1e-6)


def test_saved_without_pickles_and_reused_only_for_the_same_videos(tmp_path: Path) -> None:
    data = feature_set()
    path = tmp_path / "seed-0" / "feature_norm.npz"
    fitted = fitted_standardizer(data, path)
    with np.load(path, allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["mean"], fitted.mean)
        np.testing.assert_array_equal(archive["std"], fitted.std)
        assert archive["videos"].tolist() == ["a", "b", "c"]
    loaded = Standardizer.load(path)
    assert loaded.videos == fitted.videos and np.array_equal(loaded.mean, fitted.mean)
    again = fitted_standardizer(data, path)
    np.testing.assert_array_equal(again.std, fitted.std)
    with pytest.raises(ValidationError, match="feature statistics of other training videos"):
        fitted_standardizer(data.subset(["a", "b"]), path)
    (tmp_path / "bad.npz").write_bytes(b"not an archive")
    with pytest.raises(ValidationError, match=r"bad\.npz: not a feature standardisation file"):
        Standardizer.load(tmp_path / "bad.npz")


@pytest.mark.parametrize(
    ("mean", "std", "message"),
    [
        (np.zeros(3), np.ones(2), "of one shape"),
        (np.zeros(0), np.ones(0), "non-empty"),
        (np.zeros(2), np.array([1.0, 0.0]), "std finite and >= 1e-06"),
        (np.array([np.nan, 0.0]), np.ones(2), "mean must be finite"),
    ],
)
def test_invalid_statistics(mean: np.ndarray, std: np.ndarray, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Standardizer(mean, std, ())


def test_feature_size_mismatch_names_the_video() -> None:
    fitted = Standardizer(np.zeros(3), np.ones(3), ("a",))
    with pytest.raises(
        ValidationError, match="clip7: features of size 4, the standardisation was fitted on size 3"
    ):
        fitted.apply(np.zeros((2, 1, 4), np.float32), "clip7")


def test_experiment_fits_on_the_fitted_videos_and_standardises_the_test_scores(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path / "data")
    config = ExperimentConfig(
        "mil", steps=2, batch_size=1, eval_every=1, feature_norm="standardize", **experiment_fields(release)
    )
    result = run_experiment(config, tmp_path / "run", progress=False)
    seed = result.seeds[0]
    assert seed.feature_norm == tmp_path / "run" / "seed-0" / "feature_norm.npz"
    fitted_videos = read_info(seed.train.last_checkpoint)["data"]["train"]["videos"]
    train = read_rtfm_list(
        release["train_list"],
        tmp_path / "data",
        dataset="ucf_crime",
        split="train",
        check_counts=False,
        keep_parts=2,
    )
    rows = np.concatenate([train.load(name).reshape(-1, DIM).astype(np.float64) for name in fitted_videos])
    with np.load(seed.feature_norm, allow_pickle=False) as archive:
        assert sorted(archive["videos"].tolist()) == fitted_videos  # validation videos are not fitted
        np.testing.assert_allclose(archive["mean"], rows.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(archive["std"], np.maximum(rows.std(axis=0), 1e-6), rtol=1e-12)
        mean, std = archive["mean"], archive["std"]
    # the saved test scores are the checkpoint's scores of the standardised test features
    test = read_rtfm_list(
        release["test_list"],
        tmp_path / "data",
        dataset="ucf_crime",
        split="test",
        check_counts=False,
        keep_parts=2,
    )
    manual = ArrayFeatureSet(
        [ArrayVideo(v.name, v.label) for v in test],
        {v.name: ((test.load(v) - mean) / std).astype(np.float32) for v in test},
    )
    expected = score_feature_set(load_checkpoint(seed.train.last_checkpoint), manual)
    for name, values in expected.items():
        saved = np.load(tmp_path / "run" / "seed-0" / "scores-last" / f"{name}.npy")
        np.testing.assert_allclose(saved, values, rtol=1e-5, atol=1e-6)
    assert json.loads(result.metrics_path.read_text())["feature_norm"] == "standardize"
