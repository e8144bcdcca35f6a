"""VadCLIP (vadkit.methods.vadclip) on tiny random CLIPs: the reference parameter names, the LGT-Adapter
pieces and the losses against float64 numpy restatements of the reference, the prompt layout, the text
encoder on embeddings, the scoring branches and chunks, and training steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tiny_methods import save_prompt_clip
from vadkit.errors import ValidationError
from vadkit.methods.base import EpochSchedule, TrainRecipe, TrainSequence, WeakBatch, create_method
from vadkit.methods.vadclip import (
    UCF_CLASSES,
    XD_CLASSES,
    VadCLIP,
    VadCLIPXD,
    binary_mil_loss,
    class_targets,
    mil_align_loss,
    text_separation_loss,
    top_count,
)
from vadkit.methods.vadclip_layers import (
    DistanceAdj,
    GraphConvolution,
    distance_adjacency,
    similarity_adjacency,
    window_attention_mask,
)
from vadkit.snippets import split_chunks


def to_openai_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A ``transformers`` ``CLIPModel`` state dict in OpenAI names (the inverse mapping, written here
    independently of vadkit's converter so that the round trip checks it)."""
    fixed = {
        "vision_model.embeddings.class_embedding": "visual.class_embedding",
        "vision_model.embeddings.patch_embedding.weight": "visual.conv1.weight",
        "vision_model.embeddings.position_embedding.weight": "visual.positional_embedding",
        "vision_model.pre_layrnorm.weight": "visual.ln_pre.weight",
        "vision_model.pre_layrnorm.bias": "visual.ln_pre.bias",
        "vision_model.post_layernorm.weight": "visual.ln_post.weight",
        "vision_model.post_layernorm.bias": "visual.ln_post.bias",
        "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
        "text_model.embeddings.position_embedding.weight": "positional_embedding",
        "text_model.final_layer_norm.weight": "ln_final.weight",
        "text_model.final_layer_norm.bias": "ln_final.bias",
        "logit_scale": "logit_scale",
    }
    out: dict[str, torch.Tensor] = {}
    for name, value in state.items():
        if name in fixed:
            out[fixed[name]] = value
        elif name == "visual_projection.weight":
            out["visual.proj"] = value.t().contiguous()
        elif name == "text_projection.weight":
            out["text_projection"] = value.t().contiguous()
        else:
            tower, _, rest = name.partition(".encoder.layers.")
            index, _, leaf = rest.partition(".")
            head = {"vision_model": "visual.transformer.resblocks.", "text_model": "transformer.resblocks."}[
                tower
            ]
            if leaf.startswith("self_attn.q_proj."):
                kind = leaf.rsplit(".", 1)[1]
                parts = [
                    state[f"{tower}.encoder.layers.{index}.self_attn.{p}_proj.{kind}"]
                    for p in ("q", "k", "v")
                ]
                out[f"{head}{index}.attn.in_proj_{kind}"] = torch.cat(parts)
            elif leaf.startswith(("self_attn.k_proj.", "self_attn.v_proj.")):
                continue
            else:
                for new, old in (
                    ("self_attn.out_proj.", "attn.out_proj."),
                    ("layer_norm1.", "ln_1."),
                    ("layer_norm2.", "ln_2."),
                    ("mlp.fc1.", "mlp.c_fc."),
                    ("mlp.fc2.", "mlp.c_proj."),
                ):
                    if leaf.startswith(new):
                        out[f"{head}{index}.{old}{leaf[len(new) :]}"] = value
    return out


# ----------------------------------------------------------------------------------------------- fixtures

LENGTH = 32
"""visual_length of the small models (windows of 8)."""
WIDTH = 16
"""The tiny CLIP's projection size: VadCLIP's feature size."""
CLASSES = ("normal", "abuse", "roadAccidents", "car accident")


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_prompt_clip(tmp_path_factory.mktemp("models") / "vadclip-clip", projection=WIDTH)


@pytest.fixture(scope="module")
def model(tiny_clip: Path) -> VadCLIP:
    torch.manual_seed(0)
    return VadCLIP(tiny_clip, CLASSES, visual_length=LENGTH, attn_window=8).eval()


def _features(batch: int, steps: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, steps, WIDTH, generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------------- state-dict names


def _reference_own_shapes(width: int, length: int, embed: int, layers: int) -> dict[str, tuple[int, ...]]:
    """``CLIPVAD``'s own parameters (reference ``model.py`` ``__init__``), ``clipmodel.*`` excluded."""
    half = width // 2
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(layers):
        block = f"temporal.resblocks.{i}."
        shapes |= {
            block + "attn.in_proj_weight": (3 * width, width),
            block + "attn.in_proj_bias": (3 * width,),
            block + "attn.out_proj.weight": (width, width),
            block + "attn.out_proj.bias": (width,),
            block + "ln_1.weight": (width,),
            block + "ln_1.bias": (width,),
            block + "mlp.c_fc.weight": (4 * width, width),
            block + "mlp.c_fc.bias": (4 * width,),
            block + "mlp.c_proj.weight": (width, 4 * width),
            block + "mlp.c_proj.bias": (width,),
            block + "ln_2.weight": (width,),
            block + "ln_2.bias": (width,),
        }
    shapes |= {
        "gc1.weight": (width, half),
        "gc1.residual.weight": (half, width, 5),
        "gc1.residual.bias": (half,),
        "gc2.weight": (half, half),
        "gc3.weight": (width, half),
        "gc3.residual.weight": (half, width, 5),
        "gc3.residual.bias": (half,),
        "gc4.weight": (half, half),
        "disAdj.sigma": (1,),
        "linear.weight": (width, width),
        "linear.bias": (width,),
        "classifier.weight": (1, width),
        "classifier.bias": (1,),
        "frame_position_embeddings.weight": (length, width),
        "text_prompt_embeddings.weight": (77, embed),
    }
    for mlp in ("mlp1", "mlp2"):
        shapes |= {
            f"{mlp}.c_fc.weight": (4 * width, width),
            f"{mlp}.c_fc.bias": (4 * width,),
            f"{mlp}.c_proj.weight": (width, 4 * width),
            f"{mlp}.c_proj.bias": (width,),
        }
    return shapes


@pytest.mark.parametrize(("method", "layers"), [("vadclip", 2), ("vadclip_xd", 1)])
def test_own_parameters_have_the_reference_names_and_shapes(
    method: str, layers: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from transformers import CLIPModel

    # The published sizes: 512-d CLIP ViT-B/16 features and text width, 256 snippets.
    folder = tmp_path_factory.mktemp("published") / "clip"
    save_prompt_clip(folder, projection=512, text_hidden=512, text_heads=8)
    built = create_method(method, clip_model=folder)
    state = built.state_dict()
    own = {k: tuple(v.shape) for k, v in state.items() if not k.startswith("clipmodel.")}
    assert own == _reference_own_shapes(512, 256, 512, layers)
    clip_keys = {k.removeprefix("clipmodel.") for k in state if k.startswith("clipmodel.")}
    assert clip_keys == set(CLIPModel.from_pretrained(folder, local_files_only=True).state_dict())
    assert built.classes == (UCF_CLASSES if method == "vadclip" else XD_CLASSES)
    assert built.temporal.attn_mask.shape == (256, 256)


# ---------------------------------------------------------------------------------- LGT-Adapter pieces


def test_window_mask_matches_a_hand_built_one() -> None:
    mask = window_attention_mask(12, 4)
    expected = torch.full((12, 12), float("-inf"))
    for start in (0, 4, 8):
        expected[start : start + 4, start : start + 4] = 0
    assert torch.equal(mask, expected)
    assert torch.equal(window_attention_mask(6, 6), torch.zeros(6, 6))
    with pytest.raises(ValidationError, match="divisor"):
        window_attention_mask(10, 4)


def _numpy_similarity(x: np.ndarray, length: int | None) -> np.ndarray:
    """``adj4`` restated in float64 numpy."""
    steps = x.shape[0]
    n = steps if length is None else length
    out = np.zeros((steps, steps))
    block = x[:n]
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    cosine = block @ block.T / (norms @ norms.T + 1e-20)
    kept = np.where(cosine > 0.7, cosine, 0.0)
    e = np.exp(kept - kept.max(axis=1, keepdims=True))
    out[:n, :n] = e / e.sum(axis=1, keepdims=True)
    return out


def test_similarity_adjacency_matches_numpy() -> None:
    rng = np.random.default_rng(4)
    base = rng.normal(size=(1, 3))
    # Rows close to a shared direction give similarities above the 0.7 threshold, others below it.
    x = np.concatenate([base + 0.3 * rng.normal(size=(5, 3)), rng.normal(size=(4, 3))])[None].repeat(2, 0)
    x[1] = rng.normal(size=(9, 3))
    tensor = torch.tensor(x)
    full = similarity_adjacency(tensor, None).numpy()
    masked = similarity_adjacency(tensor, torch.tensor([6, 9])).numpy()
    for i in range(2):
        np.testing.assert_allclose(full[i], _numpy_similarity(x[i], None), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(masked[0], _numpy_similarity(x[0], 6), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(masked[1], _numpy_similarity(x[1], None), rtol=1e-12, atol=1e-12)
    assert (full[0] > 0).all() and len(np.unique(np.round(full[0], 8))) > 2


def test_distance_adjacency_matches_numpy() -> None:
    steps = 7
    i, j = np.meshgrid(np.arange(steps), np.arange(steps), indexing="ij")
    expected = np.exp(-np.abs(i - j) / np.e)
    got = distance_adjacency(steps).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert DistanceAdj()(3, steps).shape == (3, steps, steps)


def test_graph_convolution_with_identity_and_convolution_residuals() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 6, 4, dtype=torch.float64)
    adj = torch.rand(2, 6, 6, dtype=torch.float64)
    same = GraphConvolution(4, 4).double()
    torch.testing.assert_close(same(x, adj), adj @ (x @ same.weight) + x)
    assert [name for name, _ in same.named_parameters()] == ["weight"]
    down = GraphConvolution(4, 2).double()
    residual = down.residual
    assert isinstance(residual, torch.nn.Conv1d) and residual.kernel_size == (5,) and residual.padding == (2,)
    conv = torch.nn.functional.conv1d(x.transpose(1, 2), residual.weight, residual.bias, padding=2)
    torch.testing.assert_close(down(x, adj), adj @ (x @ down.weight) + conv.transpose(1, 2))


# ------------------------------------------------------------------------------------------------ losses


def _numpy_top_mean(values: np.ndarray, length: int) -> np.ndarray:
    k = int(length / 16 + 1)
    return np.sort(values[:length], axis=0)[::-1][:k].mean(axis=0)


def test_top_count_is_the_reference_rule() -> None:
    assert [top_count(n) for n in (1, 15, 16, 17, 255, 256)] == [1, 1, 2, 2, 16, 17]


def test_binary_mil_loss_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 40))
    lengths = np.array([5, 17, 40])
    labels = np.array([0.0, 1.0, 1.0])
    pooled = np.array([_numpy_top_mean(1 / (1 + np.exp(-logits[i])), n) for i, n in enumerate(lengths)])
    expected = -np.mean(labels * np.log(pooled) + (1 - labels) * np.log(1 - pooled))
    got = binary_mil_loss(torch.tensor(logits), torch.tensor(labels), torch.tensor(lengths))
    assert got.dtype == torch.float64
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)


def test_mil_align_loss_matches_numpy_with_one_hot_and_multi_hot_targets() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3, 40, 4)) * 5
    lengths = np.array([40, 3, 33])
    targets = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 1]])
    total = 0.0
    for i, n in enumerate(lengths):
        pooled = _numpy_top_mean(logits[i], n)
        log_softmax = pooled - pooled.max() - np.log(np.exp(pooled - pooled.max()).sum())
        total += -(targets[i] / targets[i].sum() * log_softmax).sum()
    got = mil_align_loss(torch.tensor(logits), torch.tensor(targets), torch.tensor(lengths))
    np.testing.assert_allclose(got.item(), total / 3, rtol=1e-12)


def test_text_separation_loss_matches_numpy() -> None:
    text = np.random.default_rng(2).normal(size=(5, 6))
    unit = text / np.linalg.norm(text, axis=1, keepdims=True)
    expected = np.abs(unit[1:] @ unit[0]).sum() / 4
    np.testing.assert_allclose(text_separation_loss(torch.tensor(text)).item(), expected, rtol=1e-12)


def test_class_targets_from_indices_and_multi_hot_rows() -> None:
    assert class_targets(torch.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    multi = torch.tensor([[0, 1, 1], [1, 0, 0]])
    assert class_targets(multi, 3).tolist() == [[0, 1, 1], [1, 0, 0]]
    with pytest.raises(ValidationError, match=r"\[0, 3\)"):
        class_targets(torch.tensor([3]), 3)
    with pytest.raises(ValidationError, match="normal"):
        class_targets(torch.tensor([[1, 1, 0]]), 3)
    with pytest.raises(ValidationError, match="at least one class"):
        class_targets(torch.tensor([[0, 0, 0]]), 3)


# ------------------------------------------------------------------------------------------ text prompts


def test_prompt_layout_places_start_class_and_end_tokens(model: VadCLIP, tiny_clip: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_clip, local_files_only=True)
    token_embedding = model.clipmodel.text_model.embeddings.token_embedding.weight
    learned = model.text_prompt_embeddings.weight
    prompts = model.prompt_embeddings().detach()
    prefix = postfix = 10
    assert prompts.shape == (len(CLASSES), 77, 32)
    for row, name in enumerate(CLASSES):
        ids = tokenizer(name)["input_ids"]
        ind = len(ids) - 1  # the end-of-text index, argmax of the reference's token row
        eot = prefix + ind + postfix
        assert int(model.prompt_eot[row]) == eot
        expected = learned.detach().clone()
        expected[0] = token_embedding[ids[0]]
        expected[prefix + 1 : prefix + ind] = token_embedding[ids[1:ind]]
        expected[eot] = token_embedding[ids[ind]]
        assert torch.equal(prompts[row], expected)
        assert ids[0] == tokenizer.bos_token_id and ids[ind] == tokenizer.eos_token_id


def test_prompt_capitalisation_does_not_matter(tiny_clip: Path) -> None:
    """``ucf_train.py`` prompts ``'roadAccidents'``, ``ucf_test.py`` ``'RoadAccidents'``: CLIP lower-cases."""
    torch.manual_seed(0)
    lower = VadCLIP(tiny_clip, ["normal", "roadAccidents"], visual_length=LENGTH, attn_window=8)
    torch.manual_seed(0)
    upper = VadCLIP(tiny_clip, ["Normal", "RoadAccidents"], visual_length=LENGTH, attn_window=8)
    assert torch.equal(lower.prompt_tokens, upper.prompt_tokens)
    with torch.no_grad():
        assert torch.equal(lower.text_features(), upper.text_features())


def test_a_prompt_that_does_not_fit_the_context_is_refused(tiny_clip: Path) -> None:
    with pytest.raises(ValidationError, match="does not fit CLIP's context of 77"):
        VadCLIP(tiny_clip, ["normal", "x" * 40], visual_length=LENGTH, attn_window=8, prompt_prefix=30)


# --------------------------------------------------------------------------------------- scoring outputs


def test_forward_shapes_and_branches(model: VadCLIP) -> None:
    features = _features(3, LENGTH)
    with torch.no_grad():
        outputs = model(features, torch.tensor([LENGTH, 20, 5]))
    assert outputs.text_features.shape == (len(CLASSES), WIDTH)
    assert outputs.logits1.shape == (3, LENGTH)
    assert outputs.logits2.shape == (3, LENGTH, len(CLASSES))
    # logits2 is a cosine over the temperature.
    assert bool((outputs.logits2.abs() <= 1 / 0.07 + 1e-4).all())
    with pytest.raises(ValidationError, match=rf"\(N, {LENGTH}, {WIDTH}\)"):
        model(_features(1, LENGTH + 1))


def test_class_scores_sum_to_one_and_scores_lie_in_0_1(model: VadCLIP) -> None:
    features = _features(2, 45, seed=1)
    lengths = torch.tensor([45, 12])
    with torch.no_grad():
        classes = model.class_scores(features, lengths)
        binary = model.snippet_scores(features, lengths)
    assert classes.shape == (2, 45, len(CLASSES)) and binary.shape == (2, 45)
    torch.testing.assert_close(classes[0].sum(-1), torch.ones(45))
    torch.testing.assert_close(classes[1, :12].sum(-1), torch.ones(12))
    assert bool((classes[1, 12:] == 0).all()) and bool((binary[1, 12:] == 0).all())
    assert bool(((binary >= 0) & (binary <= 1)).all())


def test_alignment_branch_scores_are_one_minus_the_normal_class(tiny_clip: Path, model: VadCLIP) -> None:
    aligned = VadCLIP(tiny_clip, CLASSES, visual_length=LENGTH, attn_window=8, score_branch="alignment")
    aligned.load_state_dict(model.state_dict())
    aligned.eval()
    features, lengths = _features(2, 40, seed=2), torch.tensor([40, 9])
    with torch.no_grad():
        scores = aligned.snippet_scores(features, lengths)
        classes = model.class_scores(features, lengths)
    torch.testing.assert_close(scores[0], 1 - classes[0, :, 0])
    torch.testing.assert_close(scores[1, :9], 1 - classes[1, :9, 0])
    assert bool((scores[1, 9:] == 0).all())


@pytest.mark.parametrize("steps", [20, 32, 75, 96])
def test_scoring_runs_the_reference_test_chunks(model: VadCLIP, steps: int) -> None:
    """A long video is cut as ``process_split`` cuts it, each chunk with the reference test lengths."""
    video = _features(1, steps, seed=steps)[0]
    chunks, lengths = split_chunks(video.numpy(), LENGTH, compat="vadclip")
    with torch.no_grad():
        outputs = model(torch.from_numpy(chunks), torch.from_numpy(lengths))
        scores = model.snippet_scores(video[None])[0]
        classes = model.class_scores(video[None])[0]
    torch.testing.assert_close(scores, torch.sigmoid(outputs.logits1).flatten()[:steps])
    torch.testing.assert_close(classes, outputs.logits2.softmax(-1).flatten(0, 1)[:steps])


def test_crops_are_scored_one_by_one_and_averaged(model: VadCLIP) -> None:
    crops = _features(2, 40, seed=5).reshape(1, 2, 40, WIDTH)
    with torch.no_grad():
        together = model.snippet_scores(crops)
        alone = model.snippet_scores(crops[0])
    torch.testing.assert_close(together[0], alone.mean(0))


def test_scoring_refuses_audio(model: VadCLIP) -> None:
    with pytest.raises(ValidationError, match="no audio"):
        model.snippet_scores(_features(1, 8), audio=torch.zeros(1, 8, 4))


# ---------------------------------------------------------------------------------------------- training


def _batch(seed: int = 0) -> WeakBatch:
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(4, LENGTH, WIDTH, generator=generator)
    features[1, 20:] = 0
    return WeakBatch(
        features=features,
        labels=torch.tensor([0.0, 0.0, 1.0, 1.0]),
        lengths=torch.tensor([LENGTH, 20, LENGTH, LENGTH]),
        classes=torch.tensor([0, 0, 1, 3]),
    )


def test_loss_is_the_sum_of_the_reference_terms(model: VadCLIP) -> None:
    batch = _batch()
    with torch.no_grad():
        total, parts = model.loss(batch)
        outputs = model(batch.features, batch.lengths)
    assert batch.lengths is not None
    targets = class_targets(batch.classes, len(CLASSES))  # type: ignore[arg-type]
    expected = {
        "binary_mil": binary_mil_loss(outputs.logits1, batch.labels, batch.lengths).item(),
        "mil_align": mil_align_loss(outputs.logits2, targets, batch.lengths).item(),
        "text_separation": 0.1 * text_separation_loss(outputs.text_features).item(),
    }
    for name, value in expected.items():
        assert parts[name] == pytest.approx(value, rel=1e-6)
    assert total.ndim == 0 and parts["total"] == pytest.approx(sum(expected.values()), rel=1e-6)


def test_loss_needs_consistent_classes(model: VadCLIP) -> None:
    batch = _batch()
    with pytest.raises(ValidationError, match=r"needs batch\.classes"):
        model.loss(WeakBatch(batch.features, batch.labels, batch.lengths))
    with pytest.raises(ValidationError, match="disagree"):
        model.loss(WeakBatch(batch.features, batch.labels, batch.lengths, classes=torch.tensor([0, 1, 1, 3])))
    with pytest.raises(ValidationError, match="pool_or_pad"):
        model.loss(WeakBatch(batch.features[:, :10], batch.labels, classes=batch.classes))


def test_gradients_reach_the_head_and_prompts_but_not_clip(tiny_clip: Path) -> None:
    torch.manual_seed(0)
    head = VadCLIP(tiny_clip, CLASSES, visual_length=LENGTH, attn_window=8).train()
    total, _ = head.loss(_batch())
    total.backward()
    assert all(p.grad is None for p in head.clipmodel.parameters())
    assert head.text_prompt_embeddings.weight.grad is not None
    assert head.text_prompt_embeddings.weight.grad.abs().sum() > 0
    assert head.temporal.resblocks[0].attn.in_proj_weight.grad is not None
    assert head.disAdj.sigma.grad is None  # unused by the reference as well


def test_a_few_reference_optimizer_steps_reduce_the_loss(tiny_clip: Path) -> None:
    torch.manual_seed(0)
    head = VadCLIP(tiny_clip, CLASSES, visual_length=LENGTH, attn_window=8, lr=1e-3).train()
    optimizer = head.reference_optimizer()
    batch = _batch(seed=3)
    losses = []
    for _ in range(8):
        total, _ = head.loss(batch)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        losses.append(total.item())
    assert losses[-1] < 0.8 * losses[0]


def test_reference_optimizer_recipe_and_sequence(tiny_clip: Path, model: VadCLIP) -> None:
    optimizer = model.reference_optimizer()
    assert isinstance(optimizer, torch.optim.AdamW)
    group = optimizer.param_groups[0]
    assert group["lr"] == 2e-5 and group["weight_decay"] == 0.01 and group["betas"] == (0.9, 0.999)
    trained = {id(p) for p in group["params"]}
    assert not any(id(p) in trained for p in model.clipmodel.parameters())
    assert VadCLIP.train_sequence == TrainSequence("pool_or_pad", 256)
    assert VadCLIP.train_recipe == TrainRecipe("balanced_crop_rows", EpochSchedule((4, 8), 0.1))
    assert VadCLIPXD.train_recipe == TrainRecipe("shuffled_crop_rows", EpochSchedule((3, 6, 10), 0.1))
    assert VadCLIP.crops_as_bags and VadCLIP.class_aware and VadCLIPXD.class_aware
    xd = VadCLIPXD(tiny_clip, CLASSES, visual_length=64)
    assert len(xd.temporal.resblocks) == 1 and xd.text_loss_weight == 1e-4
    assert xd.reference_optimizer().param_groups[0]["lr"] == 1e-5
    assert bool((xd.temporal.attn_mask == 0).all())  # one 64-snippet window
    with pytest.raises(ValidationError, match="divisor"):
        VadCLIPXD(tiny_clip, CLASSES, visual_length=LENGTH)
