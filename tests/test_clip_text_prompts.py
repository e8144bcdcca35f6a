"""encode_prompt_embeddings on a tiny random CLIP: equal to get_text_features for the token embeddings of real
tokens, blind to what follows the end-of-text token, differentiable in the embeddings, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from test_hf_loading import PROJECTION, save_tiny_clip
from vadkit.errors import ValidationError
from vadkit.models.clip_text_prompts import causal_attention_mask, encode_prompt_embeddings

TEXTS = ["normal", "a fire al", "no"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    from transformers import AutoTokenizer, CLIPModel

    folder = save_tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip")
    return CLIPModel.from_pretrained(folder, local_files_only=True).eval(), AutoTokenizer.from_pretrained(
        folder
    )


def tokens(clip: tuple[object, object]) -> tuple[dict, torch.Tensor, torch.Tensor]:
    """The padded token ids of TEXTS, their token embeddings and end-of-text positions."""
    model, tokenizer = clip
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")  # type: ignore[operator]
    ids = batch["input_ids"]
    embeddings = model.text_model.embeddings.token_embedding(ids)  # type: ignore[attr-defined]
    eot = (ids == tokenizer.eos_token_id).int().argmax(dim=-1)  # type: ignore[attr-defined]
    return batch, embeddings, eot


def reference(clip: tuple[object, object], batch: dict) -> torch.Tensor:
    output = clip[0].get_text_features(**batch)  # type: ignore[attr-defined]
    return output if isinstance(output, torch.Tensor) else output.pooler_output


def test_token_embeddings_of_real_tokens_give_get_text_features(clip: tuple[object, object]) -> None:
    batch, embeddings, eot = tokens(clip)
    with torch.no_grad():
        expected = reference(clip, batch)
        features = encode_prompt_embeddings(clip[0], embeddings, eot)
    assert features.shape == (len(TEXTS), PROJECTION)
    torch.testing.assert_close(features, expected, rtol=1e-5, atol=1e-6)
    # The tower alone (no projection) gives the pooled final-layer-norm states.
    with torch.no_grad():
        pooled = encode_prompt_embeddings(clip[0], embeddings, eot, project=False)
        torch.testing.assert_close(clip[0].text_projection(pooled), expected, rtol=1e-5, atol=1e-6)  # type: ignore[attr-defined]


def test_positions_after_the_end_of_text_token_do_not_matter(clip: tuple[object, object]) -> None:
    _, embeddings, eot = tokens(clip)
    changed = embeddings.detach().clone()
    after = torch.arange(changed.shape[1])[None, :] > eot[:, None]
    changed[after] = torch.randn(int(after.sum()), changed.shape[-1])
    with torch.no_grad():
        torch.testing.assert_close(
            encode_prompt_embeddings(clip[0], changed, eot),
            encode_prompt_embeddings(clip[0], embeddings, eot),
        )


def test_gradients_reach_the_prompt_embeddings(clip: tuple[object, object]) -> None:
    _, embeddings, eot = tokens(clip)
    context = embeddings.detach().clone().requires_grad_(True)
    encode_prompt_embeddings(clip[0], context, eot).square().sum().backward()
    assert context.grad is not None
    # Causal: positions after the end-of-text token get no gradient, the ones before it do.
    reach = context.grad.abs().sum(dim=-1) > 0
    assert torch.equal(reach, torch.arange(context.shape[1])[None, :] <= eot[:, None])


def test_causal_mask_blocks_the_future() -> None:
    mask = causal_attention_mask(3, torch.float32, torch.device("cpu"))[0, 0]
    assert torch.equal(mask == 0, torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool))
    assert float(mask[0, 1]) == torch.finfo(torch.float32).min


def test_bad_inputs_are_named(clip: tuple[object, object], tmp_path: Path) -> None:
    _, embeddings, eot = tokens(clip)
    with pytest.raises(ValidationError, match="embeddings must have shape"):
        encode_prompt_embeddings(clip[0], embeddings[..., :5], eot)
    with pytest.raises(ValidationError, match="eot_positions must be"):
        encode_prompt_embeddings(clip[0], embeddings, eot + embeddings.shape[1])
    with pytest.raises(ValidationError, match="position embeddings"):
        encode_prompt_embeddings(clip[0], embeddings.repeat(1, 4, 1), eot)
    with pytest.raises(ValidationError, match="no CLIP text tower"):
        encode_prompt_embeddings(torch.nn.Linear(2, 2), embeddings, eot)
    with pytest.raises(ValidationError, match="no text_projection"):
        encode_prompt_embeddings(clip[0].text_model, embeddings, eot)  # type: ignore[attr-defined]
