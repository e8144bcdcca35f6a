"""Session-wide test settings and fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from tiny_methods import needs_clip, save_prompt_clip, tiny_config

# pytest runs one xdist worker per core (`make test`: -n 2 on 2 cores); a second intra-op thread per
# worker only oversubscribes the cores, which slows the small models of the tests many times over.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_clip_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny CLIP of the methods built on one (tiny_methods.save_prompt_clip), saved once per session."""
    return save_prompt_clip(tmp_path_factory.mktemp("models") / "tiny-clip")


@pytest.fixture
def method_config(request: pytest.FixtureRequest) -> Callable[..., dict[str, Any]]:
    """``method_config(name, **data)``: tiny_methods.tiny_config with the session's tiny CLIP, which is only
    built when a method needs it."""

    def config(name: str, **data: Any) -> dict[str, Any]:
        clip = request.getfixturevalue("tiny_clip_model") if needs_clip(name) else None
        return tiny_config(name, clip, **data)

    return config


@pytest.fixture(scope="session")
def tiny_motion_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny synthetic dataset (2 normal and 4 abnormal training videos) and its motion features, made once
    per test session (per xdist worker)."""
    from vadkit.features import run_extraction
    from vadkit.synth import generate

    root = tmp_path_factory.mktemp("synthetic")
    data, features = root / "data", root / "features"
    generate(data, preset="tiny", seed=1, train_abnormal=4)
    run_extraction(data / "videos", features, "motion", progress=False)
    return data, features
