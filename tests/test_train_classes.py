"""The class-aware harness: class lists per dataset, video class indices, batches carrying classes for every
batching, and a tiny class-aware head trained through run_experiment (class-score files, map@iou in every
results file, reproduced by evaluate_run)."""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from vadkit.data import UCF_CLASSES, XD_CLASS_NAMES, build_ground_truth
from vadkit.errors import ValidationError
from vadkit.eval import map_at_iou
from vadkit.methods import BATCHINGS, METHODS, TrainSequence, WeakBatch, WeakHead
from vadkit.train import (
    MAP_METRIC_NAMES,
    ArrayFeatureSet,
    ArrayVideo,
    BalancedSampler,
    ClassList,
    CropRowSampler,
    DatasetSpec,
    TrainConfig,
    evaluate_run,
    make_sampler,
    read_info,
    train,
    video_class_indices,
)
from vadkit.train.experiment import ExperimentConfig, run_experiment

STEPS = 4


class TinyClassHead(WeakHead):
    """The smallest class-aware head: one linear layer from features to class logits."""

    name = "tiny-classes"
    class_aware = True
    train_sequence = TrainSequence("segments", 8)

    def __init__(self, feature_dim: int, classes: Sequence[str]) -> None:
        super().__init__()
        self.classes = tuple(classes)
        self.linear = nn.Linear(feature_dim, len(self.classes))

    def class_scores(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        views = features if features.dim() == 4 else features.unsqueeze(1)
        return self.linear(views).softmax(dim=-1).mean(dim=1)

    def snippet_scores(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        return 1.0 - self.class_scores(features, lengths)[..., 0]

    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        assert batch.classes is not None and batch.classes.dtype == torch.int64
        assert torch.equal(batch.classes == 0, batch.labels == 0)
        views = batch.features if batch.features.dim() == 4 else batch.features.unsqueeze(1)
        logits = self.linear(views).mean(dim=(1, 2))
        loss = nn.functional.cross_entropy(logits, batch.classes)
        return loss, {"ce": float(loss.detach())}

    def reference_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-2)


@contextlib.contextmanager
def registered() -> Iterator[str]:
    """The tiny head registered for the block only (the registry test lists the real methods)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(METHODS._entries, TinyClassHead.name, TinyClassHead)
        yield TinyClassHead.name


@pytest.fixture(scope="module")
def bench(tiny_motion_dataset: tuple[Path, Path]) -> tuple[Path, Path]:
    """The tiny synthetic dataset with motion features (``tiny_motion_dataset``)."""
    return tiny_motion_dataset


def _config(bench: tuple[Path, Path], **changes: object) -> ExperimentConfig:
    values: dict[str, object] = {"seeds": (0, 1), "steps": STEPS, "batch_size": 1, "eval_every": 2}
    values.update(changes)
    return ExperimentConfig(TinyClassHead.name, str(bench[0]), str(bench[1]), **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def experiment(bench: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    with registered():
        return run_experiment(_config(bench), tmp_path_factory.mktemp("runs") / "tiny", progress=False)


def _metadata_classes(data: Path) -> list[str]:
    return json.loads((data / "metadata.json").read_text())["classes"]


# -- class lists ------------------------------------------------------------------------------------------


def test_each_dataset_has_its_class_list_normal_first(bench: tuple[Path, Path]) -> None:
    synthetic = DatasetSpec("synthetic", data_root=str(bench[0]), feature_dir=str(bench[1])).class_list()
    assert synthetic is not None and synthetic.codes == tuple(_metadata_classes(bench[0]))
    assert synthetic.codes[0] == "Normal" and synthetic.names == synthetic.codes
    public = {"feature_root": "f", "train_list": "a.list", "test_list": "b.list", "gt": "g"}
    ucf = DatasetSpec("ucf-crime", **public).class_list()
    assert ucf == ClassList(UCF_CLASSES, UCF_CLASSES)
    xd = DatasetSpec("xd-violence", **public).class_list()
    assert xd is not None and xd.codes == ("A", "B1", "B2", "B4", "B5", "B6", "G")
    assert xd.names == tuple(XD_CLASS_NAMES[code] for code in xd.codes) and xd.names[0] == "normal"
    assert DatasetSpec("shanghaitech-weak", **public).class_list() is None


def test_class_index_of_names_and_multi_label_tags() -> None:
    xd = ClassList(tuple(XD_CLASS_NAMES), tuple(XD_CLASS_NAMES.values()))
    assert xd.index("A") == 0 and xd.index("B4") == 3 and xd.index("G-B2-B6") == 6
    with pytest.raises(ValidationError, match="not one of"):
        xd.index("B3")
    with pytest.raises(ValidationError, match="normal class comes first"):
        ClassList(("Abuse", "Normal"), ("Abuse", "Normal"))


def test_video_class_indices_check_every_video() -> None:
    classes = ClassList(("Normal", "Run", "Fall"), ("Normal", "Run", "Fall"))
    features = {name: np.zeros((4, 2), np.float32) for name in ("n", "r", "f")}
    good = [ArrayVideo("n", 0, "Normal"), ArrayVideo("r", 1, "Run"), ArrayVideo("f", 1, "Fall")]
    assert video_class_indices(ArrayFeatureSet(good, features), classes) == {"n": 0, "r": 1, "f": 2}
    unknown = [ArrayVideo("n", 0, "Normal"), ArrayVideo("r", 1, None), ArrayVideo("f", 0, "Fall")]
    with pytest.raises(ValidationError, match=r"r has no class.*f is labelled 0"):
        video_class_indices(ArrayFeatureSet(unknown, features), classes)


# -- batches ----------------------------------------------------------------------------------------------


CROPS = 2


def _class_set(crops: int = CROPS) -> tuple[ArrayFeatureSet, dict[str, int]]:
    rng = np.random.default_rng(0)
    videos = [ArrayVideo(f"n{i}", 0, "Normal") for i in range(3)] + [
        ArrayVideo(f"a{i}", 1, ("Run", "Fall")[i % 2]) for i in range(4)
    ]
    features = {v.name: rng.normal(size=(int(rng.integers(3, 9)), crops, 3)) for v in videos}
    indices = {v.name: {"Normal": 0, "Run": 1, "Fall": 2}[v.class_name or ""] for v in videos}
    return ArrayFeatureSet(videos, features), indices


@pytest.mark.parametrize(
    ("batching", "crops_as_bags"),
    [(batching, False) for batching in BATCHINGS] + [("balanced_videos", True)],
)
def test_batches_carry_each_bags_class(batching: str, crops_as_bags: bool) -> None:
    data, indices = _class_set()
    spec = TrainSequence("segments", 4)
    sampler = make_sampler(
        batching,  # type: ignore[arg-type]
        data,
        spec,
        2,
        seed=3,
        crops_as_bags=crops_as_bags,
        class_indices=indices,
    )
    plain = make_sampler(batching, data, spec, 2, seed=3, crops_as_bags=crops_as_bags)  # type: ignore[arg-type]
    for step in range(5):
        batch = sampler.batch(step)
        if isinstance(sampler, BalancedSampler):
            normal, abnormal = sampler.videos(step)
            repeat = CROPS if crops_as_bags else 1
            names = [name for name in (*normal, *abnormal) for _ in range(repeat)]
        else:
            assert isinstance(sampler, CropRowSampler)
            names = [name for name, _ in sampler.rows(step)]
        assert batch.classes is not None and batch.classes.dtype == torch.int64
        assert batch.classes.tolist() == [indices[name] for name in names]
        assert batch.classes.shape[0] == batch.labels.shape[0] == batch.features.shape[0]
        assert torch.equal(batch.classes == 0, batch.labels == 0)
        assert plain.batch(step).classes is None
        assert torch.equal(plain.batch(step).features, batch.features)


def test_sampler_refuses_videos_without_class_index() -> None:
    data, indices = _class_set()
    del indices["a1"]
    with pytest.raises(ValidationError, match="no class index for 1 training video"):
        make_sampler(
            "balanced_videos", data, TrainSequence("segments", 4), 2, seed=0, crops_as_bags=False,
            class_indices=indices,
        )  # fmt: skip


def test_trainer_needs_the_class_indices_of_a_class_aware_method(tmp_path: Path) -> None:
    data, indices = _class_set(crops=1)
    with registered():
        config = TrainConfig(
            TinyClassHead.name, {"feature_dim": 3, "classes": ["Normal", "Run", "Fall"]}, steps=2
        )
        fit, val = data.subset(["n0", "n1", "a0", "a1"]), data.subset(["n2", "a2", "a3"])
        with pytest.raises(ValidationError, match="class-aware and needs class_indices"):
            train(config, fit, val, run_dir=tmp_path / "a", progress=False)
        result = train(config, fit, val, run_dir=tmp_path / "b", progress=False, class_indices=indices)
    recorded = read_info(result.last_checkpoint)["data"]["train"]["classes"]
    assert recorded == {"n0": 0, "n1": 0, "a0": 1, "a1": 2}


# -- the experiment runner --------------------------------------------------------------------------------


def test_the_dataset_classes_are_given_to_the_method(experiment, bench: tuple[Path, Path]) -> None:
    config = json.loads((experiment.run_dir / "config.json").read_text())
    assert config["method_config"]["classes"] == _metadata_classes(bench[0])
    videos = json.loads((bench[0] / "metadata.json").read_text())["videos"]
    classes = _metadata_classes(bench[0])
    for seed in experiment.seeds:
        recorded = read_info(seed.train.last_checkpoint)["data"]["train"]["classes"]
        assert recorded and all(classes[index] == videos[name]["label"] for name, index in recorded.items())


def test_class_scores_are_written_per_checkpoint(experiment, bench: tuple[Path, Path]) -> None:
    classes = _metadata_classes(bench[0])
    for seed in experiment.seeds:
        for kind in ("last", "selected"):
            folder = seed.class_score_dirs[kind]
            assert folder == experiment.run_dir / f"seed-{seed.seed}" / f"class-scores-{kind}"
            files = sorted(folder.glob("*.npy"))
            assert len(files) == 10
            for file in files:
                values = np.load(file)
                snippets = np.load(seed.score_dirs[kind] / file.name)
                assert values.dtype == np.float32 and values.shape == (snippets.shape[0], len(classes))
                np.testing.assert_allclose(1.0 - values[:, 0], snippets, rtol=1e-5, atol=1e-6)


def test_map_at_iou_is_reported_everywhere(experiment, bench: tuple[Path, Path]) -> None:
    assert experiment.metric_names[-len(MAP_METRIC_NAMES) :] == MAP_METRIC_NAMES
    assert MAP_METRIC_NAMES == (
        "map@iou0.1",
        "map@iou0.2",
        "map@iou0.3",
        "map@iou0.4",
        "map@iou0.5",
        "map@iou_mean",
    )
    metrics = json.loads(experiment.metrics_path.read_text())
    assert metrics["metric_names"] == list(experiment.metric_names)
    truth = build_ground_truth("synthetic", bench[0], split="test")
    events = {video: gt.events for video, gt in truth.items()}
    classes = _metadata_classes(bench[0])
    for seed in experiment.seeds:
        for kind in ("last", "selected"):
            folder = seed.class_score_dirs[kind]
            scores = {video: np.load(folder / f"{video}.npy") for video in truth}
            expected = map_at_iou(scores, events, classes, frames_per_score=16).metrics()
            recorded = metrics["per_seed"][str(seed.seed)][kind]["metrics"]
            assert {name: recorded[name] for name in MAP_METRIC_NAMES} == expected
            settings = metrics["per_seed"][str(seed.seed)][kind]["settings"]["class_detection"]
            assert settings["videos"] == "every test video" and "not_computed" not in settings
    for kind in ("last", "selected"):
        values = [metrics["per_seed"][s][kind]["metrics"] for s in ("0", "1")]
        mean = metrics["aggregate"][kind]["map@iou_mean"]["mean"]
        assert mean == pytest.approx(np.mean([v["map@iou_mean"] for v in values]))
    with experiment.results_path.open() as handle:
        header = next(csv.reader(handle))
    assert header[-len(MAP_METRIC_NAMES) :] == list(MAP_METRIC_NAMES)


def test_evaluate_run_reproduces_the_class_metrics(experiment, tmp_path: Path) -> None:
    with registered():
        evaluation = evaluate_run(experiment.run_dir, out_dir=tmp_path)
    assert evaluation.metric_names == experiment.metric_names
    for seed in experiment.seeds:
        for kind in ("last", "selected"):
            np.testing.assert_equal(
                dict(evaluation.reports[seed.seed][kind].metrics), dict(seed.reports[kind].metrics)
            )
    np.testing.assert_equal(evaluation.aggregate, experiment.aggregate)
    original = json.loads(experiment.metrics_path.read_text())
    again = json.loads((tmp_path / "metrics.json").read_text())
    assert again["aggregate"] == original["aggregate"] and again["metric_names"] == original["metric_names"]


def test_a_class_list_of_another_length_is_refused(bench: tuple[Path, Path], tmp_path: Path) -> None:
    with registered(), pytest.raises(ValidationError, match="classes must name the classes of synthetic"):
        run_experiment(
            _config(bench, method_config={"classes": ["Normal", "Running"]}), tmp_path, progress=False
        )
