"""TPWNG: pseudo-labels with normality guidance and the adaptive span mask against hand computations, every
loss term against a float64 numpy restatement of the paper's equation, the prompt against get_text_features,
and the model (shapes, ranges, training, errors) on a tiny random CLIP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from test_hf_loading import PROJECTION, save_tiny_clip
from vadkit.errors import ValidationError
from vadkit.methods.base import WeakBatch, create_method
from vadkit.methods.tpwng import (
    TPWNG,
    abnormal_ranking_loss,
    classification_loss,
    distribution_inconsistency_loss,
    minmax_normalize,
    normal_ranking_loss,
    pseudo_labels,
    smoothness_loss,
    sparsity_loss,
)
from vadkit.methods.tpwng_layers import AdaptiveSpanAttention, span_mask

CLASSES = ["normal", "fire", "fall", "theft"]
TINY = {
    "feature_dim": PROJECTION,
    "context_length": 4,
    "depth": 2,
    "heads": 2,
    "span_ramp": 4.0,
    "max_span": 8.0,
}


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip")


def build(tiny_clip: Path, **config: object) -> TPWNG:
    torch.manual_seed(0)
    return TPWNG(str(tiny_clip), CLASSES, **{**TINY, "dropout": 0.0, **config})  # type: ignore[arg-type]


def batch(seed: int = 1) -> WeakBatch:
    """Two normal and two abnormal videos of up to 10 snippets, two of them padded."""
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(4, 10, PROJECTION, generator=generator)
    lengths = torch.tensor([10, 7, 10, 6])
    features[1, 7:] = 0
    features[3, 6:] = 0
    return WeakBatch(features, torch.tensor([0, 1, 0, 1]), lengths, classes=torch.tensor([0, 2, 0, 3]))


# --- pseudo-labels and normality guidance (Sec. 3.3, Eqs. (5)-(6)), by hand -------------------------------


def test_minmax_normalize_by_hand() -> None:
    values = torch.tensor([[2.0, 4.0, 3.0, 6.0], [5.0, 5.0, 9.0, -7.0]])
    valid = torch.tensor([[True] * 4, [True, True, False, False]])
    expected = torch.tensor([[0.0, 0.5, 0.25, 1.0], [0.0, 0.0, 0.0, 0.0]])  # constant row -> 0, padding -> 0
    torch.testing.assert_close(minmax_normalize(values, valid), expected)


def test_normality_guidance_removes_a_frame_the_normal_text_also_matches() -> None:
    # S_aa = [0, 3, 2, 4] -> [0, .75, .5, 1];  S_an = [0, 4, 0, 0] -> [0, 1, 0, 0].
    own = torch.tensor([[0.0, 3.0, 2.0, 4.0]])
    normal = torch.tensor([[0.0, 4.0, 0.0, 0.0]])
    valid = torch.ones(1, 4, dtype=torch.bool)
    # alpha = 0.2: psi = .8 [0, .75, .5, 1] + .2 [1, 0, 1, 1] = [.2, .6, .6, 1] -> [0, .5, .5, 1].
    labels, psi = pseudo_labels(own, normal, valid, alpha=0.2, theta=0.55)
    torch.testing.assert_close(psi, torch.tensor([[0.0, 0.5, 0.5, 1.0]]))
    assert labels.tolist() == [[0.0, 0.0, 0.0, 1.0]]
    # Without guidance (alpha = 0) frame 1 (.75 > .55) is labelled abnormal.
    labels, psi = pseudo_labels(own, normal, valid, alpha=0.0, theta=0.55)
    torch.testing.assert_close(psi, torch.tensor([[0.0, 0.75, 0.5, 1.0]]))
    assert labels.tolist() == [[0.0, 1.0, 0.0, 1.0]]


def test_pseudo_labels_ignore_padding() -> None:
    own = torch.tensor([[0.0, 3.0, 2.0, 4.0, 50.0, -50.0]])
    normal = torch.tensor([[0.0, 4.0, 0.0, 0.0, -9.0, 9.0]])
    valid = torch.tensor([[True] * 4 + [False] * 2])
    labels, psi = pseudo_labels(own, normal, valid, alpha=0.2, theta=0.55)
    torch.testing.assert_close(psi, torch.tensor([[0.0, 0.5, 0.5, 1.0, 0.0, 0.0]]))
    assert labels.tolist() == [[0.0, 0.0, 0.0, 1.0, 0.0, 0.0]]


# --- TCSAL soft mask and attention (Sec. 3.4, Eqs. (7)-(9)) ------------------------------------------------


def test_span_mask_by_hand() -> None:
    # R = 4, z = 2: (4 + 2 - h) / 4 for h = 0..7, clipped to [0, 1].
    mask = span_mask(torch.arange(8.0), torch.tensor(2.0), 4.0)
    torch.testing.assert_close(mask, torch.tensor([1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]))


def test_attention_weights_follow_eq_9() -> None:
    torch.manual_seed(3)
    attention = AdaptiveSpanAttention(dim=6, heads=2, ramp=2.0, max_span=3.0, dropout=0.0).double()
    x = torch.randn(2, 7, 6, dtype=torch.float64)
    weights = attention.weights(x).detach().numpy()

    def linear(layer: torch.nn.Linear, values: np.ndarray) -> np.ndarray:
        return values @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()

    data = x.numpy()
    q, k = linear(attention.query, data), linear(attention.key, data)
    z = 3.0 / (1.0 + np.exp(-linear(attention.span, data)))  # (B, T, H): z_t = S sigmoid(C x_t + b)
    expected = np.zeros((2, 2, 7, 7))
    for b in range(2):
        for h in range(2):
            part = slice(3 * h, 3 * h + 3)
            for t in range(7):
                terms = np.zeros(7)
                for r in range(t + 1):
                    beta = q[b, t, part] @ k[b, r, part] / np.sqrt(3.0)
                    chi = min(max((2.0 + z[b, t, h] - (t - r)) / 2.0, 0.0), 1.0)
                    terms[r] = chi * np.exp(beta)
                expected[b, h, t] = terms / terms.sum()
    np.testing.assert_allclose(weights, expected, rtol=1e-10, atol=1e-12)


def test_spans_cut_attention_beyond_z_plus_r() -> None:
    attention = AdaptiveSpanAttention(dim=4, heads=1, ramp=1.0, max_span=2.0, dropout=0.0)
    torch.nn.init.zeros_(attention.span.weight)
    torch.nn.init.constant_(attention.span.bias, -30.0)  # z ~ 0: only h < R = 1, the current frame, is seen
    weights = attention.weights(torch.randn(1, 5, 4))
    torch.testing.assert_close(weights[0, 0], torch.eye(5))


# --- every loss term against float64 numpy (Sec. 3.5, Eqs. (10)-(14)) --------------------------------------


def restated_terms(
    own: np.ndarray,
    normal: np.ndarray,
    other: np.ndarray,
    anomaly: np.ndarray,
    valid: np.ndarray,
    margin: float,
) -> dict[str, float]:
    """The equations per video with python loops over the valid frames only."""
    n_rank, a_rank, dil, sp, sm = [], [], [], [], []
    for i in range(own.shape[0]):
        count = int(valid[i].sum())
        s_aa, s_an, phi = own[i, :count], normal[i, :count], other[i, :count]
        n_rank.append(max(0.0, margin - s_an.max() + anomaly[i, :count].max()))
        a_rank.append(max(0.0, margin - s_an.max() + phi.max()) + max(0.0, margin - s_aa.max() + phi.max()))
        dil.append(s_aa @ s_an / (np.linalg.norm(s_aa) * np.linalg.norm(s_an)))
        tilde = (s_aa - s_aa.min()) / (s_aa.max() - s_aa.min())
        sp.append(sum((tilde[j] - tilde[j + 1]) ** 2 for j in range(count - 1)))
        sm.append(tilde.sum())
    return {
        k: float(np.mean(v))
        for k, v in zip(["n", "a", "dil", "sp", "sm"], [n_rank, a_rank, dil, sp, sm], strict=True)
    }


def test_loss_terms_match_a_numpy_restatement() -> None:
    rng = np.random.default_rng(0)
    own, normal = rng.normal(size=(3, 8)), rng.normal(size=(3, 8))
    other, anomaly = rng.normal(size=(3, 8, 2)), rng.normal(size=(3, 8, 3))
    valid = np.arange(8)[None, :] < np.array([8, 5, 3])[:, None]
    garbage = ~valid  # padding holds values that would change every term if it were used
    own[garbage], normal[garbage] = 40.0, -40.0
    other[garbage], anomaly[garbage] = 40.0, 40.0
    expected = restated_terms(own, normal, other, anomaly, valid, margin=1.0)
    t = {
        name: torch.from_numpy(a)
        for name, a in dict(own=own, normal=normal, other=other, anomaly=anomaly).items()
    }
    mask = torch.from_numpy(valid)
    tilde = minmax_normalize(t["own"], mask)
    got = {
        "n": normal_ranking_loss(t["normal"], t["anomaly"], mask, 1.0),
        "a": abnormal_ranking_loss(t["own"], t["normal"], t["other"], mask, 1.0),
        "dil": distribution_inconsistency_loss(t["own"], t["normal"], mask),
        "sp": smoothness_loss(tilde, mask),
        "sm": sparsity_loss(tilde, mask),
    }
    for name, value in got.items():
        assert value.dtype == torch.float64
        np.testing.assert_allclose(float(value), expected[name], rtol=1e-12, err_msg=name)
    # A single anomaly class: no other anomaly texts, no abnormal ranking term.
    assert float(abnormal_ranking_loss(t["own"], t["normal"], t["other"][..., :0], mask, 1.0)) == 0.0


def test_classification_loss_matches_numpy() -> None:
    scores = np.array([[0.9, 0.2, 0.6], [0.3, 0.5, 0.01]])
    labels = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    valid = np.array([[True, True, True], [True, True, False]])
    expected = -np.mean(
        [
            np.log(s) if y else np.log(1 - s)
            for s, y, v in zip(scores.ravel(), labels.ravel(), valid.ravel(), strict=True)
            if v
        ]
    )
    got = classification_loss(torch.from_numpy(scores), torch.from_numpy(labels), torch.from_numpy(valid))
    np.testing.assert_allclose(float(got), expected, rtol=1e-12)


# --- the model on a tiny random CLIP -----------------------------------------------------------------------


def test_prompts_are_the_text_features_of_context_tokens_and_class_name(tiny_clip: Path) -> None:
    from transformers import AutoTokenizer, CLIPModel

    model = build(tiny_clip)
    tokenizer = AutoTokenizer.from_pretrained(tiny_clip)
    reference = CLIPModel.from_pretrained(tiny_clip, local_files_only=True).eval()
    word = tokenizer("fire", add_special_tokens=False)["input_ids"]
    assert len(word) == TINY["context_length"]
    with torch.no_grad():
        model.prompts.ctx.copy_(model.text_model.embeddings.token_embedding(torch.tensor(word)))
        texts = tokenizer([f"fire {name}" for name in CLASSES], padding=True, return_tensors="pt")
        expected = reference.get_text_features(**texts)
        expected = expected if isinstance(expected, torch.Tensor) else expected.pooler_output
        torch.testing.assert_close(
            model.text_embeddings(), torch.nn.functional.normalize(expected, dim=-1), rtol=1e-5, atol=1e-6
        )


def test_scores_shapes_ranges_and_causality(tiny_clip: Path) -> None:
    model = build(tiny_clip).eval()
    data = batch()
    with torch.no_grad():
        scores = model.snippet_scores(data.features, data.lengths)
        assert scores.shape == (4, 10) and bool(((scores >= 0) & (scores <= 1)).all())
        assert float(scores[1, 7:].abs().sum()) == 0.0
        # TCSAL attends to the past only: later frames do not change earlier scores.
        changed = data.features.clone()
        changed[:, 6:] = torch.randn(4, 4, PROJECTION)
        torch.testing.assert_close(
            model.snippet_scores(changed)[:, :6], model.snippet_scores(data.features)[:, :6]
        )
        crops = model.snippet_scores(data.features[:, None].expand(-1, 3, -1, -1), data.lengths)
        torch.testing.assert_close(crops, scores)
        classes = model.class_scores(data.features, data.lengths)
    assert classes.shape == (4, 10, len(CLASSES))
    torch.testing.assert_close(classes.sum(-1)[0], torch.ones(10))
    assert float(classes[3, 6:].abs().sum()) == 0.0


def test_loss_reports_every_term_and_their_sum(tiny_clip: Path) -> None:
    model = build(tiny_clip, lambda1=0.3, lambda2=0.07)
    total, parts = model.loss(batch())
    names = {"classification", "normal_ranking", "abnormal_ranking", "dil", "sp", "sm"}
    assert names | {"total", "pseudo_abnormal_fraction"} == set(parts)
    combined = sum(parts[n] for n in names - {"sp", "sm"}) + 0.3 * parts["sp"] + 0.07 * parts["sm"]
    assert parts["total"] == pytest.approx(combined, rel=1e-6) and float(total.detach()) == pytest.approx(
        combined, rel=1e-6
    )
    assert 0.0 < parts["pseudo_abnormal_fraction"] < 1.0


def test_training_steps_reduce_the_loss_and_keep_clip_frozen(tiny_clip: Path) -> None:
    model = build(tiny_clip).train()
    frozen = {name: value.clone() for name, value in model.text_model.state_dict().items()}
    projection = model.text_projection.weight.detach().clone()
    optimizer = model.reference_optimizer()
    assert {id(p) for group in optimizer.param_groups for p in group["params"]} == {
        id(p) for p in model.parameters() if p.requires_grad
    }
    assert not any(p.requires_grad for p in model.text_model.parameters())
    data = batch()
    losses = []
    for _ in range(15):
        total, _ = model.loss(data)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        losses.append(float(total.detach()))
    assert losses[-1] < 0.7 * losses[0]
    assert all(torch.equal(value, model.text_model.state_dict()[name]) for name, value in frozen.items())
    assert not torch.equal(projection, model.text_projection.weight)


def test_registered_and_rebuilt_from_its_config(tiny_clip: Path) -> None:
    model = create_method("tpwng", clip_model=str(tiny_clip), classes=CLASSES, **TINY)
    assert isinstance(model, TPWNG) and model.name == "tpwng"
    assert TPWNG.train_sequence.mode == "pool_or_pad" and TPWNG.train_sequence.length == 256
    clone = build(tiny_clip)
    clone.load_state_dict(model.state_dict(), strict=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"classes": None}, "needs the videos' class indices"),
        ({"classes": torch.tensor([1, 2, 0, 3])}, "normal videos must have class 0"),
        ({"classes": torch.tensor([0, 0, 0, 3])}, "need an anomaly class"),
        ({"classes": torch.tensor([0, 2, 0, 4])}, "need an anomaly class"),
        ({"labels": torch.tensor([0, 1, 0, 0]), "classes": torch.tensor([0, 2, 0, 0])}, "as many normal"),
        ({"audio": torch.zeros(4, 10, 2)}, "takes no audio"),
    ],
)
def test_bad_batches_are_named(tiny_clip: Path, change: dict, message: str) -> None:
    model = build(tiny_clip)
    data = batch()
    fields = {
        "features": data.features,
        "labels": data.labels,
        "lengths": data.lengths,
        "classes": data.classes,
    }
    with pytest.raises(ValidationError, match=message):
        model.loss(WeakBatch(**{**fields, **change}))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"feature_dim": 512}, "embeds in 24 dimensions"),
        ({"context_length": 12}, "exceeds the text encoder's 16 positions"),
        ({"classes": ["normal"]}, "at least one anomaly class"),
        ({"alpha": 1.5}, "alpha must lie in"),
        ({"heads": 5}, "not divisible"),
    ],
)
def test_bad_settings_are_named(tiny_clip: Path, setting: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TPWNG(str(tiny_clip), **{"classes": CLASSES, **TINY, **setting})  # type: ignore[arg-type]
