"""UR-DMU (henrryzh1/UR-DMU): state dict, checkpoint loading, forward and every loss term against numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import erf
from sklearn.metrics import roc_auc_score

from vadkit.errors import ValidationError
from vadkit.methods.base import WeakBatch, create_method, list_methods, load_reference_checkpoint
from vadkit.methods.temporal_ops import distance_kernel, masked_topk_mean
from vadkit.methods.urdmu import URDMU, top_count, urdmu_objective
from vadkit.methods.urdmu_layers import GlobalLocalAttention, MemoryUnit

# (name, shape) of the reference WSAD(input_size=1024, a_nums=60, n_nums=60) state dict, written from
# henrryzh1/UR-DMU model.py, translayer.py and memory.py.
REFERENCE_SHAPES: dict[str, tuple[int, ...]] = {
    "embedding.conv_1.0.weight": (512, 1024, 3),
    "embedding.conv_1.0.bias": (512,),
    "cls_head.mlp.0.weight": (128, 1024),
    "cls_head.mlp.0.bias": (128,),
    "cls_head.mlp.2.weight": (1, 128),
    "cls_head.mlp.2.bias": (1,),
    "Amemory.memory_block": (60, 512),
    "Nmemory.memory_block": (60, 512),
    "encoder_mu.0.weight": (512, 512),
    "encoder_mu.0.bias": (512,),
    "encoder_var.0.weight": (512, 512),
    "encoder_var.0.bias": (512,),
}
for _layer in (0, 1):
    _p = f"selfatt.layers.{_layer}"
    REFERENCE_SHAPES |= {
        f"{_p}.0.norm.weight": (512,),
        f"{_p}.0.norm.bias": (512,),
        f"{_p}.0.fn.to_qkv.weight": (2048, 512),
        f"{_p}.0.fn.to_out.0.weight": (512, 1024),
        f"{_p}.0.fn.to_out.0.bias": (512,),
        f"{_p}.1.norm.weight": (512,),
        f"{_p}.1.norm.bias": (512,),
        f"{_p}.1.fn.net.0.weight": (512, 512),
        f"{_p}.1.fn.net.0.bias": (512,),
        f"{_p}.1.fn.net.3.weight": (512, 512),
        f"{_p}.1.fn.net.3.bias": (512,),
    }

TINY = {
    "feature_dim": 6,
    "hidden_dim": 8,
    "depth": 2,
    "heads": 2,
    "dim_head": 4,
    "mlp_dim": 10,
    "abnormal_memory_size": 40,
    "normal_memory_size": 20,
    "classifier_hidden": 5,
}


def tiny_model(seed: int = 0) -> URDMU:
    torch.manual_seed(seed)
    model = URDMU(**TINY).double().eval()
    return model


def params(model: URDMU) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}


# ---------------------------------------------------------------- numpy restatement of the reference


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def np_layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * w + b


def np_softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_encode(p: dict[str, np.ndarray], x: np.ndarray, heads: int, dim_head: int, depth: int) -> np.ndarray:
    """Temporal conv (k=3, pad 1) + ReLU, then the reference transformer, for one video (T, D)."""
    steps = x.shape[0]
    w, b = p["embedding.conv_1.0.weight"], p["embedding.conv_1.0.bias"]
    padded = np.concatenate([np.zeros((1, x.shape[1])), x, np.zeros((1, x.shape[1]))])
    h = b + sum(padded[k : k + steps] @ w[:, :, k].T for k in range(3))
    h = np.maximum(h, 0)
    pos = np.arange(1, steps + 1, dtype=np.float64)
    kernel = np.exp(-np.abs(pos[None, :] - pos[:, None]) / math.e)
    local = kernel / kernel.sum(-1)  # attn2 / attn2.sum(-1): column j divided by the sum of row j
    inner = heads * dim_head
    for layer in range(depth):
        pre = f"selfatt.layers.{layer}"
        n = np_layer_norm(h, p[f"{pre}.0.norm.weight"], p[f"{pre}.0.norm.bias"])
        qkvt = n @ p[f"{pre}.0.fn.to_qkv.weight"].T
        q, k, v, t = (qkvt[:, i * inner : (i + 1) * inner] for i in range(4))
        outs = []
        for head in range(heads):
            cols = slice(head * dim_head, (head + 1) * dim_head)
            attn = np_softmax_rows(q[:, cols] @ k[:, cols].T / math.sqrt(dim_head))
            outs += [attn @ v[:, cols], local @ t[:, cols]]
        out = np.concatenate(outs, axis=1)
        h = h + out @ p[f"{pre}.0.fn.to_out.0.weight"].T + p[f"{pre}.0.fn.to_out.0.bias"]
        n = np_layer_norm(h, p[f"{pre}.1.norm.weight"], p[f"{pre}.1.norm.bias"])
        z = n @ p[f"{pre}.1.fn.net.0.weight"].T + p[f"{pre}.1.fn.net.0.bias"]
        z = 0.5 * z * (1 + erf(z / math.sqrt(2)))
        h = h + z @ p[f"{pre}.1.fn.net.3.weight"].T + p[f"{pre}.1.fn.net.3.bias"]
    return h


def np_memory(h: np.ndarray, memory: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    att = np_sigmoid(h @ memory.T / math.sqrt(memory.shape[1]))
    k = memory.shape[0] // 16 + 1
    return -np.sort(-att, axis=1)[:, :k].mean(1), att @ memory


def np_linear(p: dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
    return x @ p[f"{name}.weight"].T + p[f"{name}.bias"]


def np_classify(p: dict[str, np.ndarray], z: np.ndarray) -> np.ndarray:
    hidden = np.maximum(np_linear(p, "cls_head.mlp.0", z), 0)
    return np_sigmoid(np_linear(p, "cls_head.mlp.2", hidden))[:, 0]


def np_scores(p: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    h = np_encode(p, x, TINY["heads"], TINY["dim_head"], TINY["depth"])
    _, a_read = np_memory(h, p["Amemory.memory_block"])
    _, n_read = np_memory(h, p["Nmemory.memory_block"])
    read = np_linear(p, "encoder_mu.0", a_read) + np_linear(p, "encoder_mu.0", n_read)
    return np_classify(p, np.concatenate([h, read], axis=1))


def np_bce(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def np_topk_mean(x: np.ndarray, k: int) -> np.ndarray:
    return -np.sort(-x, axis=-1)[..., :k].mean(-1)


def np_objective(
    p: dict[str, np.ndarray], normal: np.ndarray, abnormal: np.ndarray, noise: np.ndarray
) -> dict:
    """Every term of AD_Loss for single-crop bags, from the reference equations (model.py, train.py)."""
    steps = normal.shape[1]
    k = steps // 16 + 1
    enc = [np_encode(p, v, TINY["heads"], TINY["dim_head"], TINY["depth"]) for v in (*normal, *abnormal)]
    half = normal.shape[0]
    mu = lambda z: np_linear(p, "encoder_mu.0", z)  # noqa: E731
    var = lambda z: np_linear(p, "encoder_var.0", z)  # noqa: E731
    scores, a_att, n_att, a_n_att, n_a_att = [], [], [], [], []
    anchors, positives, negatives, anchors_new, negatives_new, kl_sums = [], [], [], [], [], []
    for i in range(half):
        h = enc[i]
        att_n, read_n = np_memory(h, p["Nmemory.memory_block"])
        att_an, read_an = np_memory(h, p["Amemory.memory_block"])
        top = np.argsort(-att_n, kind="stable")[:k]
        m, lv = mu(read_n), var(read_n)
        sample = m + noise[i] * np.sqrt(np.exp(lv))
        anchors.append(h[top].mean(0))
        anchors_new.append(sample[top].mean(0))
        kl_sums.append((1 + lv - m**2 - np.exp(lv)).sum(0))  # sum over the time axis (dim=1 of (b, T, D))
        scores.append(np_classify(p, np.concatenate([h, sample + mu(read_an)], 1)))
        n_att.append(att_n)
        a_n_att.append(att_an)
    for j in range(half):
        h = enc[half + j]
        att_a, read_a = np_memory(h, p["Amemory.memory_block"])
        att_na, read_na = np_memory(h, p["Nmemory.memory_block"])
        neg, pos = np.argsort(-att_a, kind="stable")[:k], np.argsort(-att_na, kind="stable")[:k]
        negatives.append(h[neg].mean(0))
        positives.append(h[pos].mean(0))
        negatives_new.append(mu(read_a)[neg].mean(0))
        scores.append(np_classify(p, np.concatenate([h, mu(read_a) + mu(read_na)], 1)))
        a_att.append(att_a)
        n_a_att.append(att_na)
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    triplet = np.mean(
        [
            max(
                np.linalg.norm(unit(a) - unit(q) + 1e-6) - np.linalg.norm(unit(a) - unit(n) + 1e-6) + 1.0,
                0.0,
            )
            for a, q, n in zip(anchors, positives, negatives, strict=True)
        ]
    )
    distance = np.mean(
        [
            max(100 - np.linalg.norm(n) + np.linalg.norm(a), 0.0)
            for a, n in zip(anchors_new, negatives_new, strict=True)
        ]
    )
    kl = float(np.mean(-0.5 * np.stack(kl_sums)))
    labels = np.array([0.0] * half + [1.0] * half)
    terms = {
        "video": np_bce(np_topk_mean(np.stack(scores), k), labels),
        "abnormal_memory": np_bce(np_topk_mean(np.stack(a_att), k), np.ones(half)),
        "normal_memory_on_abnormal": np_bce(np_topk_mean(1 - np.stack(n_a_att), k), np.ones(half)),
        "normal_memory": np_bce(np.stack(n_att), np.ones((half, steps))),
        "abnormal_memory_on_normal": np_bce(np.stack(a_n_att), np.zeros((half, steps))),
        "triplet": float(triplet),
        "kl": kl,
        "distance": float(distance),
    }
    memory = sum(terms[n] for n in ("abnormal_memory", "normal_memory_on_abnormal", "normal_memory"))
    memory += terms["abnormal_memory_on_normal"]
    terms["total"] = (
        terms["video"]
        + 0.1 * memory
        + 0.1 * terms["triplet"]
        + 0.001 * terms["kl"]
        + 0.0001 * terms["distance"]
    )
    terms["scores"] = np.stack(scores)
    return terms


# ---------------------------------------------------------------- state dict and checkpoints


def test_registered_and_train_sequence() -> None:
    assert "urdmu" in list_methods()
    model = create_method("urdmu", **TINY)
    assert isinstance(model, URDMU) and model.name == "urdmu"
    assert (URDMU.train_sequence.mode, URDMU.train_sequence.length) == ("segments", 200)


def test_state_dict_names_and_shapes_equal_reference() -> None:
    state = URDMU().state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == REFERENCE_SHAPES


def reference_state(seed: int = 1) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shape, generator=generator) for k, shape in REFERENCE_SHAPES.items()}


@pytest.mark.parametrize("wrapped", [False, True])
def test_reference_checkpoint_loads_strictly(tmp_path, wrapped: bool) -> None:
    state = reference_state()
    payload = {"state_dict": {f"module.{k}": v for k, v in state.items()}} if wrapped else state
    path = tmp_path / "ucf_trans_2022.pkl"
    torch.save(payload, path)
    model = load_reference_checkpoint("urdmu", path)
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_mismatched_checkpoint_names_the_keys(tmp_path) -> None:
    state = reference_state()
    del state["Nmemory.memory_block"]
    state["Amemory.memory_block"] = torch.zeros(50, 512)
    state["selfatt.layers.2.0.norm.weight"] = torch.zeros(512)
    path = tmp_path / "bad.pkl"
    torch.save(state, path)
    with pytest.raises(ValidationError) as info:
        load_reference_checkpoint("urdmu", path)
    message = str(info.value)
    for key in ("Nmemory.memory_block", "Amemory.memory_block", "selfatt.layers.2.0.norm.weight"):
        assert key in message


def test_config_errors() -> None:
    with pytest.raises(ValidationError, match="heads"):
        URDMU(heads=0)
    with pytest.raises(ValidationError, match="dropout"):
        URDMU(dropout=1.0)


# ---------------------------------------------------------------- building blocks


def test_local_attention_weights_divide_columns_by_row_sums() -> None:
    a = math.exp(-1 / math.e)
    row_sums = [1 + a + a * a, 1 + 2 * a, 1 + a + a * a]
    kernel = [[1, a, a * a], [a, 1, a], [a * a, a, 1]]
    expected = np.array([[kernel[i][j] / row_sums[j] for j in range(3)] for i in range(3)])
    layer = GlobalLocalAttention(dim=4, heads=1, dim_head=2, dropout=0.0)
    weights = layer.local_weights(3, None, torch.zeros(1, dtype=torch.float64))[0].numpy()
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
    np.testing.assert_allclose(weights.sum(0), 1.0, rtol=1e-12)  # columns sum to 1, rows do not
    assert abs(weights.sum(1)[0] - 1.0) > 0.01


def test_memory_unit_against_numpy() -> None:
    torch.manual_seed(3)
    unit = MemoryUnit(size=33, dim=7).double()
    x = torch.randn(2, 5, 7, dtype=torch.float64)
    scores, read = unit(x)
    memory = unit.memory_block.detach().numpy()
    bound = 1 / math.sqrt(7)
    assert np.abs(memory).max() <= bound
    for b in range(2):
        expected_scores, expected_read = np_memory(x[b].numpy(), memory)
        np.testing.assert_allclose(scores[b].detach().numpy(), expected_scores, rtol=1e-12)
        np.testing.assert_allclose(read[b].detach().numpy(), expected_read, rtol=1e-12)


def test_temporal_ops_by_hand() -> None:
    kernel = distance_kernel(3, dtype=torch.float64).numpy()
    np.testing.assert_allclose(kernel[0], [1, math.exp(-1 / math.e), math.exp(-2 / math.e)], rtol=1e-12)
    values = torch.tensor([[0.1, 0.9, 0.5, 0.7], [0.3, 0.2, 0.8, 0.4]], dtype=torch.float64)
    valid = torch.tensor([[True] * 4, [True, True, False, False]])
    np.testing.assert_allclose(masked_topk_mean(values, 2).numpy(), [0.8, 0.6])
    np.testing.assert_allclose(masked_topk_mean(values, torch.tensor([3, 1]), valid).numpy(), [0.7, 0.3])
    assert top_count(200) == 13 and top_count(15) == 1 and top_count(16) == 2


# ---------------------------------------------------------------- forward


def test_scores_match_numpy_reference() -> None:
    model = tiny_model()
    x = torch.randn(3, 21, 6, dtype=torch.float64)
    scores = model.snippet_scores(x)
    assert scores.shape == (3, 21)
    p = params(model)
    for b in range(3):
        np.testing.assert_allclose(scores[b].detach().numpy(), np_scores(p, x[b].numpy()), rtol=1e-10)


def test_default_shapes_and_range() -> None:
    torch.manual_seed(0)
    model = URDMU().eval()
    scores = model.snippet_scores(torch.randn(2, 3, 17, 1024))
    assert scores.shape == (2, 17)
    assert bool(((scores > 0) & (scores < 1)).all())


def test_crops_are_scored_alone_and_averaged() -> None:
    model = tiny_model()
    x = torch.randn(2, 4, 19, 6, dtype=torch.float64)
    together = model.snippet_scores(x)
    alone = torch.stack(
        [torch.stack([model.snippet_scores(x[b, c][None])[0] for c in range(4)]) for b in range(2)]
    )
    torch.testing.assert_close(together, alone.mean(1), rtol=1e-12, atol=1e-12)


def test_padding_past_lengths_changes_nothing() -> None:
    model = tiny_model()
    lengths = torch.tensor([25, 9, 17])
    x = torch.randn(3, 25, 6, dtype=torch.float64) * 5  # garbage in the padding, not zeros
    scores = model.snippet_scores(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        alone = model.snippet_scores(x[b : b + 1, :n])[0]
        torch.testing.assert_close(scores[b, :n], alone, rtol=1e-10, atol=1e-12)
        assert bool((scores[b, n:] == 0).all())


def test_input_errors() -> None:
    model = tiny_model()
    x = torch.randn(2, 8, 6, dtype=torch.float64)
    with pytest.raises(ValidationError, match="feature_dim=6"):
        model.snippet_scores(torch.randn(2, 8, 5, dtype=torch.float64))
    with pytest.raises(ValidationError, match="audio"):
        model.snippet_scores(x, audio=torch.zeros(2, 8, 128))
    with pytest.raises(ValidationError, match="lengths"):
        model.snippet_scores(x, torch.tensor([9, 3]))


# ---------------------------------------------------------------- losses


def test_every_loss_term_matches_numpy() -> None:
    model = tiny_model(seed=5)
    torch.manual_seed(6)
    normal = torch.randn(3, 35, 6, dtype=torch.float64)
    abnormal = torch.randn(3, 35, 6, dtype=torch.float64)
    noise = torch.randn(3, 35, 8, dtype=torch.float64)
    outputs = model.train_outputs(normal, abnormal, noise=noise)
    parts = urdmu_objective(outputs)
    expected = np_objective(params(model), normal.numpy(), abnormal.numpy(), noise.numpy())
    np.testing.assert_allclose(outputs.scores.detach().numpy(), expected["scores"], rtol=1e-10)
    assert expected["distance"] > 0 and expected["kl"] != 0 and expected["triplet"] > 0
    for name, value in parts.items():
        np.testing.assert_allclose(float(value.detach()), expected[name], rtol=1e-9, err_msg=name)


def test_loss_reorders_a_mixed_batch_and_averages_crops() -> None:
    model = tiny_model(seed=2)
    x = torch.randn(4, 2, 32, 6, dtype=torch.float64)
    labels = torch.tensor([1, 0, 1, 0])
    torch.manual_seed(11)
    total, parts = model.loss(WeakBatch(features=x, labels=labels))
    torch.manual_seed(11)
    direct = urdmu_objective(model.train_outputs(x[[1, 3]], x[[0, 2]]))
    assert float(total.detach()) == pytest.approx(float(direct["total"].detach()), rel=1e-12)
    assert set(parts) == set(direct)
    # crop averaging: the reference reshapes (b * n, ...) to (b, n, ...) and averages the crops
    outputs = model.train_outputs(x[[1, 3]], x[[0, 2]], noise=torch.zeros(4, 32, 8, dtype=torch.float64))
    per_crop = [
        model.train_outputs(x[[1, 3], c], x[[0, 2], c], noise=torch.zeros(2, 32, 8, dtype=torch.float64))
        for c in range(2)
    ]
    expected = (per_crop[0].scores + per_crop[1].scores) / 2
    torch.testing.assert_close(outputs.scores, expected, rtol=1e-12, atol=1e-12)


def test_loss_errors() -> None:
    model = tiny_model()
    x = torch.randn(3, 16, 6, dtype=torch.float64)
    with pytest.raises(ValidationError, match="as many normal as abnormal"):
        model.loss(WeakBatch(features=x, labels=torch.tensor([0, 1, 1])))
    with pytest.raises(ValidationError, match="full 16-segment"):
        model.loss(WeakBatch(features=x[:2], labels=torch.tensor([0, 1]), lengths=torch.tensor([16, 10])))
    with pytest.raises(ValidationError, match="audio"):
        model.loss(WeakBatch(features=x[:2], labels=torch.tensor([0, 1]), audio=torch.zeros(2, 16, 1)))
    with pytest.raises(ValidationError, match="0 \\(normal\\) or 1"):
        model.loss(WeakBatch(features=x[:2], labels=torch.tensor([0, 2])))
    with pytest.raises(ValidationError, match="noise"):
        model.train_outputs(x[:1], x[1:2], noise=torch.zeros(1, 16, 3, dtype=torch.float64))


def test_gradients_reach_every_parameter() -> None:
    model = tiny_model().train()
    x = torch.randn(4, 32, 6, dtype=torch.float64)
    total, _ = model.loss(WeakBatch(features=x, labels=torch.tensor([0, 0, 1, 1])))
    total.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and bool(parameter.grad.abs().sum() > 0), name


def test_training_separates_a_toy_problem() -> None:
    torch.manual_seed(0)
    model = URDMU(feature_dim=8, hidden_dim=16, heads=2, dim_head=8, mlp_dim=16, dropout=0.1)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)

    def bags(abnormal: bool, count: int) -> torch.Tensor:
        x = torch.randn(count, 32, 8)
        if abnormal:
            x[:, 12:18, :3] += 3.0
        return x

    for _ in range(30):
        x = torch.cat([bags(False, 6), bags(True, 6)])
        total, _ = model.loss(WeakBatch(features=x, labels=torch.tensor([0] * 6 + [1] * 6)))
        optimiser.zero_grad()
        total.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        test = torch.cat([bags(False, 10), bags(True, 10)])
        scores = model.snippet_scores(test).numpy()
    truth = np.zeros((20, 32))
    truth[10:, 12:18] = 1
    assert roc_auc_score(truth.ravel(), scores.ravel()) > 0.9
