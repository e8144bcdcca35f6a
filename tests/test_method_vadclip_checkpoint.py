"""OpenAI CLIP names -> transformers names (vadkit.models.openai_clip_keys), checked on a tiny random
OpenAI-format state dict against OpenAI's forward restated here, and VadCLIP checkpoints in the authors'
format (``clipmodel.*`` in OpenAI names) and in vadkit's, loaded strictly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from test_method_vadclip import to_openai_names
from tiny_methods import save_prompt_clip
from vadkit.errors import ValidationError
from vadkit.methods.vadclip import VadCLIP, convert_vadclip_state_dict, load_vadclip_checkpoint
from vadkit.models.openai_clip_keys import convert_openai_clip_state_dict

WIDTH, HEADS, LAYERS, CONTEXT, VOCAB, EMBED = 32, 4, 2, 16, 50, 24
PATCH, IMAGE = 8, 32


def _openai_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A random OpenAI-format ViT CLIP state dict (the names and shapes of OpenAI's ``clip/model.py``)."""
    generator = torch.Generator().manual_seed(seed)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * 0.2

    def blocks(prefix: str) -> dict[str, torch.Tensor]:
        out = {}
        for i in range(LAYERS):
            block = f"{prefix}{i}."
            out |= {
                block + "attn.in_proj_weight": rand(3 * WIDTH, WIDTH),
                block + "attn.in_proj_bias": rand(3 * WIDTH),
                block + "attn.out_proj.weight": rand(WIDTH, WIDTH),
                block + "attn.out_proj.bias": rand(WIDTH),
                block + "ln_1.weight": 1 + rand(WIDTH),
                block + "ln_1.bias": rand(WIDTH),
                block + "mlp.c_fc.weight": rand(4 * WIDTH, WIDTH),
                block + "mlp.c_fc.bias": rand(4 * WIDTH),
                block + "mlp.c_proj.weight": rand(WIDTH, 4 * WIDTH),
                block + "mlp.c_proj.bias": rand(WIDTH),
                block + "ln_2.weight": 1 + rand(WIDTH),
                block + "ln_2.bias": rand(WIDTH),
            }
        return out

    grid = IMAGE // PATCH
    return {
        "visual.class_embedding": rand(WIDTH),
        "visual.positional_embedding": rand(grid * grid + 1, WIDTH),
        "visual.proj": rand(WIDTH, EMBED),
        "visual.conv1.weight": rand(WIDTH, 3, PATCH, PATCH),
        "visual.ln_pre.weight": 1 + rand(WIDTH),
        "visual.ln_pre.bias": rand(WIDTH),
        "visual.ln_post.weight": 1 + rand(WIDTH),
        "visual.ln_post.bias": rand(WIDTH),
        **blocks("visual.transformer.resblocks."),
        **blocks("transformer.resblocks."),
        "token_embedding.weight": rand(VOCAB, WIDTH),
        "positional_embedding": rand(CONTEXT, WIDTH),
        "ln_final.weight": 1 + rand(WIDTH),
        "ln_final.bias": rand(WIDTH),
        "text_projection": rand(WIDTH, EMBED),
        "logit_scale": torch.tensor(4.6052),
        # Metadata of OpenAI's JIT archives, dropped like clip.model.build_model does.
        "input_resolution": torch.tensor(IMAGE),
        "context_length": torch.tensor(CONTEXT),
        "vocab_size": torch.tensor(VOCAB),
    }


def _matching_clip() -> torch.nn.Module:
    from transformers import CLIPConfig, CLIPModel

    tower = {"hidden_size": WIDTH, "intermediate_size": 4 * WIDTH, "num_hidden_layers": LAYERS}
    config = CLIPConfig(
        text_config={
            **tower,
            "num_attention_heads": HEADS,
            "vocab_size": VOCAB,
            "max_position_embeddings": CONTEXT,
            "bos_token_id": VOCAB - 2,
            "eos_token_id": VOCAB - 1,
            "pad_token_id": 0,
        },
        vision_config={**tower, "num_attention_heads": HEADS, "image_size": IMAGE, "patch_size": PATCH},
        projection_dim=EMBED,
    )
    return CLIPModel(config).eval()


def _openai_blocks(state: dict[str, torch.Tensor], prefix: str, x: torch.Tensor, mask: torch.Tensor | None):
    """OpenAI's ``Transformer`` (``nn.MultiheadAttention`` on packed projections, QuickGELU MLP), on
    ``(L, N, W)``."""

    def norm(h: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(h, (WIDTH,), state[name + ".weight"], state[name + ".bias"])

    for i in range(LAYERS):
        p = f"{prefix}{i}."
        h = norm(x, p + "ln_1")
        attended, _ = F.multi_head_attention_forward(
            h, h, h, WIDTH, HEADS,
            state[p + "attn.in_proj_weight"], state[p + "attn.in_proj_bias"],
            None, None, False, 0.0,
            state[p + "attn.out_proj.weight"], state[p + "attn.out_proj.bias"],
            training=False, need_weights=False, attn_mask=mask,
        )  # fmt: skip
        x = x + attended
        h = F.linear(norm(x, p + "ln_2"), state[p + "mlp.c_fc.weight"], state[p + "mlp.c_fc.bias"])
        x = x + F.linear(
            h * torch.sigmoid(1.702 * h), state[p + "mlp.c_proj.weight"], state[p + "mlp.c_proj.bias"]
        )
    return x


def _openai_text(state: dict[str, torch.Tensor], tokens: torch.Tensor) -> torch.Tensor:
    """OpenAI's ``CLIP.encode_text``: pooled at the highest token id (the end of text)."""
    x = state["token_embedding.weight"][tokens] + state["positional_embedding"]
    mask = torch.full((CONTEXT, CONTEXT), float("-inf")).triu(1)
    x = _openai_blocks(state, "transformer.resblocks.", x.transpose(0, 1), mask).transpose(0, 1)
    x = F.layer_norm(x, (WIDTH,), state["ln_final.weight"], state["ln_final.bias"])
    return x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)] @ state["text_projection"]


def _openai_image(state: dict[str, torch.Tensor], pixels: torch.Tensor) -> torch.Tensor:
    """OpenAI's ``VisionTransformer.forward``."""
    x = F.conv2d(pixels, state["visual.conv1.weight"], stride=PATCH).flatten(2).transpose(1, 2)
    cls = state["visual.class_embedding"].expand(x.shape[0], 1, WIDTH)
    x = torch.cat([cls, x], dim=1) + state["visual.positional_embedding"]
    x = F.layer_norm(x, (WIDTH,), state["visual.ln_pre.weight"], state["visual.ln_pre.bias"])
    x = _openai_blocks(state, "visual.transformer.resblocks.", x.transpose(0, 1), None).transpose(0, 1)
    x = F.layer_norm(x[:, 0], (WIDTH,), state["visual.ln_post.weight"], state["visual.ln_post.bias"])
    return x @ state["visual.proj"]


def _features(output: object) -> torch.Tensor:
    return output if isinstance(output, torch.Tensor) else output.pooler_output  # type: ignore[attr-defined]


def test_converted_weights_compute_what_openai_clip_computes() -> None:
    state = _openai_state()
    clip = _matching_clip()
    clip.load_state_dict(convert_openai_clip_state_dict(state), strict=True)
    tokens = torch.zeros(3, CONTEXT, dtype=torch.int64)
    for row, body in enumerate(([5, 6, 7], [8], [9, 10, 11, 12, 13])):
        tokens[row, : len(body) + 2] = torch.tensor([VOCAB - 2, *body, VOCAB - 1])  # SOT, tokens, EOT
    pixels = torch.randn(2, 3, IMAGE, IMAGE, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        # transformers pools at the first end-of-text id, OpenAI at the highest id: the same position here.
        text = _features(clip.get_text_features(input_ids=tokens))
        image = _features(clip.get_image_features(pixel_values=pixels))
        torch.testing.assert_close(text, _openai_text(state, tokens), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(image, _openai_image(state, pixels), rtol=1e-5, atol=1e-5)
    assert clip.logit_scale.item() == pytest.approx(4.6052)


def test_openai_names_round_trip() -> None:
    clip = _matching_clip()
    state = clip.state_dict()
    back = convert_openai_clip_state_dict(to_openai_names(state))
    assert set(back) == set(state)
    assert all(torch.equal(back[k], state[k]) for k in state)


def test_unknown_and_resnet_entries_are_refused() -> None:
    state = _openai_state()
    with pytest.raises(
        ValidationError, match=r"2 unknown entries \(transformer\.resblocks\.0\.attn\.bogus, zzz\)"
    ):
        convert_openai_clip_state_dict(
            {**state, "zzz": torch.zeros(1), "transformer.resblocks.0.attn.bogus": state["logit_scale"]}
        )
    with pytest.raises(ValidationError, match="ResNet image tower"):
        convert_openai_clip_state_dict({**state, "visual.layer1.0.conv1.weight": torch.zeros(1)})
    with pytest.raises(ValidationError, match="3 x width"):
        convert_openai_clip_state_dict({"transformer.resblocks.0.attn.in_proj_bias": torch.zeros(4)})


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_prompt_clip(tmp_path_factory.mktemp("models") / "clip", projection=16)


def test_an_authors_format_checkpoint_loads_strictly(tiny_clip: Path, tmp_path: Path) -> None:
    torch.manual_seed(3)
    source = VadCLIP(tiny_clip, visual_length=32, attn_window=8)
    torch.nn.init.normal_(source.clipmodel.text_projection.weight)  # differ from the folder's CLIP
    state = source.state_dict()
    own = {k: v for k, v in state.items() if not k.startswith("clipmodel.")}
    clip = {k.removeprefix("clipmodel."): v for k, v in state.items() if k.startswith("clipmodel.")}
    # As ucf_train.py saves it: the CLIPVAD state dict, OpenAI CLIP in fp16 (clip.load on a GPU).
    released = {**own, **{"clipmodel." + k: v.half() for k, v in to_openai_names(clip).items()}}
    assert "clipmodel.transformer.resblocks.0.attn.in_proj_weight" in released
    torch.save(released, tmp_path / "model_ucf.pth")
    loaded = load_vadclip_checkpoint(tmp_path / "model_ucf.pth", tiny_clip, visual_length=32, attn_window=8)
    for key, value in loaded.state_dict().items():
        expected = state[key].half().float() if key.startswith("clipmodel.") else state[key]
        assert torch.equal(value, expected), key


def test_a_vadkit_format_checkpoint_loads_and_a_wrong_one_is_named(tiny_clip: Path, tmp_path: Path) -> None:
    torch.manual_seed(4)
    source = VadCLIP(tiny_clip, visual_length=32, attn_window=8)
    state = source.state_dict()
    assert convert_vadclip_state_dict(state) == state
    torch.save(state, tmp_path / "vadkit.pth")
    loaded = load_vadclip_checkpoint(tmp_path / "vadkit.pth", tiny_clip, visual_length=32, attn_window=8)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in state.items())
    with pytest.raises(
        ValidationError,
        match=r"does not fit vadclip_xd \(unexpected: temporal\.resblocks\.1\..*shape differs: frame_pos",
    ):
        load_vadclip_checkpoint(tmp_path / "vadkit.pth", tiny_clip, method="vadclip_xd", visual_length=64)
