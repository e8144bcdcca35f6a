"""read_vadkit_features and synthetic_feature_set on a real ``vadkit extract`` output of a synthetic set."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from vadkit.data import build_synthetic_gt
from vadkit.data.feature_sets import check_lengths_against_gt, read_vadkit_features, synthetic_feature_set
from vadkit.errors import AnnotationError, LengthMismatchError, ValidationError
from vadkit.features import run_extraction
from vadkit.synth import generate


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny synthetic dataset and its motion features (ids ``<Class>/<name>``)."""
    base = tmp_path_factory.mktemp("vadkit_features")
    generate(base / "synth", preset="tiny", seed=1)
    summary = run_extraction([base / "synth" / "videos"], base / "features", "motion", progress=False)
    assert summary.exit_code == 0
    return base / "synth", base / "features"


def listed(root: Path, split: str) -> list[tuple[str, str]]:
    """``(class, name)`` of each line of ``Anomaly_<Split>.txt``, read here without vadkit."""
    text = (root / f"Anomaly_{split}.txt").read_text()
    return [(line.split("/")[0], line.split("/")[1].removesuffix(".mp4")) for line in text.split()]


def copy(extracted: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    synth, features = extracted
    return shutil.copytree(synth, tmp_path / "synth"), shutil.copytree(features, tmp_path / "features")


def edit_record(features: Path, video_id: str, **changes: object) -> None:
    path = features / f"{video_id}.json"
    payload = json.loads(path.read_text())
    payload["manifest"].update(changes)
    path.write_text(json.dumps(payload))


def test_synthetic_split_with_its_extracted_features(extracted: tuple[Path, Path]) -> None:
    synth, features = extracted
    metadata = json.loads((synth / "metadata.json").read_text())["videos"]
    for split, file_split in [("train", "Train"), ("test", "Test")]:
        expected = listed(synth, file_split)
        feature_set = synthetic_feature_set(synth, features, split)
        assert feature_set.names == tuple(name for _, name in expected)
        assert [v.class_name for v in feature_set] == [cls for cls, _ in expected]
        assert [v.label for v in feature_set] == [int(cls != "Normal") for cls, _ in expected]
        assert feature_set.dataset == "synthetic" and feature_set.split == split
        for cls, name in expected:
            array = np.load(features / cls / f"{name}.npy")
            assert feature_set[name].files == (features / cls / f"{name}.npy",)
            loaded = feature_set.load(name)
            assert loaded.shape == (math.ceil(metadata[name]["num_frames"] / 16), 1, array.shape[1])
            np.testing.assert_array_equal(loaded[:, 0, :], array)


def test_synthetic_test_features_fit_the_ground_truth(extracted: tuple[Path, Path]) -> None:
    synth, features = extracted
    feature_set = synthetic_feature_set(synth, features, "test")
    lengths = check_lengths_against_gt(feature_set, build_synthetic_gt(synth, split="test"))
    assert list(lengths) == list(feature_set.names)


def test_whole_folder_by_id_with_folder_or_mapped_labels(extracted: tuple[Path, Path]) -> None:
    _, features = extracted
    ids = sorted(str(p.relative_to(features).with_suffix("")) for p in features.rglob("*.npy"))
    everything = read_vadkit_features(features)
    assert everything.names == tuple(video_id.split("/")[1] for video_id in ids)
    assert [v.class_name for v in everything] == [video_id.split("/")[0] for video_id in ids]
    assert [v.label for v in everything] == [int(not video_id.startswith("Normal/")) for video_id in ids]
    assert everything.crops == 1 and everything.dim == np.load(features / f"{ids[0]}.npy").shape[1]
    mapped = read_vadkit_features(features, labels={name: 1 for name in everything.names} | {ids[0]: 0})
    assert [v.label for v in mapped][:2] == [0, 1] and mapped.videos[0].class_name is None
    with pytest.raises(ValidationError, match=r"label must be a class name or 0/1, got 2"):
        read_vadkit_features(features, labels=dict.fromkeys(everything.names, 2))
    with pytest.raises(ValidationError, match=r"no label given for this video"):
        read_vadkit_features(features, labels={})
    with pytest.raises(AnnotationError, match=r"vadkit video names carry no label"):
        read_vadkit_features(features, labels="names")


def test_failed_and_partial_records_are_refused(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    synth, features = copy(extracted, tmp_path)
    video_id = "/".join(listed(synth, "Train")[0])
    edit_record(features, video_id, status="failed", reason="decoder exploded")
    with pytest.raises(ValidationError, match=rf"refused 1 videos: {video_id} \(failed: decoder exploded\)"):
        synthetic_feature_set(synth, features, "train")
    edit_record(features, video_id, status="partial", reason="120 of 135 frames")
    with pytest.raises(ValidationError, match=r"\(partial: 120 of 135 frames\); pass accept_partial=True"):
        read_vadkit_features(features)
    accepted = synthetic_feature_set(synth, features, "train", accept_partial=True)
    assert video_id.split("/")[1] in accepted


def test_one_extractor_configuration_per_set(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    synth, features = copy(extracted, tmp_path)
    video_id = "/".join(listed(synth, "Test")[-1])
    edit_record(features, video_id, config_hash="0123456789abcdef")
    with pytest.raises(
        ValidationError,
        match=rf"different extractor configurations: .*0123456789abcdef \(e\.g\. {video_id}\)",
    ):
        synthetic_feature_set(synth, features, "test")
    assert len(synthetic_feature_set(synth, features, "train")) == len(listed(synth, "Train"))


def test_arrays_must_match_their_records(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    synth, features = copy(extracted, tmp_path)
    video_id = "/".join(listed(synth, "Train")[1])
    np.save(features / f"{video_id}.npy", np.zeros((2, 5), np.float32))
    with pytest.raises(
        ValidationError, match=rf"{video_id}: .*{video_id}\.npy is missing or does not match its record"
    ):
        synthetic_feature_set(synth, features, "train")


def test_lengths_are_checked_against_the_frame_counts(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    synth, features = copy(extracted, tmp_path)
    name = listed(synth, "Train")[0][1]
    metadata = json.loads((synth / "metadata.json").read_text())
    frames = metadata["videos"][name]["num_frames"]
    metadata["videos"][name]["num_frames"] = frames + 64
    (synth / "metadata.json").write_text(json.dumps(metadata))
    t = math.ceil(frames / 16)
    with pytest.raises(LengthMismatchError, match=rf"^{name}: .*{name} has T={t} for {frames + 64} frames"):
        synthetic_feature_set(synth, features, "train")


def test_listed_videos_need_exactly_one_extracted_video(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    synth, features = copy(extracted, tmp_path)
    cls, name = listed(synth, "Train")[0]
    (features / cls / f"{name}.json").rename(features / cls / f"{name}.json.bak")
    with pytest.raises(ValidationError, match=rf"no features for 1 videos of .*Anomaly_Train\.txt: {name}"):
        synthetic_feature_set(synth, features, "train")
    (features / cls / f"{name}.json.bak").rename(features / cls / f"{name}.json")
    twin = features / "Other" / name
    twin.parent.mkdir()
    shutil.copy(features / cls / f"{name}.npy", twin.with_suffix(".npy"))
    payload = json.loads((features / cls / f"{name}.json").read_text())
    payload["video"] = f"Other/{name}"
    twin.with_suffix(".json").write_text(json.dumps(payload))
    with pytest.raises(ValidationError, match=rf"{name} names several extracted videos") as caught:
        synthetic_feature_set(synth, features, "train")
    assert f"Other/{name}" in str(caught.value) and f"{cls}/{name}" in str(caught.value)


def test_folders_that_are_not_extraction_outputs(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="feature folder not found"):
        read_vadkit_features(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnnotationError, match="no extraction records"):
        read_vadkit_features(tmp_path / "empty")
    flat = tmp_path / "flat"
    flat.mkdir()
    payload = {
        "video": "v1",
        "snippet": {"length": 16, "stride": 16, "rounding": "ceil", "crops": 1},
        "manifest": {
            "input": "v1.mp4",
            "output": "v1.npy",
            "extractor": "motion",
            "config": {},
            "config_hash": "abc",
            "status": "ok",
            "shape": [3, 4],
            "dtype": "float32",
        },
    }
    (flat / "v1.json").write_text(json.dumps(payload))
    np.save(flat / "v1.npy", np.ones((3, 4), np.float32))
    with pytest.raises(ValidationError, match=r"video v1 has no class folder; pass labels explicitly"):
        read_vadkit_features(flat)
    one = read_vadkit_features(flat, labels={"v1": "Normal"}, dataset="custom", split="test")
    assert one.load("v1").shape == (3, 1, 4) and one.videos[0].label == 0
