"""Offline model resolution and CLIP loading (vadkit.models): local folders, a laid-out Hugging Face cache,
clear errors for what is missing. The models are tiny random CLIPs written with save_pretrained."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vadkit.errors import ValidationError
from vadkit.models import hf_cache_dir, load_clip, model_digest, resolve_model
from vadkit.models.clip_loading import image_processor_class

PROJECTION = 24
"""The tiny model's projection size (D), deliberately not 512."""

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _byte_symbols() -> list[str]:
    """The 256 printable symbols of byte-level BPE (GPT-2 / CLIP's ``bytes_to_unicode``)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    extra = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + n) for n in range(len(extra))]


def save_tiny_tokenizer(folder: Path) -> int:
    """A CLIP BPE tokenizer over single bytes plus two merges, saved in ``folder``; returns its size."""
    symbols = _byte_symbols()
    tokens = [*symbols, *(s + "</w>" for s in symbols), "no", "al</w>", "<|startoftext|>", "<|endoftext|>"]
    sources = folder / "tokenizer-sources"
    sources.mkdir(parents=True)
    (sources / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}), encoding="utf-8")
    (sources / "merges.txt").write_text("#version: 0.2\nn o\na l</w>\n", encoding="utf-8")
    from transformers import CLIPTokenizer

    CLIPTokenizer(str(sources / "vocab.json"), str(sources / "merges.txt")).save_pretrained(folder)
    shutil.rmtree(sources)
    return len(tokens)


def save_tiny_clip(folder: Path, seed: int = 0) -> Path:
    """A random CLIP (hidden 32, 2 layers, patch 8, 32 px, projection 24) with its image processor
    (shortest side 32, 32x32 crop) and tokenizer, written with save_pretrained into ``folder``."""
    from transformers import CLIPConfig, CLIPModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = save_tiny_tokenizer(folder)
    tower = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 4}
    text = {**tower, "vocab_size": vocab, "max_position_embeddings": 16, "bos_token_id": vocab - 2}
    config = CLIPConfig(
        text_config={**text, "eos_token_id": vocab - 1, "pad_token_id": vocab - 1},
        vision_config={**tower, "image_size": 32, "patch_size": 8},
        projection_dim=PROJECTION,
    )
    torch.manual_seed(seed)
    CLIPModel(config).eval().save_pretrained(folder)
    processor = image_processor_class()(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor.save_pretrained(folder)
    return folder


def lay_out_cache(model_dir: Path, cache: Path, repo_id: str, commit: str = COMMIT) -> Path:
    """``model_dir`` as the hub cache stores it: ``blobs/<sha256>`` files, ``snapshots/<commit>/`` links to
    them and ``refs/main`` naming the commit; returns the snapshot folder."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    for path in sorted(model_dir.iterdir()):
        blob = repo / "blobs" / hashlib.sha256(path.read_bytes()).hexdigest()
        shutil.copyfile(path, blob)
        (snapshot / path.name).symlink_to(os.path.relpath(blob, snapshot))
    return snapshot


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip")


@pytest.fixture
def hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HF_HOME for this test (HF_HUB_CACHE unset, so the cache is HF_HOME/hub)."""
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    return tmp_path / "hf"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_a_folder_resolves_to_itself(tiny_clip: Path) -> None:
    source = resolve_model(str(tiny_clip))
    assert source.path == tiny_clip.absolute() and source.repo_id is None and source.commit is None


def test_the_cache_follows_huggingface_hubs_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    assert hf_cache_dir() == Path("~/.cache/huggingface/hub").expanduser()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hf_cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert hf_cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert hf_cache_dir() == tmp_path / "hub"


def test_a_repo_id_loads_offline_from_the_cache(tiny_clip: Path, hf_home: Path, no_network: None) -> None:
    snapshot = lay_out_cache(tiny_clip, hf_home / "hub", "org/tiny-clip")
    source = resolve_model("org/tiny-clip")
    assert (source.path, source.repo_id, source.commit) == (snapshot, "org/tiny-clip", COMMIT)
    from_cache = load_clip("org/tiny-clip")
    from_folder = load_clip(tiny_clip)
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        assert torch.equal(from_cache.image_features(pixels), from_folder.image_features(pixels))
    assert from_cache.projection_dim == PROJECTION
    # The blob names of the cache are the files' SHA-256: the digest is the same as the folder's.
    assert model_digest(snapshot) == model_digest(tiny_clip)
    assert resolve_model("org/tiny-clip", revision=COMMIT).path == snapshot


def test_an_explicit_cache_dir_wins_over_the_environment(
    tiny_clip: Path, tmp_path: Path, hf_home: Path
) -> None:
    snapshot = lay_out_cache(tiny_clip, tmp_path / "elsewhere", "tiny-clip")
    assert resolve_model("tiny-clip", cache_dir=tmp_path / "elsewhere").path == snapshot
    with pytest.raises(ValidationError, match="not in the Hugging Face cache"):
        resolve_model("tiny-clip")


def test_a_missing_repo_id_names_the_cache_and_how_to_provide_it(hf_home: Path) -> None:
    with pytest.raises(ValidationError) as error:
        resolve_model("openai/clip-vit-base-patch16")
    message = str(error.value)
    assert "'openai/clip-vit-base-patch16'" in message and str(hf_home / "hub") in message
    assert "models--openai--clip-vit-base-patch16" in message
    assert "save_pretrained" in message and "HF_HOME" in message and "never downloads" in message


def test_a_missing_ref_lists_the_snapshots(tiny_clip: Path, hf_home: Path) -> None:
    lay_out_cache(tiny_clip, hf_home / "hub", "org/tiny-clip")
    listed = re.escape(f"refs/v2, which is missing; snapshots present: ['{COMMIT}']")
    with pytest.raises(ValidationError, match=listed):
        resolve_model("org/tiny-clip", revision="v2")
    with pytest.raises(ValidationError, match=r"snapshots/f+, which is missing"):
        resolve_model("org/tiny-clip", revision="f" * 40)


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ValidationError, match=f"no such folder \\({missing}\\)"):
        resolve_model(str(missing))


def test_a_folder_without_config_or_processor_says_what_is_missing(tiny_clip: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValidationError, match=r"has no config\.json"):
        resolve_model(empty)
    partial = tmp_path / "partial"
    shutil.copytree(tiny_clip, partial)
    (partial / "preprocessor_config.json").unlink()
    with pytest.raises(ValidationError, match=f"cannot load the image processor from {partial}"):
        load_clip(partial)


def test_a_model_that_is_not_clip_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "bert"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"holds a BertConfig .* not a CLIP model"):
        load_clip(folder)


def test_text_features_match_the_whole_model(tiny_clip: Path) -> None:
    from transformers import AutoTokenizer, CLIPModel

    loaded = load_clip(tiny_clip, text=True)
    model = CLIPModel.from_pretrained(tiny_clip, local_files_only=True).eval()
    tokens = AutoTokenizer.from_pretrained(tiny_clip, local_files_only=True)(
        ["a normal video", "no"], padding=True, return_tensors="pt"
    )
    with torch.inference_mode():
        expected = model.get_text_features(**tokens)
        expected = expected if isinstance(expected, torch.Tensor) else expected.pooler_output
        got = loaded.text_features(["a normal video", "no"])
    assert got.shape == (2, PROJECTION)
    torch.testing.assert_close(got, expected)
    with pytest.raises(ValidationError, match="text=True"):
        load_clip(tiny_clip).text_features(["x"])


def test_the_digest_follows_the_contents(tiny_clip: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(tiny_clip, tmp_path / "copy")
    assert model_digest(copy) == model_digest(tiny_clip)
    other = save_tiny_clip(tmp_path / "other", seed=1)
    assert model_digest(other) != model_digest(tiny_clip)
    with pytest.raises(ValidationError, match="no weight file"):
        model_digest(tmp_path)


def test_importing_vadkit_does_not_import_transformers() -> None:
    code = (
        "import sys, vadkit, vadkit.features, vadkit.models; "
        "assert 'transformers' not in sys.modules and 'huggingface_hub' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
