"""FeatureSet: lazy loading into (T, C, D) float32, every validation error, subsets, lengths vs the GT."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from vadkit.data.feature_sets import FeatureSet, FeatureVideo, check_lengths, check_lengths_against_gt
from vadkit.errors import LengthMismatchError, ValidationError
from vadkit.types import GroundTruth

RNG = np.random.default_rng(7)


def save(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return path


def one_file_set(tmp_path: Path, shapes: dict[str, tuple[int, ...]], **options: object) -> FeatureSet:
    videos = []
    for name, shape in shapes.items():
        save(tmp_path / f"{name}.npy", RNG.standard_normal(shape).astype(np.float32))
        videos.append(FeatureVideo(name, int(name.startswith("abn")), None, (tmp_path / f"{name}.npy",)))
    return FeatureSet(videos, dataset="custom", split="train", source="test", **options)


def test_single_file_sets_load_as_t_c_d_float32_copies(tmp_path: Path) -> None:
    ten = RNG.standard_normal((7, 10, 6)).astype(np.float64)
    flat = RNG.integers(-5, 5, size=(4, 6)).astype(np.int16)
    save(tmp_path / "abn_a.npy", ten)
    save(tmp_path / "b.npy", RNG.standard_normal((3, 10, 6)).astype(np.float16))
    feature_set = FeatureSet(
        [
            FeatureVideo("abn_a", 1, "Abuse", (tmp_path / "abn_a.npy",)),
            FeatureVideo("b", 0, "Normal", (tmp_path / "b.npy",)),
        ],
        dataset="custom",
        split="train",
        source="test",
    )
    loaded = feature_set.load("abn_a")
    assert loaded.dtype == np.float32 and loaded.shape == (7, 10, 6) and loaded.flags.writeable
    np.testing.assert_array_equal(loaded, ten.astype(np.float32))
    assert feature_set.load(feature_set["b"]).shape == (3, 10, 6)
    assert (feature_set.crops, feature_set.dim, feature_set.num_snippets("abn_a")) == (10, 6, 7)
    assert feature_set.load_audio("abn_a") is None and not feature_set.has_audio
    save(tmp_path / "c.npy", flat)
    single = FeatureSet(
        [FeatureVideo("c", 0, None, (tmp_path / "c.npy",))], dataset="x", split="y", source="z"
    )
    np.testing.assert_array_equal(single.load("c"), flat.astype(np.float32)[:, None, :])


def test_per_crop_files_are_stacked_in_file_order(tmp_path: Path) -> None:
    crops = [RNG.standard_normal((5, 4)).astype(np.float32) for _ in range(3)]
    files = tuple(save(tmp_path / f"v__{k}.npy", crop) for k, crop in enumerate(crops))
    feature_set = FeatureSet([FeatureVideo("v", 1, None, files)], dataset="d", split="s", source="src")
    loaded = feature_set.load("v")
    assert loaded.shape == (5, 3, 4)
    for k, crop in enumerate(crops):
        np.testing.assert_array_equal(loaded[:, k, :], crop)


def test_the_set_holds_paths_only_until_a_video_is_loaded(tmp_path: Path) -> None:
    videos = [FeatureVideo(f"v{i}", i % 2, None, (tmp_path / f"v{i}.npy",)) for i in range(4)]
    feature_set = FeatureSet(videos, dataset="d", split="train", source="src", crops=10, dim=8)
    assert len(feature_set) == 4 and feature_set.crops == 10 and feature_set.dim == 8
    assert [v.name for v in feature_set.abnormal] == ["v1", "v3"]
    assert [v.name for v in feature_set.normal] == ["v0", "v2"]
    with pytest.raises(ValidationError, match=r"v2: feature file .*v2\.npy: not found"):
        feature_set.load("v2")


def test_names_subsets_and_lookups(tmp_path: Path) -> None:
    feature_set = one_file_set(tmp_path, {"abn_1": (3, 2, 4), "n_1": (5, 2, 4), "abn_2": (2, 2, 4)})
    assert feature_set.names == ("abn_1", "n_1", "abn_2")
    assert "n_1" in feature_set and "zzz" not in feature_set
    part = feature_set.subset(["abn_2", "n_1"])
    assert part.names == ("abn_2", "n_1") and part.source == "test" and part.dataset == "custom"
    assert [v.label for v in part] == [1, 0]
    with pytest.raises(KeyError, match="zzz"):
        feature_set.subset(["zzz"])
    with pytest.raises(KeyError, match="nope"):
        feature_set["nope"]
    with pytest.raises(ValidationError, match="abn_2 appears twice"):
        feature_set.subset(["abn_2", "abn_2"])
    assert "3 videos, 2 abnormal" in repr(feature_set)


def test_a_subset_keeps_the_reference_of_its_set(tmp_path: Path) -> None:
    feature_set = one_file_set(tmp_path, {"a": (3, 2, 4), "b": (3, 5, 4), "c": (3, 5, 4)})
    part = feature_set.subset(["b", "c"])
    with pytest.raises(
        ValidationError, match=r"b: features have 5 crops of size 4 .*2 crops of size 4 .*first video a"
    ):
        part.load("b")


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (
            (3, 2, 5),
            r"v: features have 2 crops of size 5 .*expected 2 crops of size 4 \(from the set's first video r",
        ),
        ((3, 3, 4), r"v: features have 3 crops of size 4 .*expected 2 crops of size 4"),
        ((3, 2, 4, 1), r"v: .*v\.npy: expected \(T, D\) or \(T, crops, D\), got shape \(3, 2, 4, 1\)"),
        ((6,), r"v: .*v\.npy: expected \(T, D\) or \(T, crops, D\), got shape \(6,\)"),
        ((0, 2, 4), r"v: .*v\.npy: empty features \(shape \(0, 2, 4\)\)"),
    ],
)
def test_shapes_disagreeing_with_the_set_name_the_video(
    tmp_path: Path, shape: tuple[int, ...], message: str
) -> None:
    feature_set = one_file_set(tmp_path, {"r": (4, 2, 4), "v": shape})
    with pytest.raises(ValidationError, match=message):
        feature_set.load("v")


def test_the_reader_expectation_overrides_the_first_video(tmp_path: Path) -> None:
    feature_set = one_file_set(tmp_path, {"r": (4, 1, 4)}, crops=10)
    with pytest.raises(
        ValidationError, match=r"r: features have 1 crops .*expected 10 crops .*from the reader"
    ):
        feature_set.load("r")
    fixed = one_file_set(tmp_path, {"s": (4, 10, 3)}, crops=10, dim=2048)
    with pytest.raises(ValidationError, match=r"expected 10 crops of size 2048 \(given by the reader\)"):
        fixed.num_snippets("s")
    exact = one_file_set(tmp_path, {"t": (31, 1, 3)}, snippets=32)
    with pytest.raises(ValidationError, match=r"t: .*t\.npy: 31 rows, the layout has 32 per video"):
        exact.load("t")


def test_nan_and_inf_rows_are_listed(tmp_path: Path) -> None:
    data = RNG.standard_normal((12, 2, 3)).astype(np.float32)
    data[2, 1, 0] = np.nan
    data[9, 0, 2] = -np.inf
    save(tmp_path / "bad.npy", data)
    feature_set = FeatureSet(
        [FeatureVideo("bad", 1, None, (tmp_path / "bad.npy",))], dataset="d", split="s", source="src"
    )
    assert feature_set.num_snippets("bad") == 12  # headers only: no NaN check
    with pytest.raises(
        ValidationError, match=r"bad: feature file .*bad\.npy: NaN or inf in 2 of 12 rows .*rows: 2, 9\)"
    ):
        feature_set.load("bad")


def test_per_crop_files_of_different_lengths_or_ranks(tmp_path: Path) -> None:
    files = (
        save(tmp_path / "v__0.npy", np.zeros((5, 4), np.float32)),
        save(tmp_path / "v__1.npy", np.zeros((6, 4), np.float32)),
    )
    feature_set = FeatureSet([FeatureVideo("v", 1, None, files)], dataset="d", split="s", source="src")
    with pytest.raises(
        ValidationError, match=r"v: .*crop files disagree in shape: v__0\.npy \(5, 4\), v__1\.npy \(6, 4\)"
    ):
        feature_set.load("v")
    ranks = (files[0], save(tmp_path / "w__1.npy", np.zeros((5, 1, 4), np.float32)))
    other = FeatureSet([FeatureVideo("w", 1, None, ranks)], dataset="d", split="s", source="src")
    with pytest.raises(
        ValidationError, match=r"w: .*w__1\.npy: a per-crop file must be \(T, D\), got shape \(5, 1, 4\)"
    ):
        other.load("w")


def test_unreadable_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "arch.npz", a=np.zeros((2, 3)))
    (tmp_path / "arch.npz").rename(tmp_path / "arch.npy")
    np.save(tmp_path / "cut.npy", np.zeros((100, 50), np.float32))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "cut.npy").read_bytes()[:1000])
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    (tmp_path / "folder.npy").mkdir()
    cases = {
        "obj": "holds Python objects \\(pickles are refused\\)",
        "arch": "is an .npz archive",
        "cut": "not a readable .npy array \\(truncated\\?\\)",
        "text": "expected numbers, got dtype <U1",
        "folder": "is a folder",
    }
    videos = [FeatureVideo(name, 0, None, (tmp_path / f"{name}.npy",)) for name in cases]
    feature_set = FeatureSet(videos, dataset="d", split="s", source="src", crops=1, dim=3)
    for name, problem in cases.items():
        with pytest.raises(ValidationError, match=rf"{name}: feature file .*{name}\.npy: {problem}"):
            feature_set.load(name)


def test_feature_videos_validate_their_fields() -> None:
    with pytest.raises(ValidationError, match="label must be 0"):
        FeatureVideo("v", 2, None, (Path("v.npy"),))
    with pytest.raises(ValidationError, match="at least one file"):
        FeatureVideo("v", 0, None, ())
    with pytest.raises(ValidationError, match="appears twice"):
        FeatureSet(
            [FeatureVideo("v", 0, None, (Path("a.npy"),)), FeatureVideo("v", 1, None, (Path("b.npy"),))],
            dataset="d",
            split="s",
            source="src",
        )
    empty = FeatureSet([], dataset="d", split="s", source="src")
    with pytest.raises(ValidationError, match="src: the feature set is empty"):
        empty.dim  # noqa: B018


def gt(name: str, frames: int) -> GroundTruth:
    return GroundTruth(name, np.zeros(frames, np.uint8), label="Normal")


def test_lengths_against_the_ground_truth_accept_floor_and_ceil(tmp_path: Path) -> None:
    feature_set = one_file_set(tmp_path, {"a": (7, 1, 2), "b": (6, 1, 2), "c": (1, 1, 2), "d": (9, 1, 2)})
    truth = {"a": gt("a", 100), "b": gt("b", 100), "c": gt("c", 15), "d": gt("d", 100)}
    # 100 frames: floor 6, ceil 7 (computed by hand: 100 / 16 = 6.25); 15 frames: only 1
    assert (math.floor(100 / 16), math.ceil(100 / 16)) == (6, 7)
    with pytest.raises(LengthMismatchError, match=r"^d: .*d has T=9 for 100 frames \(expected 6 or 7\)$"):
        check_lengths_against_gt(feature_set, truth)
    assert check_lengths_against_gt(feature_set.subset(["a", "b", "c"]), truth) == {"a": 7, "b": 6, "c": 1}


def test_lengths_name_every_mismatch_and_missing_ground_truth(tmp_path: Path) -> None:
    feature_set = one_file_set(tmp_path, {"a": (3, 1, 2), "b": (5, 1, 2), "c": (2, 1, 2)})
    truth = {"a": gt("a", 16 * 5), "b": gt("b", 16 * 3)}
    with pytest.raises(ValidationError, match=r"no ground truth for 1 videos: c"):
        check_lengths_against_gt(feature_set, truth)
    with pytest.raises(LengthMismatchError) as caught:
        check_lengths_against_gt(feature_set, truth, require_all=False)
    assert caught.value.video == "a, b"
    assert "a has T=3 for 80 frames (expected 5)" in str(caught.value)
    assert "b has T=5 for 48 frames (expected 3)" in str(caught.value)
    # 16-frame snippets every 8 frames over 24 frames: (24 - 16) / 8 + 1 = 2 snippets, none left over
    assert check_lengths(feature_set.subset(["c"]), {"c": 24}, 16, stride=8) == {"c": 2}
