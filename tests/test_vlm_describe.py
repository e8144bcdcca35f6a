"""Event descriptions (vadkit.explain.describe) through VLMs loaded offline (vadkit.models.vlm_loading).

Each supported model_type gets a tiny random model written with save_pretrained (tests/tiny_vlms.py) and runs
the real path: load from the folder, chat template with one image per key frame, processor, greedy
generation, decoding of the new tokens. The text is nonsense; what is checked is the plumbing."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from test_hf_loading import COMMIT, hf_home, lay_out_cache, no_network  # noqa: F401 (fixtures)
from tiny_vlms import save_tiny_vlm
from vadkit.errors import ValidationError
from vadkit.explain import (
    COMPOSED_NOTE,
    EventContext,
    EventDescription,
    describe_event,
    describe_prompt,
)
from vadkit.models.vlm_loading import VLM_FAMILIES, load_vlm, vlm_digest
from vadkit.types import Event

MODEL_TYPES = ("llava", "qwen2_vl", "qwen2_5_vl", "idefics3", "smolvlm")

NEEDS = {
    "qwen2_vl": ("torchvision",),
    "qwen2_5_vl": ("torchvision",),
    "smolvlm": ("torchvision", "num2words"),
}
"""Packages the transformers 5 processors of these model_types import (their video processor needs
torchvision; SmolVLM's processor needs num2words)."""

MISSING = {
    kind: [p for p in NEEDS.get(kind, ()) if importlib.util.find_spec(p) is None] for kind in MODEL_TYPES
}

CONTEXT = EventContext(1.0, 2.5, (2, 3, 20, 18), "Fighting", 0.8, "motion energy 4.2 sigma above normal")


def key_frames(count: int = 2) -> list[np.ndarray]:
    """``count`` random 24x32 RGB frames."""
    return [
        np.random.default_rng(index).integers(0, 256, (24, 32, 3), dtype=np.uint8) for index in range(count)
    ]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny model of each model_type, built on first use."""
    root = tmp_path_factory.mktemp("vlms")

    class Folders(dict):
        def __missing__(self, kind: str) -> Path:
            self[kind] = save_tiny_vlm(root / kind, kind)
            return self[kind]

    return Folders()


def spy_on_generate(vlm: Any) -> dict[str, Any]:
    """Record the keyword arguments of ``vlm.model.generate`` (still calling it)."""
    seen: dict[str, Any] = {}
    generate = vlm.model.generate

    def recording(**kwargs: Any) -> Any:
        seen.update(kwargs)
        return generate(**kwargs)

    vlm.model.generate = recording
    return seen


@pytest.mark.parametrize("kind", MODEL_TYPES)
def test_a_tiny_vlm_describes_an_event(models: dict[str, Path], kind: str) -> None:
    if MISSING[kind]:
        pytest.skip(f"the {kind} processor needs {', '.join(MISSING[kind])}, not installed")
    vlm = load_vlm(models[kind])
    assert (vlm.model_type, vlm.family) == (kind, VLM_FAMILIES[kind].family)
    assert type(vlm.model).__name__ == VLM_FAMILIES[kind].model_class and not vlm.model.training
    seen = spy_on_generate(vlm)
    result = describe_event(vlm, key_frames(), CONTEXT, max_new_tokens=5)
    assert isinstance(result.text, str) and result.text == result.text.strip()
    assert (
        result.method == "vlm" and result.generated_tokens is not None and 1 <= result.generated_tokens <= 5
    )
    assert result.model == str(models[kind].absolute()) and result.digest == vlm_digest(models[kind])
    assert result.prompt == describe_prompt(CONTEXT, 2)
    # Greedy, with the two frames' pixels and two runs of image tokens in the prompt (4 tokens a frame).
    assert seen["do_sample"] is False and seen["max_new_tokens"] == 5
    assert seen["pixel_values"].dtype == torch.float32
    image_token = vlm.model.config.image_token_id
    assert int((seen["input_ids"] == image_token).sum()) == 8
    assert describe_event(vlm, key_frames(), CONTEXT, max_new_tokens=5) == result


@pytest.mark.parametrize("kind", [kind for kind in MODEL_TYPES if NEEDS.get(kind)])
def test_a_missing_processor_package_is_named(models: dict[str, Path], kind: str) -> None:
    if not MISSING[kind]:
        pytest.skip(f"{', '.join(NEEDS[kind])} installed")
    with pytest.raises(
        ValidationError, match=f"cannot load the {kind} processor .* a package it needs is missing"
    ):
        load_vlm(models[kind])


def test_a_repo_id_loads_offline_from_the_cache(
    models: dict[str, Path],
    hf_home: Path,  # noqa: F811
    no_network: None,  # noqa: F811
) -> None:
    lay_out_cache(models["idefics3"], hf_home / "hub", "org/tiny-smolvlm")
    from_cache = load_vlm("org/tiny-smolvlm")
    assert from_cache.source.commit == COMMIT and from_cache.name == f"org/tiny-smolvlm@{COMMIT}"
    result = describe_event(from_cache, key_frames(), CONTEXT, max_new_tokens=4)
    assert result.model == f"org/tiny-smolvlm@{COMMIT}"
    # The same files: the same digest and the same text as from the folder.
    assert result.digest == vlm_digest(models["idefics3"])
    from_folder = describe_event(load_vlm(models["idefics3"]), key_frames(), CONTEXT, max_new_tokens=4)
    assert result.text == from_folder.text


def test_bfloat16_weights_get_bfloat16_pixels(models: dict[str, Path]) -> None:
    vlm = load_vlm(models["llava"], dtype="bfloat16")
    assert vlm.dtype == torch.bfloat16
    seen = spy_on_generate(vlm)
    assert describe_event(vlm, key_frames(1), CONTEXT, max_new_tokens=2).generated_tokens in (1, 2)
    assert seen["pixel_values"].dtype == torch.bfloat16
    with pytest.raises(ValidationError, match="dtype must be one of"):
        load_vlm(models["llava"], dtype="int8")


def test_missing_models_are_named(tmp_path: Path, hf_home: Path) -> None:  # noqa: F811
    with pytest.raises(ValidationError, match="no such folder"):
        load_vlm(tmp_path / "no-such-vlm")
    with pytest.raises(ValidationError, match="models--org--no-such-vlm"):
        load_vlm("org/no-such-vlm")


@pytest.mark.parametrize("config", [{"model_type": "bert"}, {"architectures": ["X"]}])
def test_an_unsupported_model_type_lists_the_supported_ones(tmp_path: Path, config: dict[str, Any]) -> None:
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        load_vlm(tmp_path)
    message = str(error.value)
    assert "is not a supported vision-language model" in message
    assert all(kind in message for kind in MODEL_TYPES)


def test_a_processor_without_chat_template_is_refused(models: dict[str, Path], tmp_path: Path) -> None:
    folder = shutil.copytree(models["llava"], tmp_path / "no-template")
    (folder / "chat_template.jinja").unlink()
    vlm = load_vlm(folder)
    with pytest.raises(ValidationError, match="no chat template"):
        describe_event(vlm, key_frames(), CONTEXT)
    assert vlm_digest(folder) != vlm_digest(models["llava"])


def test_key_frames_and_token_budget_are_checked(models: dict[str, Path]) -> None:
    vlm = load_vlm(models["llava"])
    with pytest.raises(ValidationError, match="no key frames"):
        describe_event(vlm, [], CONTEXT)
    with pytest.raises(ValidationError, match=r"key frame 1 must be a \(H, W, 3\) uint8"):
        describe_event(vlm, [key_frames(1)[0], np.zeros((24, 32, 3), np.float32)], CONTEXT)
    with pytest.raises(ValidationError, match="max_new_tokens"):
        describe_event(vlm, key_frames(), CONTEXT, max_new_tokens=0)


def test_the_prompt_states_what_the_detector_found() -> None:
    prompt = describe_prompt(CONTEXT, 2)
    assert prompt.startswith(
        "These 2 images are key frames, in time order, of a video segment from 1.0 s to 2.5 s"
    )
    assert "located it in the box from (2, 3) to (20, 18) in pixels" in prompt
    assert 'It suspects "Fighting" (confidence 0.80).' in prompt
    assert "Detector evidence: motion energy 4.2 sigma above normal." in prompt
    assert "Describe the abnormal event in one or two sentences" in prompt
    bare = describe_prompt(EventContext(0, 0.5, region="the left half"), 1)
    assert bare.startswith("This image is a key frame of a video segment from 0.0 s to 0.5 s")
    assert "located it in the left half." in bare and "suspects" not in bare and "evidence" not in bare


def test_without_a_vlm_the_description_is_composed_and_says_so() -> None:
    result = describe_event(None, [], CONTEXT)
    assert result == EventDescription(result.text, "composed")
    assert result.text == (
        "Abnormal event from 1.0 s to 2.5 s, in the box from (2, 3) to (20, 18) in pixels of the frames, "
        'suspected to be "Fighting" (confidence 0.80); evidence: motion energy 4.2 sigma above normal. '
        + COMPOSED_NOTE
    )
    assert result.to_dict()["model"] is None and result.to_dict()["method"] == "composed"
    plain = describe_event(None, [], EventContext(3.0, 4.0))
    assert plain.text == f"Abnormal event from 3.0 s to 4.0 s. {COMPOSED_NOTE}"


def test_the_context_of_an_event() -> None:
    event = Event("v", 25, 75, 25.0, 0.9, 0.7, class_name="Arson", class_score=0.6)
    context = EventContext.from_event(event, region="the doorway", evidence="smoke")
    assert context == EventContext(1.0, 3.0, "the doorway", "Arson", 0.6, "smoke")
    assert EventContext(0, 1, region=[1, 2, 3, 4]).region == (1.0, 2.0, 3.0, 4.0)


@pytest.mark.parametrize(
    "fields",
    [
        {"start_s": 2.0, "end_s": 2.0},
        {"start_s": -1.0, "end_s": 1.0},
        {"start_s": 0.0, "end_s": float("nan")},
        {"region": (5, 0, 5, 10)},
        {"region": (0, 0, 10)},
        {"region": " "},
        {"class_name": ""},
        {"class_score": float("inf")},
    ],
)
def test_a_malformed_context_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="EventContext"):
        EventContext(**{"start_s": 0.0, "end_s": 1.0, **fields})


def test_importing_the_modules_does_not_import_transformers() -> None:
    code = (
        "import sys, vadkit.explain, vadkit.explain.describe, vadkit.models.vlm_loading; "
        "assert 'transformers' not in sys.modules and 'PIL' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
