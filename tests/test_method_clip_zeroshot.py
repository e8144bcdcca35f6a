"""``clip-zeroshot`` on a tiny random CLIP saved in tmp_path: scores against an independent numpy computation
from get_text_features / get_image_features, open-vocabulary classes, the prompt ensemble, the training-free
contract, and the experiment runner and `vadkit train` end to end on synthetic CLIP features."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

import test_hf_loading
from test_hf_loading import PROJECTION, save_tiny_clip
from test_train_datasets_files import (
    DIM,
    experiment_fields,
    shanghaitech_release,
    ucf_vadclip_release,
    xd_per_crop_release,
)
from vadkit.cli.train_cmd import train as train_command
from vadkit.data import UCF_CLASSES, XD_CLASS_NAMES
from vadkit.errors import ValidationError
from vadkit.features import run_extraction
from vadkit.methods import create_method, load_reference_checkpoint
from vadkit.methods.clip_zeroshot import DEFAULT_TEMPLATES, ClipZeroShot
from vadkit.synth import generate
from vadkit.train import MAP_METRIC_NAMES, TrainConfig, evaluate_run, load_checkpoint, read_info, train
from vadkit.train.arrays import ArrayFeatureSet, ArrayVideo
from vadkit.train.experiment import ExperimentConfig, run_experiment

CLASSES = ["normal", "run", "fall"]
SHORT_TEMPLATES = ["{}", "a {}."]
"""The tiny text tower has 16 positions: short prompts only."""


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip")


@pytest.fixture(scope="module")
def reference(tiny_clip: Path) -> tuple[object, object]:
    """The whole CLIPModel and its tokenizer, loaded directly with transformers."""
    from transformers import AutoTokenizer, CLIPModel

    model = CLIPModel.from_pretrained(tiny_clip, local_files_only=True).eval()
    return model, AutoTokenizer.from_pretrained(tiny_clip, local_files_only=True)


def _tensor(output: object) -> torch.Tensor:
    return output if isinstance(output, torch.Tensor) else output.pooler_output  # type: ignore[attr-defined]


def text_embeddings(reference: tuple[object, object], texts: list[str]) -> np.ndarray:
    model, tokenizer = reference
    tokens = tokenizer(texts, padding=True, return_tensors="pt")  # type: ignore[operator]
    with torch.inference_mode():
        return _tensor(model.get_text_features(**tokens)).numpy().astype(np.float64)  # type: ignore[attr-defined]


def image_embeddings(reference: tuple[object, object], count: int, seed: int = 0) -> np.ndarray:
    model, _ = reference
    pixels = torch.from_numpy(np.random.default_rng(seed).normal(size=(count, 3, 32, 32)).astype(np.float32))
    with torch.inference_mode():
        return _tensor(model.get_image_features(pixel_values=pixels)).numpy()  # type: ignore[attr-defined]


def unit(array: np.ndarray) -> np.ndarray:
    return array / np.linalg.norm(array, axis=-1, keepdims=True)


def numpy_probabilities(
    reference: tuple[object, object],
    features: np.ndarray,
    classes: list[str],
    templates: list[str],
    normal_prompts: list[str] = (),  # type: ignore[assignment]
) -> np.ndarray:
    """``(T, C)`` softmax of ``exp(logit_scale) * cos(feature, ensembled class text)``, all in numpy."""
    model, _ = reference
    rows = []
    for k, name in enumerate(classes):
        prompts = [t.replace("{}", name) for t in templates] + (list(normal_prompts) if k == 0 else [])
        rows.append(unit(unit(text_embeddings(reference, prompts)).mean(axis=0)))
    scale = float(np.exp(model.logit_scale.detach().numpy()))  # type: ignore[attr-defined]
    logits = scale * unit(features.astype(np.float64)) @ np.stack(rows).T
    logits -= logits.max(axis=1, keepdims=True)
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_scores_equal_an_independent_numpy_computation(
    tiny_clip: Path, reference: tuple[object, object]
) -> None:
    model = create_method(
        "clip-zeroshot",
        clip_model=str(tiny_clip),
        classes=CLASSES,
        templates=SHORT_TEMPLATES,
        normal_prompts=["calm"],
    )
    assert isinstance(model, ClipZeroShot)
    assert model.prompts == (("normal", "a normal.", "calm"), ("run", "a run."), ("fall", "a fall."))
    features = image_embeddings(reference, 7)
    expected = numpy_probabilities(reference, features, CLASSES, SHORT_TEMPLATES, ["calm"])
    tensor = torch.from_numpy(features)[None]
    with torch.no_grad():
        probabilities = model.class_scores(tensor)[0].numpy()
        anomaly = model.snippet_scores(tensor)[0].numpy()
        chosen, probability = model.snippet_classes(tensor)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(anomaly, 1.0 - expected[:, 0], rtol=1e-4, atol=1e-6)
    assert chosen[0].tolist() == (1 + expected[:, 1:].argmax(axis=1)).tolist()
    np.testing.assert_allclose(probability[0].numpy(), expected[:, 1:].max(axis=1), rtol=1e-4, atol=1e-6)
    prediction = model.predict(features)
    np.testing.assert_allclose(prediction.anomaly_scores, anomaly, rtol=1e-6)
    assert prediction.classes.tolist() == chosen[0].tolist()
    assert prediction.class_names == tuple(CLASSES[k] for k in chosen[0].tolist())
    np.testing.assert_allclose(prediction.probabilities, probabilities, rtol=1e-6)
    assert model.logit_scale.item() == pytest.approx(float(np.exp(reference[0].logit_scale.item())))  # type: ignore[attr-defined]


def test_open_vocabulary_classes_are_any_strings(tiny_clip: Path, reference: tuple[object, object]) -> None:
    classes = ["calm street", "a man falls", "fire!", "two cars crash"]
    model = create_method("clip-zeroshot", clip_model=str(tiny_clip), classes=classes, templates=["{}"])
    features = image_embeddings(reference, 5, seed=1)
    with torch.no_grad():
        probabilities = model.class_scores(torch.from_numpy(features)[None])[0].numpy()
    assert probabilities.shape == (5, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        probabilities, numpy_probabilities(reference, features, classes, ["{}"]), rtol=1e-4, atol=1e-6
    )
    reordered = create_method(
        "clip-zeroshot", clip_model=str(tiny_clip), classes=[classes[0], *classes[:0:-1]], templates=["{}"]
    )
    with torch.no_grad():
        swapped = reordered.class_scores(torch.from_numpy(features)[None])[0].numpy()
    np.testing.assert_allclose(swapped, probabilities[:, [0, 3, 2, 1]], rtol=1e-5, atol=1e-7)


def test_templates_are_ensembled_as_clip_does(tiny_clip: Path) -> None:
    def built(templates: list[str]) -> torch.Tensor:
        model = create_method(
            "clip-zeroshot", clip_model=str(tiny_clip), classes=CLASSES, templates=templates
        )
        return model.text_embeddings

    one, two = built(["{}"]), built(["a {}."])
    both = built(["{}", "a {}."])
    expected = torch.nn.functional.normalize(one + two, dim=-1)
    torch.testing.assert_close(both, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(both.norm(dim=-1), torch.ones(3))
    assert not torch.allclose(one, two)


def test_crops_average_the_probabilities(tiny_clip: Path, reference: tuple[object, object]) -> None:
    model = create_method("clip-zeroshot", clip_model=str(tiny_clip), classes=CLASSES, templates=["{}"])
    crops = torch.from_numpy(np.stack([image_embeddings(reference, 4, seed=s) for s in (2, 3)]))[None]
    with torch.no_grad():
        each = [model.class_scores(crops[:, k]) for k in range(2)]
        torch.testing.assert_close(model.class_scores(crops), (each[0] + each[1]) / 2)
        assert model.snippet_scores(crops).shape == (1, 4)


def test_training_free_contract_and_checkpoint_round_trip(tiny_clip: Path, tmp_path: Path) -> None:
    config = {
        "clip_model": str(tiny_clip),
        "classes": CLASSES,
        "templates": ["{}"],
        "feature_dim": PROJECTION,
    }
    model = create_method("clip-zeroshot", **config)
    assert ClipZeroShot.class_aware and not ClipZeroShot.trainable
    assert not list(model.parameters()) and set(model.state_dict()) == {"text_embeddings", "logit_scale"}
    assert DEFAULT_TEMPLATES and all("{}" in t for t in DEFAULT_TEMPLATES)
    with pytest.raises(ValidationError, match="training-free"):
        model.loss(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="training-free"):
        model.reference_optimizer()
    path = tmp_path / "clip-zeroshot.safetensors"
    from safetensors.torch import save_file

    save_file(model.state_dict(), str(path))
    loaded = load_reference_checkpoint("clip-zeroshot", path, **config)
    torch.testing.assert_close(loaded.text_embeddings, model.text_embeddings)
    data = ArrayFeatureSet(
        [ArrayVideo("n", 0), ArrayVideo("a", 1)], {"n": np.zeros((3, 24)), "a": np.ones((3, 24))}
    )
    with pytest.raises(ValidationError, match="training-free"):
        train(TrainConfig("clip-zeroshot", config, steps=1), data, run_dir=tmp_path / "run", progress=False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"classes": ["normal"]}, "at least 2"),
        ({"classes": ["normal", "run", "run"]}, "repeat"),
        ({"classes": "normal"}, "list of strings"),
        ({"templates": ["a photo"]}, "need a"),
        ({"templates": []}, "at least 1"),
        ({"feature_dim": 512}, "not its image embeddings"),
    ],
)
def test_invalid_settings_are_refused(tiny_clip: Path, changes: dict[str, object], message: str) -> None:
    config = {"clip_model": str(tiny_clip), "classes": CLASSES, "templates": ["{}"], **changes}
    with pytest.raises(ValidationError, match=message):
        create_method("clip-zeroshot", **config)


# -- end to end -------------------------------------------------------------------------------------------

SYNTHETIC_CLASSES = ["normal", "run", "fight", "wrong way", "jaywalk", "loiter", "left bag", "fall", "car"]
"""Short names of the synthetic benchmark's nine classes, in order (the tiny model takes short prompts)."""


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory, tiny_clip: Path) -> tuple[Path, Path]:
    """A tiny synthetic dataset with the tiny CLIP's image features (T, 24)."""
    root = tmp_path_factory.mktemp("synthetic")
    data, features = root / "data", root / "clip-features"
    generate(data, preset="tiny", seed=1, train_abnormal=4)
    run_extraction(
        data / "videos", features, "clip", config={"model": str(tiny_clip), "device": "cpu"}, progress=False
    )
    return data, features


def _config(bench: tuple[Path, Path], tiny_clip: Path, **changes: object) -> ExperimentConfig:
    method_config = {"clip_model": str(tiny_clip), "classes": SYNTHETIC_CLASSES, "templates": SHORT_TEMPLATES}
    values: dict[str, object] = {"seeds": (0, 1), "method_config": method_config, **changes}
    return ExperimentConfig("clip-zeroshot", str(bench[0]), str(bench[1]), **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def experiment(bench: tuple[Path, Path], tiny_clip: Path, tmp_path_factory: pytest.TempPathFactory):
    return run_experiment(_config(bench, tiny_clip), tmp_path_factory.mktemp("runs") / "zs", progress=False)


def test_the_runner_scores_without_training(experiment, bench: tuple[Path, Path], tiny_clip: Path) -> None:
    metrics = json.loads(experiment.metrics_path.read_text())
    assert metrics["selection"]["on"] == "none" and not metrics["selection"]["test_set_used_for_selection"]
    assert "no training, no selection" in metrics["selection"]["note"]
    model = create_method("clip-zeroshot", **{**experiment.config.method_config})
    for seed in experiment.seeds:
        record = metrics["per_seed"][str(seed.seed)]
        assert record["selected_step"] == 0 and record["last_step"] == 0
        assert seed.train.last_checkpoint == seed.train.selected_checkpoint and seed.train.history == ()
        assert read_info(seed.train.last_checkpoint)["kind"] == "training-free"
        assert (
            record["last"]["settings"]["checkpoint_chosen_by"] == "no training, no selection (training-free)"
        )
        loaded = load_checkpoint(seed.train.last_checkpoint)
        torch.testing.assert_close(loaded.text_embeddings, model.text_embeddings)
        for file in sorted(seed.score_dirs["last"].glob("*.npy")):
            video = next(bench[1].rglob(file.name))
            prediction = model.predict(np.load(video))
            np.testing.assert_allclose(np.load(file), prediction.anomaly_scores, rtol=1e-5)
            np.testing.assert_array_equal(np.load(seed.score_dirs["selected"] / file.name), np.load(file))
            classes = np.load(seed.class_score_dirs["last"] / file.name)
            np.testing.assert_allclose(classes, prediction.probabilities, rtol=1e-5)
    assert experiment.config.method_config["feature_dim"] == PROJECTION
    assert set(MAP_METRIC_NAMES) <= set(metrics["aggregate"]["last"])
    assert all(metrics["aggregate"]["last"][name]["mean"] is not None for name in MAP_METRIC_NAMES)
    assert metrics["aggregate"]["last"]["map@iou_mean"]["std"] == 0.0


def test_evaluate_run_reproduces_the_zero_shot_run(experiment, tmp_path: Path) -> None:
    evaluation = evaluate_run(experiment.run_dir, out_dir=tmp_path)
    np.testing.assert_equal(evaluation.aggregate, experiment.aggregate)
    assert json.loads((tmp_path / "metrics.json").read_text())["selection"]["on"] == "none"


def test_select_on_test_does_not_apply(bench: tuple[Path, Path], tiny_clip: Path) -> None:
    with pytest.raises(ValidationError, match="training-free"):
        _config(bench, tiny_clip, select_on_test=True)


def test_vadkit_train_runs_clip_zeroshot(bench: tuple[Path, Path], tiny_clip: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(train_command)
    classes = "[" + ", ".join(f"'{name}'" for name in SYNTHETIC_CLASSES) + "]"
    arguments = [
        "clip-zeroshot",
        "--data",
        str(bench[0]),
        "--features",
        str(bench[1]),
        "--out",
        str(tmp_path),
    ]
    for setting in (f"clip_model={tiny_clip}", f"classes={classes}", "templates=['{}']"):
        arguments += ["--set", setting]
    result = CliRunner().invoke(app, arguments, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "map@iou_mean" in result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["method"] == "clip-zeroshot" and "map@iou0.5" in metrics["metric_names"]


# -- public layouts ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip_of_release_size(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CLIP embedding in the release builders' feature size (their features stand for its images)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(test_hf_loading, "PROJECTION", DIM)
        return save_tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip-8")


def _public_config(release: dict[str, object], clip: Path, **method_config: object) -> ExperimentConfig:
    fields = {**experiment_fields(release), "seeds": (0,)}
    config = {"clip_model": str(clip), "templates": ["{}"], **method_config}
    return ExperimentConfig("clip-zeroshot", method_config=config, **fields)  # type: ignore[arg-type]


def test_vadclip_csv_features_with_the_datasets_classes(clip_of_release_size: Path, tmp_path: Path) -> None:
    release = ucf_vadclip_release(tmp_path / "data")
    result = run_experiment(_public_config(release, clip_of_release_size), tmp_path / "run", progress=False)
    assert result.config.method_config["classes"] == list(UCF_CLASSES)
    metrics = result.seeds[0].reports["last"].metrics
    assert all(not np.isnan(metrics[name]) for name in MAP_METRIC_NAMES)
    files = sorted(result.seeds[0].class_score_dirs["last"].glob("*.npy"))
    assert files and all(np.load(f).shape[1] == len(UCF_CLASSES) for f in files)


def test_events_without_classes_leave_map_undefined_and_say_why(
    clip_of_release_size: Path, tmp_path: Path
) -> None:
    release = xd_per_crop_release(tmp_path / "data")
    result = run_experiment(_public_config(release, clip_of_release_size), tmp_path / "run", progress=False)
    assert result.config.method_config["classes"] == list(XD_CLASS_NAMES.values())
    report = result.seeds[0].reports["last"]
    assert all(np.isnan(report.metrics[name]) for name in MAP_METRIC_NAMES)
    assert not np.isnan(report.metrics["ap_sklearn"])
    assert "annotations_multiclasses.txt" in report.settings["class_detection"]["not_computed"]


def test_a_dataset_without_classes_needs_the_users(clip_of_release_size: Path, tmp_path: Path) -> None:
    release = shanghaitech_release(tmp_path / "data")
    with pytest.raises(ValidationError, match="has no classes"):
        run_experiment(_public_config(release, clip_of_release_size), tmp_path / "a", progress=False)
    config = _public_config(release, clip_of_release_size, classes=["people walk", "a fight"])
    report = run_experiment(config, tmp_path / "b", progress=False).seeds[0].reports["last"]
    assert "has no class list" in report.settings["class_detection"]["not_computed"]
