"""Protocol registry: the named benchmarks, their metrics, overrides and compat modes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from vadkit.errors import ValidationError
from vadkit.eval.protocols import METRIC_KINDS, PROTOCOLS, Protocol, get_protocol, list_protocols

EXPECTED = {
    "ucf-crime": (
        "ucf_crime",
        "auc_micro",
        {"auc_micro", "ap_sklearn", "auc_abnormal_videos", "far", "auc_macro"},
    ),
    "xd-violence": ("xd_violence", "ap_pr_trapz", {"ap_pr_trapz", "ap_sklearn", "auc_micro", "far"}),
    "shanghaitech-weak": ("shanghaitech", "auc_micro", {"auc_micro", "far", "auc_abnormal_videos"}),
    "shanghaitech": ("shanghaitech", "auc_micro", {"auc_micro", "auc_macro", "eer"}),
    "ped2": ("ped2", "auc_micro", {"auc_micro", "auc_macro", "eer"}),
    "avenue": ("avenue", "auc_micro", {"auc_micro", "auc_macro", "eer"}),
    "synthetic": (
        "synthetic",
        "auc_micro",
        {"auc_micro", "ap_sklearn", "ap_pr_trapz", "auc_abnormal_videos", "auc_macro", "far"},
    ),
}


def test_registry_lists_the_builtin_protocols() -> None:
    assert list_protocols() == sorted(EXPECTED)
    assert set(PROTOCOLS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_protocol_reports_its_metrics(name: str) -> None:
    protocol = get_protocol(name)
    dataset, headline, metrics = EXPECTED[name]
    assert protocol.name == name
    assert protocol.dataset == dataset
    assert protocol.headline == headline == protocol.headline_name
    assert set(protocol.metrics) == metrics
    assert set(protocol.metrics) <= set(METRIC_KINDS)
    assert protocol.snippet_length == 16
    assert protocol.drop_first_frames == 0 and not protocol.normalize_per_video and protocol.compat is None
    assert protocol.description
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in protocol.gt_options.items())
    json.dumps(protocol.to_dict())
    assert PROTOCOLS.create(name) == protocol


def test_far_is_reported_under_its_threshold() -> None:
    assert "far@0.5" in get_protocol("ucf-crime").metric_names
    protocol = get_protocol("xd-violence", far_threshold=0.25)
    assert "far@0.25" in protocol.metric_names
    assert protocol.metric_name("ap_sklearn") == "ap_sklearn"


def test_ano_pred_compat_drops_and_normalises() -> None:
    protocol = get_protocol("ped2", compat="ano_pred")
    assert protocol.drop_first_frames == 4
    assert protocol.normalize_per_video
    assert protocol.compat == "ano_pred"
    assert protocol.to_dict()["compat"] == "ano_pred"
    # An explicit override wins over the compat mode's value.
    assert get_protocol("avenue", compat="ano_pred", drop_first_frames=0).drop_first_frames == 0


def test_unknown_names_fields_and_values_raise() -> None:
    with pytest.raises(KeyError, match="unknown protocol 'ucf'"):
        get_protocol("ucf")
    with pytest.raises(ValidationError, match="unknown setting"):
        get_protocol("ped2", thresold=0.3)
    with pytest.raises(ValidationError, match="compat"):
        get_protocol("ped2", compat="rtfm")
    with pytest.raises(ValidationError, match="macro_padding"):
        get_protocol("avenue", macro_padding="zeros")
    with pytest.raises(ValidationError, match="far_subset"):
        get_protocol("ucf-crime", far_subset="abnormal")
    with pytest.raises(ValidationError, match="far_threshold"):
        get_protocol("ucf-crime", far_threshold=float("inf"))
    with pytest.raises(ValidationError, match="drop_first_frames"):
        get_protocol("ped2", drop_first_frames=-1)


def test_protocol_validation_on_construction() -> None:
    with pytest.raises(ValidationError, match="headline"):
        Protocol(name="x", dataset="ped2", metrics=("auc_micro",), headline="eer")
    with pytest.raises(ValidationError, match="dataset"):
        Protocol(name="x", dataset="ucsd", metrics=("auc_micro",), headline="auc_micro")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="metrics"):
        Protocol(name="x", dataset="ped2", metrics=("auc", "auc_micro"), headline="auc_micro")
    with pytest.raises(ValidationError, match="metrics"):
        Protocol(name="x", dataset="ped2", metrics=("auc_micro", "auc_micro"), headline="auc_micro")


def test_protocols_are_immutable() -> None:
    protocol = get_protocol("ucf-crime")
    with pytest.raises(dataclasses.FrozenInstanceError):
        protocol.far_threshold = 0.1  # type: ignore[misc]
    with pytest.raises(TypeError):
        protocol.gt_options["length"] = "padded"  # type: ignore[index]
    # Overrides build a new protocol and leave the registered one untouched.
    get_protocol("ucf-crime", far_threshold=0.1)
    assert get_protocol("ucf-crime").far_threshold == 0.5


def test_ground_truth_options_apply_overrides_and_require_what_the_protocol_needs() -> None:
    protocol = get_protocol("shanghaitech-weak")
    options = protocol.ground_truth_options({"list_file": "test.list", "length": "frames"})
    assert options == {**dict(protocol.gt_options), "list_file": "test.list", "length": "frames"}
    assert options["snippet_counts"] == "scores"  # a protocol default the override left alone
    with pytest.raises(ValidationError, match=r"needs ground-truth option\(s\) list_file"):
        protocol.ground_truth_options({})
