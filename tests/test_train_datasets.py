"""The dataset spec: tiny public feature releases in real formats, read into features and checked ground
truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from test_train_datasets_files import (
    AUDIO_DIM,
    DIM,
    SH_ABNORMAL,
    SH_TEST,
    SH_TRAIN,
    UCF_TEST,
    UCF_TRAIN,
    XD_TEST,
    experiment_fields,
    frames,
    shanghaitech_release,
    ucf_rtfm_release,
    ucf_vadclip_release,
    xd_per_crop_release,
)
from vadkit.errors import AnnotationError, LengthMismatchError, ValidationError
from vadkit.eval import get_protocol
from vadkit.train.datasets import DatasetSpec, infer_layout

UCF = get_protocol("ucf-crime")


def labels_with(length: int, start: int, stop: int) -> np.ndarray:
    """Frame labels: 1 on ``[start, stop)``."""
    labels = np.zeros(length, dtype=np.uint8)
    labels[start:stop] = 1
    return labels


def test_layouts_are_inferred_from_the_training_list(tmp_path: Path) -> None:
    (tmp_path / "ucf").mkdir()
    (tmp_path / "xd").mkdir()
    assert infer_layout(ucf_rtfm_release(tmp_path / "ucf")["train_list"]) == "rtfm"
    assert infer_layout(xd_per_crop_release(tmp_path / "xd")["train_list"]) == "per-crop"
    assert infer_layout(ucf_vadclip_release(tmp_path / "clip")["test_list"]) == "vadclip"
    with pytest.raises(AnnotationError, match=r"nothing\.list: file not found"):
        infer_layout(tmp_path / "nothing.list")


def test_ucf_rtfm_release_read_in_list_order_with_labels_and_remapped_paths(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path)
    data = DatasetSpec(**experiment_fields(release)).load(UCF)
    assert data.train.names == tuple(UCF_TRAIN) and data.test.names == tuple(UCF_TEST)
    assert [v.label for v in data.train] == [1, 1, 1, 0, 0, 0]
    assert [v.class_name for v in data.train][:3] == ["Abuse", "Arrest", "Arson"]
    assert data.train["Arson001_x264"].files == (
        tmp_path / "UCF_Train_ten_crop_i3d" / "Arson001_x264_i3d.npy",
    )
    assert data.test.load("Arson011_x264").shape == (UCF_TEST["Arson011_x264"], 10, DIM)
    assert list(data.test_ground_truth) == list(UCF_TEST)
    # RTFM's convention: the annotated start is a 0-based index, the end inclusive; n real frames
    abuse = data.test_ground_truth["Abuse028_x264"]
    np.testing.assert_array_equal(abuse.labels, labels_with(frames(5), 20, 51))
    np.testing.assert_array_equal(
        data.test_ground_truth["Arson011_x264"].labels, labels_with(frames(6), 10, 61)
    )
    normal = data.test_ground_truth["Normal_Videos_010_x264"].labels
    assert normal.shape == (frames(5),) and not normal.any()


def test_separate_train_and_test_folders_with_the_file_name_kept(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path)
    fields = {**experiment_fields(release), "feature_root": release["train_dir"], "keep_parts": None}
    fields["test_feature_root"] = release["test_dir"]
    train, test = DatasetSpec(**fields).feature_sets()
    assert train["Abuse001_x264"].files == (Path(release["train_dir"]) / "Abuse001_x264_i3d.npy",)
    assert test["Abuse028_x264"].files == (Path(release["test_dir"]) / "Abuse028_x264_i3d.npy",)


def test_official_annotation_needs_frame_counts_or_the_rtfm_length_rule(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path)
    fields = {**experiment_fields(release), "gt": release["official"]}
    with pytest.raises(AnnotationError, match="Abuse028_x264: length rule 'frames' needs its frame count"):
        DatasetSpec(**fields).load(UCF)
    rtfm_way = {**fields, "gt_options": {"length": "snippets", "snippet_counts": "scores"}}
    truth = DatasetSpec(**rtfm_way).load(UCF).test_ground_truth
    assert {name: gt.num_frames for name, gt in truth.items()} == {n: 16 * t for n, t in UCF_TEST.items()}
    np.testing.assert_array_equal(truth["Abuse028_x264"].labels, labels_with(80, 20, 51))


def test_a_feature_length_that_does_not_fit_the_frame_count_names_the_video(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path)
    annotation = Path(release["gt"])
    text = annotation.read_text().replace(f"Arson011_x264.mp4 {frames(6)} ", "Arson011_x264.mp4 300 ")
    annotation.write_text(text)
    with pytest.raises(
        LengthMismatchError, match=r"Arson011_x264 has T=6 for 300 frames \(expected 18 or 19\)"
    ):
        DatasetSpec(**experiment_fields(release)).load(UCF)


def test_missing_list_and_missing_feature_file_name_the_file(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path)
    missing = {**experiment_fields(release), "test_list": str(tmp_path / "ucf-i3d-test-typo.list")}
    with pytest.raises(AnnotationError, match=r"ucf-i3d-test-typo\.list: file not found"):
        DatasetSpec(**missing).load(UCF)
    (tmp_path / "UCF_Test_ten_crop_i3d" / "Normal_Videos_003_x264_i3d.npy").unlink()
    with pytest.raises(ValidationError, match=r"Normal_Videos_003_x264: feature file .* not found"):
        DatasetSpec(**experiment_fields(release)).load(UCF)


def test_public_split_sizes_are_checked_unless_turned_off(tmp_path: Path) -> None:
    release = {**experiment_fields(ucf_rtfm_release(tmp_path)), "check_counts": True}
    with pytest.raises(
        AnnotationError, match=r"ucf_crime train split should have 810 abnormal \+ 800 normal"
    ):
        DatasetSpec(**release).load(UCF)


def test_vadclip_csv_release(tmp_path: Path) -> None:
    data = DatasetSpec(**ucf_vadclip_release(tmp_path)).load(UCF)
    assert data.train.crops == 2 and data.test.crops == 1
    assert data.train["Normal_Videos002_x264"].files[1] == (
        tmp_path / "Training_Normal_Videos_Anomaly" / "Normal_Videos002_x264__1.npy"
    )
    assert [v.label for v in data.test] == [1, 1, 0, 0]


def test_xd_per_crop_with_audio_and_snippet_length_ground_truth(tmp_path: Path) -> None:
    data = DatasetSpec(**xd_per_crop_release(tmp_path)).load(get_protocol("xd-violence"))
    violent = next(iter(XD_TEST))
    assert data.train.has_audio and data.test.has_audio and data.test.crops == 5
    features, audio = data.test.load(violent), data.test.load_audio(violent)
    assert features.shape == (XD_TEST[violent], 5, DIM) and audio.shape == (XD_TEST[violent], AUDIO_DIM)
    # T*16 frames (VadCLIP's rule), XDVioDet's convention: 0-based start, exclusive end
    np.testing.assert_array_equal(data.test_ground_truth[violent].labels, labels_with(80, 16, 48))
    assert [v.label for v in data.test] == [1, 0, 0]


def test_shanghaitech_labels_from_the_masks_and_rtfm_padding(tmp_path: Path) -> None:
    data = DatasetSpec(**shanghaitech_release(tmp_path)).load(get_protocol("shanghaitech-weak"))
    assert [v.name for v in data.train if v.label] == [n for n in SH_TRAIN if n in SH_ABNORMAL]
    assert [v.name for v in data.test if v.label] == [n for n in SH_TEST if n in SH_ABNORMAL]
    # masks of 16T - 5 frames padded to ceil(n/16)*16 = 16T with their last label; maskless videos T*16
    truth = data.test_ground_truth
    np.testing.assert_array_equal(truth["01_0016"].labels, labels_with(80, 16, 40))
    assert truth["02_002"].num_frames == 96 and not truth["02_002"].labels.any()


PUBLIC = {"dataset": "ucf-crime", "feature_root": "f", "train_list": "a", "test_list": "b", "gt": "c"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({**PUBLIC, "dataset": "ucf"}, "unknown dataset 'ucf'"),
        ({"dataset": "synthetic"}, "dataset synthetic needs data_root, feature_dir"),
        ({"data_root": "d", "feature_dir": "f", "gt": "a"}, "dataset synthetic does not use gt"),
        ({**PUBLIC, "feature_root": None}, "dataset ucf-crime needs feature_root"),
        ({**PUBLIC, "data_root": "d"}, "dataset ucf-crime does not use data_root"),
        ({**PUBLIC, "layout": "c3d"}, "unknown layout 'c3d'"),
        ({**PUBLIC, "keep_parts": 0}, "keep_parts must be a positive integer"),
        ({**PUBLIC, "train_audio_list": "a.list"}, "give both or neither"),
        ({**PUBLIC, "layout": "rtfm", "train_audio_list": "a", "test_audio_list": "b"}, "per-crop layout"),
        ({**PUBLIC, "gt_options": {"frame_counts": object()}}, "gt_options must hold JSON values"),
        ({**PUBLIC, "check_counts": "no"}, "check_counts must be true or false"),
    ],
)
def test_invalid_specs(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DatasetSpec(**fields)  # type: ignore[arg-type]


def test_audio_lists_with_an_inferred_non_per_crop_layout_are_refused(tmp_path: Path) -> None:
    release = ucf_rtfm_release(tmp_path)
    fields = {**experiment_fields(release), "train_audio_list": "a.list", "test_audio_list": "b.list"}
    with pytest.raises(ValidationError, match="a rtfm list; audio lists need the per-crop layout"):
        DatasetSpec(**fields).feature_sets()


def test_a_protocol_of_another_dataset_is_refused(tmp_path: Path) -> None:
    spec = DatasetSpec(**experiment_fields(ucf_rtfm_release(tmp_path)))
    with pytest.raises(
        ValidationError, match="protocol xd-violence evaluates xd_violence, the dataset is ucf-crime"
    ):
        spec.load(get_protocol("xd-violence"))
