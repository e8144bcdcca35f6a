"""Core types: validation on construction and lossless JSON + .npy round trips."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from vadkit.errors import ValidationError
from vadkit.registry import Registry
from vadkit.types import (
    EvalReport,
    Event,
    EventInterval,
    Features,
    FrameScores,
    GroundTruth,
    SnippetSpec,
    VideoInfo,
)


@pytest.mark.parametrize(
    ("n", "ceil_t", "floor_t"),
    [(0, 0, 0), (1, 1, 0), (15, 1, 0), (16, 1, 1), (17, 2, 1), (32, 2, 2), (33, 3, 2), (1000, 63, 62)],
)
def test_snippet_count_matches_ceil_and_floor_of_n_over_16(n: int, ceil_t: int, floor_t: int) -> None:
    assert SnippetSpec(rounding="ceil").num_snippets(n) == ceil_t == math.ceil(n / 16)
    assert SnippetSpec(rounding="floor").num_snippets(n) == floor_t == n // 16


def test_overlapping_windows_cover_the_video() -> None:
    spec = SnippetSpec(length=16, stride=8, rounding="ceil")
    # n=40: windows start at 0, 8, 16, 24 -> [24, 40) ends exactly at 40, nothing left over.
    assert spec.windows(40) == [(0, 16), (8, 24), (16, 32), (24, 40)]
    # n=41: one more frame needs a fifth window under ceil, none under floor.
    assert spec.windows(41)[-1] == (32, 48)
    assert SnippetSpec(length=16, stride=8, rounding="floor").windows(41)[-1] == (24, 40)


@pytest.mark.parametrize("bad", [{"length": 0}, {"stride": 0}, {"rounding": "round"}, {"crops": 0}])
def test_snippet_spec_rejects_bad_values(bad: dict) -> None:
    with pytest.raises(ValidationError):
        SnippetSpec(**bad)


def test_video_info_validates_and_round_trips() -> None:
    info = VideoInfo("a.mp4", fps=25.0, num_frames=100, width=320, height=240, container_frames=100)
    assert info.duration_s == 4.0
    assert VideoInfo.from_dict(info.to_dict()) == info
    with pytest.raises(ValidationError, match=r"a\.mp4: fps"):
        VideoInfo("a.mp4", fps=float("nan"), num_frames=1, width=1, height=1)
    with pytest.raises(ValidationError, match="frame size"):
        VideoInfo("a.mp4", fps=25.0, num_frames=1, width=0, height=1)


def test_features_reject_nan_naming_video_and_rows() -> None:
    data = np.zeros((4, 3), dtype=np.float32)
    data[2, 1] = np.nan
    with pytest.raises(ValidationError, match=r"clip7: features contains NaN or inf \(first bad rows: 2\)"):
        Features("clip7", data)


def test_features_check_crops_and_round_trip(tmp_path) -> None:
    data = np.random.default_rng(0).normal(size=(5, 10, 8))
    with pytest.raises(ValidationError, match="10 crops, the snippet spec 5"):
        Features("v", data, SnippetSpec(crops=5))
    feats = Features("v", data, SnippetSpec(crops=10), manifest={"extractor": "x"})
    assert feats.data.dtype == np.float32 and not feats.data.flags.writeable
    assert (feats.num_snippets, feats.dim) == (5, 8)
    npy = feats.save(tmp_path / "v")
    assert npy.name == "v.npy" and np.load(npy).shape == (5, 10, 8)
    back = Features.load(tmp_path / "v")
    assert np.array_equal(back.data, feats.data) and back.snippet == feats.snippet
    assert dict(back.manifest) == {"extractor": "x"}


def test_frame_scores_round_trip_and_timestamps(tmp_path) -> None:
    scores = FrameScores("v", np.array([0.1, 0.5, 0.9]), fps=2.0)
    assert np.allclose(scores.timestamps(), [0.0, 0.5, 1.0])
    scores.save(tmp_path / "v.npy")
    back = FrameScores.load(tmp_path / "v.npy")
    assert np.array_equal(back.scores, scores.scores) and back.fps == 2.0
    with pytest.raises(ValidationError, match="1 dimensions"):
        FrameScores("v", np.zeros((3, 2)))
    with pytest.raises(ValidationError, match="v: scores contains NaN"):
        FrameScores("v", np.array([0.0, np.inf]))


def test_ground_truth_validates_labels_and_events(tmp_path) -> None:
    labels = np.array([0, 1, 1, 0, 0, 1], dtype=np.uint8)
    events = (EventInterval(1, 3, "Fighting"), EventInterval(5, 6, "Fighting"))
    boxes = [[0, 1, 10, 10, 20, 20], [0, 2, 11, 10, 21, 20]]
    gt = GroundTruth("v", labels, events, label="Fighting", boxes=boxes, source="test; 0-based exclusive")
    assert gt.is_abnormal and gt.num_frames == 6
    gt.save(tmp_path / "v")
    back = GroundTruth.load(tmp_path / "v")
    assert np.array_equal(back.labels, labels) and back.events == events
    assert back.boxes.tolist() == boxes and back.source == gt.source and back.label == "Fighting"
    with pytest.raises(ValidationError, match="0/1"):
        GroundTruth("v", np.array([0, 2]))
    with pytest.raises(ValidationError, match="passes the last frame"):
        GroundTruth("v", labels, (EventInterval(4, 7),))
    with pytest.raises(ValidationError, match="start < end"):
        EventInterval(3, 3)


def test_event_times_and_round_trip() -> None:
    event = Event(
        "v", start=50, end=100, fps=25.0, peak_score=0.9, mean_score=0.7, evidence={"cells": [(1, 2)]}
    )
    assert (event.start_s, event.end_s) == (2.0, 4.0)
    data = event.to_dict()
    assert data["evidence"] == {"cells": [[1, 2]]}
    assert Event.from_dict(data).end == 100
    with pytest.raises(ValidationError, match="peak_score"):
        Event("v", 0, 1, 25.0, float("nan"), 0.0)


def test_eval_report_keeps_undefined_metrics_as_null(tmp_path) -> None:
    report = EvalReport("ped2", {"auc_micro": 0.9, "auc_macro": float("nan")}, 2, 10, {"gt": "ped2.mat"})
    path = report.save(tmp_path / "metrics.json")
    assert '"auc_macro": null' in path.read_text()
    back = EvalReport.load(path)
    assert back.metrics["auc_micro"] == 0.9 and math.isnan(back.metrics["auc_macro"])
    assert dict(back.settings) == {"gt": "ped2.mat"}


def test_registry_registers_once_and_lists_names() -> None:
    reg: Registry[int] = Registry("widget")

    @reg.register("b")
    def make_b(x: int = 1) -> int:
        return x

    reg.register("a")(lambda: 0)
    assert reg.names() == ["a", "b"] and "b" in reg and reg.create("b", x=3) == 3
    with pytest.raises(ValueError, match="already registered"):
        reg.register("b")(make_b)
    with pytest.raises(KeyError, match="unknown widget 'c'; known: a, b"):
        reg.get("c")


def test_registry_imports_a_lazy_entry_on_first_use(tmp_path, monkeypatch) -> None:
    reg: Registry[int] = Registry("widget")
    module = tmp_path / "lazy_widget_module.py"
    module.write_text(
        "from tests_registry_target import REG\n\n@REG.register('heavy')\ndef make(): return 7\n"
    )
    (tmp_path / "tests_registry_target.py").write_text("REG = None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import tests_registry_target

    monkeypatch.setattr(tests_registry_target, "REG", reg)
    reg.register_lazy("heavy", "lazy_widget_module")
    reg.register_lazy("broken", "tests_registry_target")  # imports, but registers nothing
    assert reg.names() == ["broken", "heavy"] and "heavy" in reg
    assert "lazy_widget_module" not in sys.modules  # announced, not imported
    assert reg.create("heavy") == 7
    assert "lazy_widget_module" in sys.modules
    with pytest.raises(ValueError, match="already registered"):
        reg.register_lazy("heavy", "lazy_widget_module")
    with pytest.raises(KeyError, match="importing tests_registry_target did not register it"):
        reg.get("broken")


def test_top_level_entry_points_resolve_lazily() -> None:
    import vadkit

    assert vadkit.list_methods() == [
        "clip-zeroshot",
        "hlnet",
        "mil",
        "rtfm",
        "tpwng",
        "urdmu",
        "vadclip",
        "vadclip_xd",
    ]
    assert "motion" in vadkit.list_extractors()
    assert "synthetic" in vadkit.list_protocols()
    assert callable(vadkit.generate_synthetic) and callable(vadkit.open_video)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        vadkit.nope  # noqa: B018
