"""HL-Net (Roc-Ng/XDVioDet): state dict, checkpoint loading, offline/online forward, losses against numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from vadkit.errors import ValidationError
from vadkit.methods.base import WeakBatch, create_method, list_methods, load_reference_checkpoint
from vadkit.methods.hlnet import HLNet, hlnet_distillation_loss, hlnet_mil_loss, hlnet_objective
from vadkit.methods.hlnet_layers import score_adjacency, similarity_adjacency
from vadkit.snippets import subsample_or_pad

# (name, shape) of the reference Model(feature_size=1024+128, num_classes=1) state dict, written from
# Roc-Ng/XDVioDet model.py and layers.py (GraphConvolution 128->32 has a Conv1d residual, 32->32 an identity).
REFERENCE_SHAPES: dict[str, tuple[int, ...]] = {
    "conv1d1.weight": (512, 1152, 1),
    "conv1d1.bias": (512,),
    "conv1d2.weight": (128, 512, 1),
    "conv1d2.bias": (128,),
    "conv1d3.weight": (32, 128, 5),
    "conv1d3.bias": (32,),
    "conv1d4.weight": (32, 32, 5),
    "conv1d4.bias": (32,),
    "simAdj.weight0": (1152, 32),
    "simAdj.weight1": (1152, 32),
    "disAdj.sigma": (1,),
    "classifier.weight": (1, 96),
    "classifier.bias": (1,),
    "approximator.0.weight": (64, 128, 1),
    "approximator.0.bias": (64,),
    "approximator.2.weight": (32, 64, 1),
    "approximator.2.bias": (32,),
    "conv1d_approximator.weight": (1, 32, 5),
    "conv1d_approximator.bias": (1,),
}
for _g in ("gc1", "gc3", "gc5"):
    REFERENCE_SHAPES |= {
        f"{_g}.weight": (128, 32),
        f"{_g}.residual.weight": (32, 128, 5),
        f"{_g}.residual.bias": (32,),
    }
for _g in ("gc2", "gc4", "gc6"):
    REFERENCE_SHAPES[f"{_g}.weight"] = (32, 32)

VISUAL, AUDIO = 10, 4


def tiny_model(seed: int = 0, **config: object) -> HLNet:
    torch.manual_seed(seed)
    return HLNet(feature_dim=VISUAL, audio_dim=AUDIO, **config).double().eval()


def params(model: HLNet) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}


def inputs(batch: int, steps: int, seed: int, crops: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, steps, VISUAL) if crops is None else (batch, crops, steps, VISUAL)
    visual = torch.randn(shape, generator=generator, dtype=torch.float64)
    audio = torch.randn(batch, steps, AUDIO, generator=generator, dtype=torch.float64)
    return visual, audio


# ---------------------------------------------------------------- numpy restatement of the reference


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def np_softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_conv_time(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, left: int, right: int) -> np.ndarray:
    """Conv1d over time of x (T, Cin) with weight (Cout, Cin, K) after zero-padding left/right."""
    padded = np.concatenate([np.zeros((left, x.shape[1])), x, np.zeros((right, x.shape[1]))])
    steps = padded.shape[0] - weight.shape[2] + 1
    return bias + sum(padded[k : k + steps] @ weight[:, :, k].T for k in range(weight.shape[2]))


def np_logits(p: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offline and online logits of one video, x = [rgb, audio] (T, D), per model.py Model.forward (eval)."""
    steps = x.shape[0]
    h = np.maximum(np_conv_time(x, p["conv1d1.weight"], p["conv1d1.bias"], 0, 0), 0)
    h = np.maximum(np_conv_time(h, p["conv1d2.weight"], p["conv1d2.bias"], 0, 0), 0)
    a = np.maximum(np_conv_time(h, p["approximator.0.weight"], p["approximator.0.bias"], 0, 0), 0)
    a = np.maximum(np_conv_time(a, p["approximator.2.weight"], p["approximator.2.bias"], 0, 0), 0)
    online = np_conv_time(a, p["conv1d_approximator.weight"], p["conv1d_approximator.bias"], 4, 0)[:, 0]
    s = np_sigmoid(online)
    closeness = 1.0 - np.abs(s[:, None] - s[None, :])
    score_adj = np_softmax_rows(1 / (1 + np.exp(-(closeness - 0.5) / 0.1)))
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    cosine = (x @ x.T) / (norms @ norms.T + 1e-20)
    sim_adj = np_softmax_rows(np.where(cosine > 0.7, cosine, 0.0))
    idx = np.arange(steps)
    dis_adj = np.exp(-np.abs(idx[:, None] - idx[None, :]) / math.e)

    def gc(name: str, z: np.ndarray, adj: np.ndarray) -> np.ndarray:
        out = adj @ (z @ p[f"{name}.weight"])
        if f"{name}.residual.weight" in p:
            return out + np_conv_time(z, p[f"{name}.residual.weight"], p[f"{name}.residual.bias"], 2, 2)
        return out + z

    relu = lambda z: np.maximum(z, 0)  # noqa: E731
    o1 = relu(gc("gc2", relu(gc("gc1", h, sim_adj)), sim_adj))
    o2 = relu(gc("gc4", relu(gc("gc3", h, dis_adj)), dis_adj))
    o3 = relu(gc("gc6", relu(gc("gc5", h, score_adj)), score_adj))
    offline = np.concatenate([o1, o2, o3], 1) @ p["classifier.weight"].T + p["classifier.bias"]
    return offline[:, 0], online


def np_fused(visual: torch.Tensor, audio: torch.Tensor) -> np.ndarray:
    return np.concatenate([visual.numpy(), audio.numpy()], axis=-1)


def np_mil(logits: np.ndarray, label: float) -> float:
    k = len(logits) // 16 + 1
    p = np_sigmoid(np.sort(logits)[::-1][:k].mean())
    return float(-(label * np.log(p) + (1 - label) * np.log(1 - p)))


# ---------------------------------------------------------------- state dict and checkpoints


def test_registered_and_train_sequence() -> None:
    assert "hlnet" in list_methods()
    model = create_method("hlnet", feature_dim=VISUAL, audio_dim=AUDIO)
    assert isinstance(model, HLNet) and model.name == "hlnet"
    assert (HLNet.train_sequence.mode, HLNet.train_sequence.length) == ("subsample_or_pad", 200)


def test_state_dict_names_and_shapes_equal_reference() -> None:
    state = HLNet().state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == REFERENCE_SHAPES
    assert float(state["disAdj.sigma"]) == pytest.approx(0.1)


def reference_state(seed: int = 1) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shape, generator=generator) for k, shape in REFERENCE_SHAPES.items()}


@pytest.mark.parametrize("wrapped", [False, True])
def test_reference_checkpoint_loads_strictly(tmp_path, wrapped: bool) -> None:
    state = reference_state()
    # the published wsanodet_mix2.pkl carries DataParallel's "module." prefix (infer.py strips it)
    payload = {"state_dict": {f"module.{k}": v for k, v in state.items()}} if wrapped else state
    path = tmp_path / "wsanodet_mix2.pkl"
    torch.save(payload, path)
    model = load_reference_checkpoint("hlnet", path)
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_mismatched_checkpoint_names_the_keys(tmp_path) -> None:
    state = reference_state()
    del state["simAdj.weight1"]
    state["conv1d1.weight"] = torch.zeros(512, 1024, 1)  # a visual-only checkpoint
    state["gc2.residual.weight"] = torch.zeros(32, 32, 5)
    path = tmp_path / "bad.pkl"
    torch.save(state, path)
    with pytest.raises(ValidationError) as info:
        load_reference_checkpoint("hlnet", path)
    for key in ("simAdj.weight1", "conv1d1.weight", "gc2.residual.weight"):
        assert key in str(info.value)


def test_visual_only_configuration_loads_a_1024_checkpoint(tmp_path) -> None:
    state = reference_state()
    state |= {
        "conv1d1.weight": torch.zeros(512, 1024, 1),
        "simAdj.weight0": torch.zeros(1024, 32),
        "simAdj.weight1": torch.zeros(1024, 32),
    }
    torch.save(state, tmp_path / "rgb.pkl")
    model = load_reference_checkpoint("hlnet", tmp_path / "rgb.pkl", audio_dim=0)
    assert model.state_dict()["conv1d1.weight"].shape == (512, 1024, 1)


def test_config_errors() -> None:
    with pytest.raises(ValidationError, match="compat"):
        HLNet(compat="rtfm")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="audio_dim"):
        HLNet(audio_dim=-1)
    with pytest.raises(ValidationError, match="dropout"):
        HLNet(dropout=1.5)


# ---------------------------------------------------------------- forward


def test_offline_and_online_scores_match_numpy() -> None:
    model = tiny_model()
    visual, audio = inputs(2, 23, seed=3)
    offline = model.snippet_scores(visual, audio=audio)
    online = model.snippet_scores(visual, audio=audio, online=True)
    p = params(model)
    fused = np_fused(visual, audio)
    for b in range(2):
        expected_offline, expected_online = np_logits(p, fused[b])
        np.testing.assert_allclose(offline[b].detach().numpy(), np_sigmoid(expected_offline), rtol=1e-10)
        np.testing.assert_allclose(online[b].detach().numpy(), np_sigmoid(expected_online), rtol=1e-10)


def test_similarity_graph_keeps_thresholded_entries_in_the_softmax() -> None:
    x = torch.tensor([[[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]], dtype=torch.float64)  # cosines 0.8, 0, 0.6
    adj = similarity_adjacency(x, None)[0].numpy()
    e = math.e
    np.testing.assert_allclose(adj[0], np.array([e, e**0.8, 1.0]) / (e + e**0.8 + 1.0), rtol=1e-12)
    np.testing.assert_allclose(
        adj[2], np.array([1.0, 1.0, e]) / (2.0 + e), rtol=1e-12
    )  # 0.6 <= 0.7 is cut to 0


def test_score_graph_by_hand() -> None:
    logits = torch.tensor([[0.0, math.log(3.0)]], dtype=torch.float64)  # probabilities 0.5, 0.75
    adj = score_adjacency(logits, None)[0].numpy()
    near, far = 1 / (1 + math.exp(-5.0)), 1 / (1 + math.exp(-2.5))  # closeness 1 and 0.75
    np.testing.assert_allclose(adj[0], np.exp([near, far]) / np.exp([near, far]).sum(), rtol=1e-12)


def test_crops_share_the_audio_and_average_probabilities() -> None:
    model = tiny_model()
    visual, audio = inputs(2, 15, seed=4, crops=5)
    together = model.snippet_scores(visual, audio=audio)
    alone = torch.stack(
        [
            torch.stack([model.snippet_scores(visual[b, c][None], audio=audio[b][None])[0] for c in range(5)])
            for b in range(2)
        ]
    )
    torch.testing.assert_close(together, alone.mean(1), rtol=1e-12, atol=1e-12)


def test_online_scores_use_only_the_past() -> None:
    model = tiny_model()
    visual, audio = inputs(1, 30, seed=5)
    changed_visual, changed_audio = visual.clone(), audio.clone()
    changed_visual[0, 18:] += 3.0
    changed_audio[0, 18:] -= 2.0
    before_online = model.snippet_scores(visual, audio=audio, online=True)
    after_online = model.snippet_scores(changed_visual, audio=changed_audio, online=True)
    torch.testing.assert_close(before_online[:, :18], after_online[:, :18], rtol=0, atol=0)
    assert bool((before_online[:, 18:] != after_online[:, 18:]).all())
    before_offline = model.snippet_scores(visual, audio=audio)
    after_offline = model.snippet_scores(changed_visual, audio=changed_audio)
    assert float((before_offline[:, :18] - after_offline[:, :18]).abs().max().detach()) > 1e-4


def test_online_window_is_five_snippets() -> None:
    model = tiny_model()
    visual, audio = inputs(1, 20, seed=6)
    changed = visual.clone()
    changed[0, 7] += 4.0
    difference = (
        model.snippet_scores(changed, audio=audio, online=True)
        - model.snippet_scores(visual, audio=audio, online=True)
    )[0]
    moved = torch.nonzero(difference != 0).flatten().tolist()
    assert moved == [7, 8, 9, 10, 11]


def test_padding_past_lengths_changes_nothing() -> None:
    model = tiny_model()
    visual, audio = inputs(3, 26, seed=7)
    lengths = torch.tensor([26, 11, 19])
    for online in (False, True):
        scores = model.snippet_scores(visual * 3, lengths, audio, online=online)  # garbage padding
        for b, n in enumerate(lengths.tolist()):
            alone = model.snippet_scores(
                visual[b : b + 1, :n] * 3, audio=audio[b : b + 1, :n], online=online
            )[0]
            torch.testing.assert_close(scores[b, :n], alone, rtol=1e-10, atol=1e-12)
            assert bool((scores[b, n:] == 0).all())


def test_compat_xdviodet_lets_zero_padding_reach_the_proximity_graph() -> None:
    default, compat = tiny_model(), tiny_model(compat="xdviodet")
    compat.load_state_dict(default.state_dict())
    visual, audio = inputs(1, 12, seed=8)
    padded_visual = torch.cat([visual, torch.zeros(1, 8, VISUAL, dtype=torch.float64)], 1)
    padded_audio = torch.cat([audio, torch.zeros(1, 8, AUDIO, dtype=torch.float64)], 1)
    lengths = torch.tensor([12])
    alone = default.snippet_scores(visual, audio=audio)
    torch.testing.assert_close(compat.snippet_scores(visual, audio=audio), alone, rtol=1e-12, atol=1e-12)
    leaked = compat.snippet_scores(padded_visual, lengths, padded_audio)[:, :12]
    assert (
        float((leaked - alone).abs().max().detach()) > 1e-6
    )  # relu(bias) of the padded rows enters the valid rows
    online = compat.snippet_scores(padded_visual, lengths, padded_audio, online=True)[:, :12]
    torch.testing.assert_close(
        online, default.snippet_scores(visual, audio=audio, online=True), rtol=0, atol=0
    )


def test_input_errors() -> None:
    model = tiny_model()
    visual, audio = inputs(2, 9, seed=9)
    with pytest.raises(ValidationError, match="audio features"):
        model.snippet_scores(visual)
    with pytest.raises(ValidationError, match="drops the last RGB row"):
        model.snippet_scores(visual, audio=audio[:, :8])
    with pytest.raises(ValidationError, match="feature_dim=10"):
        model.snippet_scores(torch.randn(2, 9, 11, dtype=torch.float64), audio=audio)
    with pytest.raises(ValidationError, match="lengths"):
        model.snippet_scores(visual, torch.tensor([0, 9]), audio)
    with pytest.raises(ValidationError, match="visual only"):
        HLNet(feature_dim=VISUAL, audio_dim=0).snippet_scores(visual.float(), audio=audio.float())


# ---------------------------------------------------------------- losses


def test_loss_terms_match_numpy_per_video() -> None:
    model = tiny_model(seed=1)
    visual, audio = inputs(3, 40, seed=10)
    lengths = torch.tensor([40, 17, 33])
    labels = torch.tensor([1.0, 0.0, 1.0])
    total, parts = model.loss(WeakBatch(features=visual, labels=labels, lengths=lengths, audio=audio))
    p = params(model)
    fused = np_fused(visual, audio)
    mil_off, mil_on, distill = [], [], []
    for b, n in enumerate(lengths.tolist()):
        offline, online = np_logits(p, fused[b, :n])
        mil_off.append(np_mil(offline, float(labels[b])))
        mil_on.append(np_mil(online, float(labels[b])))
        distill.append(np.mean(-np_sigmoid(offline) * np.log(np_sigmoid(online))))
    expected = {
        "mil_offline": np.mean(mil_off),
        "mil_online": np.mean(mil_on),
        "distillation": np.mean(distill),
    }
    expected["total"] = expected["mil_offline"] + expected["mil_online"] + 5 * expected["distillation"]
    for name, value in expected.items():
        assert parts[name] == pytest.approx(value, rel=1e-9), name
    assert float(total.detach()) == pytest.approx(expected["total"], rel=1e-9)


def test_mil_loss_applies_the_sigmoid_after_the_top_k_mean() -> None:
    logits = torch.tensor([[4.0, -2.0, 0.0, 1.0] + [-5.0] * 14], dtype=torch.float64)  # T=18: k=2
    label = torch.tensor([1.0], dtype=torch.float64)
    expected = -math.log(1 / (1 + math.exp(-2.5)))  # mean of the top 2 logits (4, 1) = 2.5
    assert float(hlnet_mil_loss(logits, label, None)) == pytest.approx(expected, rel=1e-12)
    valid = torch.tensor([[True] * 3 + [False] * 15])  # L=3: k=1 among [4, -2, 0]
    assert float(hlnet_mil_loss(logits, label, valid)) == pytest.approx(-math.log(1 / (1 + math.exp(-4))))


def test_distillation_has_no_negative_half_and_a_detached_teacher() -> None:
    offline = torch.tensor([[0.0, 2.0]], dtype=torch.float64, requires_grad=True)
    online = torch.tensor([[-1.0, 3.0]], dtype=torch.float64, requires_grad=True)
    value = hlnet_distillation_loss(offline, online, None)
    p = [0.5, 1 / (1 + math.exp(-2))]
    q = [1 / (1 + math.exp(1)), 1 / (1 + math.exp(-3))]
    assert float(value.detach()) == pytest.approx(
        -(p[0] * math.log(q[0]) + p[1] * math.log(q[1])) / 2, rel=1e-12
    )
    value.backward()
    assert offline.grad is None and online.grad is not None


def test_offline_mil_sends_no_gradient_into_the_online_detector() -> None:
    model = tiny_model().train()
    visual, audio = inputs(2, 20, seed=11)
    fused = model.fuse(visual, audio)[0]
    offline, _ = model.logits(fused)
    labels = torch.tensor([0.0, 1.0], dtype=torch.float64)
    hlnet_mil_loss(offline, labels, None).backward()
    assert all(
        p.grad is None for p in [*model.approximator.parameters(), *model.conv1d_approximator.parameters()]
    )
    assert model.gc5.weight.grad is not None and model.conv1d1.weight.grad is not None


def test_gradients_reach_every_used_parameter() -> None:
    model = tiny_model().train()
    visual, audio = inputs(4, 24, seed=12)
    total, _ = model.loss(WeakBatch(features=visual, labels=torch.tensor([0, 1, 0, 1]), audio=audio))
    total.backward()
    unused = {"conv1d3.weight", "conv1d3.bias", "conv1d4.weight", "conv1d4.bias"}
    unused |= {"simAdj.weight0", "simAdj.weight1", "disAdj.sigma"}
    for name, parameter in model.named_parameters():
        if name in unused:
            assert parameter.grad is None, name
        else:
            assert parameter.grad is not None and bool(parameter.grad.abs().sum() > 0), name


def test_objective_total_weights() -> None:
    offline = torch.tensor([[0.3, -0.2, 1.0]], dtype=torch.float64)
    online = torch.tensor([[0.1, 0.4, -0.5]], dtype=torch.float64)
    parts = hlnet_objective(offline, online, torch.tensor([1.0], dtype=torch.float64), None)
    expected = parts["mil_offline"] + parts["mil_online"] + 5.0 * parts["distillation"]
    assert float(parts["total"]) == pytest.approx(float(expected), rel=1e-12)


def test_reference_optimizer_groups_and_schedule() -> None:
    model = HLNet(feature_dim=VISUAL, audio_dim=AUDIO)
    optimizer = model.reference_optimizer()
    assert [group["lr"] for group in optimizer.param_groups] == [1e-4, 5e-5, 5e-5]
    grouped = [id(p) for group in optimizer.param_groups for p in group["params"]]
    assert sorted(grouped) == sorted(id(p) for p in model.parameters())
    scheduler = HLNet.reference_scheduler(optimizer)
    rates = []
    for _ in range(12):  # main.py: scheduler.step() at the start of each epoch, then train
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates[:9] == [1e-4] * 9 and rates[9] == pytest.approx(1e-5)


def test_loss_errors() -> None:
    model = tiny_model()
    visual, audio = inputs(2, 9, seed=13)
    with pytest.raises(ValidationError, match="labels"):
        model.loss(WeakBatch(features=visual, labels=torch.tensor([0, 3]), audio=audio))
    with pytest.raises(ValidationError, match="labels must have shape"):
        model.loss(WeakBatch(features=visual, labels=torch.tensor([0, 1, 1]), audio=audio))


def test_training_separates_a_toy_problem() -> None:
    torch.manual_seed(0)
    model = HLNet(feature_dim=8, audio_dim=2, dropout=0.1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def bags(abnormal: bool, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        visual, audio = torch.randn(count, 32, 8), torch.randn(count, 32, 2)
        if abnormal:
            visual[:, 12:18, :3] += 3.0
        return visual, audio

    for _ in range(30):
        (nv, na), (av, aa) = bags(False, 6), bags(True, 6)
        batch = WeakBatch(
            features=torch.cat([nv, av]), labels=torch.tensor([0] * 6 + [1] * 6), audio=torch.cat([na, aa])
        )
        total, _ = model.loss(batch)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    model.eval()
    (nv, na), (av, aa) = bags(False, 10), bags(True, 10)
    truth = np.zeros((20, 32))
    truth[10:, 12:18] = 1
    with torch.no_grad():
        for online in (False, True):
            scores = model.snippet_scores(torch.cat([nv, av]), audio=torch.cat([na, aa]), online=online)
            assert roc_auc_score(truth.ravel(), scores.numpy().ravel()) > 0.9


# ---------------------------------------------------------------- training sequence rule


@pytest.mark.parametrize("steps", [201, 450, 1000, 5003])
def test_subsample_picks_rows_like_uniform_extract(steps: int) -> None:
    features = np.arange(steps, dtype=np.float32)[:, None] * np.ones((1, 3), dtype=np.float32)
    out, length = subsample_or_pad(features, 200)
    reference_rows = np.linspace(0, steps - 1, 200, dtype=np.uint16)  # utils.uniform_extract
    assert length == 200 and out.shape == (200, 3)
    np.testing.assert_array_equal(out[:, 0], reference_rows.astype(np.float32))
    assert out[0, 0] == 0 and out[-1, 0] == steps - 1


@pytest.mark.parametrize("steps", [1, 57, 200])
def test_short_videos_are_zero_padded(steps: int) -> None:
    features = np.random.default_rng(0).normal(size=(steps, 5, 4)).astype(np.float32)
    out, length = subsample_or_pad(features, 200)
    assert length == steps and out.shape == (200, 5, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:steps], features)
    assert not out[steps:].any()


def test_subsample_errors() -> None:
    with pytest.raises(ValidationError, match="at least one row"):
        subsample_or_pad(np.zeros((0, 3)))
    with pytest.raises(ValidationError, match="target"):
        subsample_or_pad(np.zeros((3, 3)), 0)
