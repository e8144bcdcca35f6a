"""RTFM head: reference parameter layout, checkpoint loading, the aggregation network and the objective
against numpy re-computations of tianyu0207/RTFM, crop handling, padding, errors, a training smoke run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from vadkit.errors import ValidationError
from vadkit.methods.base import WeakBatch, create_method, list_methods, load_reference_checkpoint
from vadkit.methods.rtfm import RTFM, RTFMOutput, rtfm_objective

# Names and shapes of ``Model(n_features=2048, batch_size)`` in tianyu0207/RTFM model.py: Aggregate
# (conv_1..3 = Conv1d(2048, 512, 3) + ReLU + BatchNorm1d(512); conv_4 = Conv1d(2048, 512, 1, bias=False)
# + ReLU; conv_5 = Conv1d(2048, 2048, 3, bias=False) + ReLU + BatchNorm1d(2048); non_local =
# NONLocalBlock1D(512) with g, W = (Conv1d(256, 512, 1), BatchNorm1d(512)), theta, phi), fc1, fc2, fc3.
BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def batch_norm(prefix: str, channels: int) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}.{name}": (() if name == "num_batches_tracked" else (channels,)) for name in BN}


REFERENCE_SHAPES: dict[str, tuple[int, ...]] = {
    **{
        key: shape
        for branch in ("conv_1", "conv_2", "conv_3")
        for key, shape in {
            f"Aggregate.{branch}.0.weight": (512, 2048, 3),
            f"Aggregate.{branch}.0.bias": (512,),
            **batch_norm(f"Aggregate.{branch}.2", 512),
        }.items()
    },
    "Aggregate.conv_4.0.weight": (512, 2048, 1),
    "Aggregate.conv_5.0.weight": (2048, 2048, 3),
    **batch_norm("Aggregate.conv_5.2", 2048),
    "Aggregate.non_local.g.weight": (256, 512, 1),
    "Aggregate.non_local.g.bias": (256,),
    "Aggregate.non_local.W.0.weight": (512, 256, 1),
    "Aggregate.non_local.W.0.bias": (512,),
    **batch_norm("Aggregate.non_local.W.1", 512),
    "Aggregate.non_local.theta.weight": (256, 512, 1),
    "Aggregate.non_local.theta.bias": (256,),
    "Aggregate.non_local.phi.weight": (256, 512, 1),
    "Aggregate.non_local.phi.bias": (256,),
    "fc1.weight": (512, 2048),
    "fc1.bias": (512,),
    "fc2.weight": (128, 512),
    "fc2.bias": (128,),
    "fc3.weight": (1, 128),
    "fc3.bias": (1,),
}


def small_model(seed: int = 0, **config: object) -> RTFM:
    torch.manual_seed(seed)
    return RTFM(feature_dim=6, branch_channels=8, **config)  # type: ignore[arg-type]


# --- parameters and checkpoints ---------------------------------------------------------------------------


def test_state_dict_matches_the_reference() -> None:
    model = RTFM()
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == REFERENCE_SHAPES
    assert model.k == 3
    assert model.train_sequence.mode == "segments"
    assert model.train_sequence.length == 32


def test_reference_initialisation() -> None:
    model = RTFM(feature_dim=16, branch_channels=8)
    output_norm = model.Aggregate.non_local.W[1]
    assert torch.equal(output_norm.weight, torch.zeros(8))
    assert torch.equal(output_norm.bias, torch.zeros(8))
    assert torch.equal(model.Aggregate.conv_1[2].weight, torch.ones(8))
    for module in model.modules():
        if isinstance(module, (torch.nn.Conv1d, torch.nn.Linear)) and module.bias is not None:
            assert torch.equal(module.bias, torch.zeros_like(module.bias))
    bound = math.sqrt(6 / (16 + 512))  # Xavier uniform of fc1 (fan_in 16, fan_out 512)
    assert bound * 0.9 < model.fc1.weight.abs().max() <= bound


def test_registered_and_created_by_name() -> None:
    assert "rtfm" in list_methods()
    model = create_method("rtfm", feature_dim=32, branch_channels=8, compat="rtfm")
    assert isinstance(model, RTFM)
    assert model.compat == "rtfm"


@pytest.fixture(scope="module")
def reference_state() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        name: (torch.tensor(7) if not shape else torch.randn(shape, generator=generator))
        for name, shape in REFERENCE_SHAPES.items()
    }


def test_checkpoint_round_trip(tmp_path: Path, reference_state: dict[str, torch.Tensor]) -> None:
    wrapped = tmp_path / "ucf-i3d-ckpt.pkl"
    torch.save({"state_dict": {f"module.{k}": v for k, v in reference_state.items()}}, wrapped)
    model = load_reference_checkpoint("rtfm", wrapped)
    for name, value in model.state_dict().items():
        assert torch.equal(value, reference_state[name]), name


def test_mismatched_checkpoint_names_the_keys(
    tmp_path: Path, reference_state: dict[str, torch.Tensor]
) -> None:
    state = dict(reference_state)
    del state["Aggregate.conv_4.0.weight"]
    state["fc1.weight"] = torch.zeros(512, 1024)
    path = tmp_path / "broken.pkl"
    torch.save(state, path)
    with pytest.raises(
        ValidationError, match=r"missing: Aggregate\.conv_4\.0\.weight.*shape differs: fc1\.weight"
    ):
        load_reference_checkpoint("rtfm", path)


# --- the aggregation network against numpy ----------------------------------------------------------------


def conv1d(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, dilation: int, padding: int
) -> np.ndarray:
    """``(N, Cin, T)`` -> ``(N, Cout, T')``: cross-correlation with zero padding, one tap at a time."""
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    steps = padded.shape[2] - dilation * (weight.shape[2] - 1)
    out = sum(
        np.einsum("oc,nct->not", weight[:, :, tap], padded[:, :, tap * dilation : tap * dilation + steps])
        for tap in range(weight.shape[2])
    )
    return out if bias is None else out + bias[None, :, None]


def batch_norm_eval(x: np.ndarray, p: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    mean, var = p[f"{prefix}.running_mean"], p[f"{prefix}.running_var"]
    normalised = (x - mean[None, :, None]) / np.sqrt(var[None, :, None] + 1e-5)
    return normalised * p[f"{prefix}.weight"][None, :, None] + p[f"{prefix}.bias"][None, :, None]


def numpy_aggregate(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """RTFM ``Aggregate.forward`` in evaluation mode, from the equations: ``(N, T, D) -> (N, T, D)``."""
    out = x.transpose(0, 2, 1)
    branches = []
    for name, dilation in (("conv_1", 1), ("conv_2", 2), ("conv_3", 4)):
        conv = conv1d(out, p[f"Aggregate.{name}.0.weight"], p[f"Aggregate.{name}.0.bias"], dilation, dilation)
        branches.append(batch_norm_eval(np.maximum(conv, 0), p, f"Aggregate.{name}.2"))
    local = np.maximum(conv1d(out, p["Aggregate.conv_4.0.weight"], None, 1, 0), 0)
    nl = "Aggregate.non_local"
    g = conv1d(local, p[f"{nl}.g.weight"], p[f"{nl}.g.bias"], 1, 0)
    theta = conv1d(local, p[f"{nl}.theta.weight"], p[f"{nl}.theta.bias"], 1, 0)
    phi = conv1d(local, p[f"{nl}.phi.weight"], p[f"{nl}.phi.bias"], 1, 0)
    affinity = np.einsum("nct,ncs->nts", theta, phi) / local.shape[2]
    attended = np.einsum("nts,ncs->nct", affinity, g)
    projected = conv1d(attended, p[f"{nl}.W.0.weight"], p[f"{nl}.W.0.bias"], 1, 0)
    non_local = batch_norm_eval(projected, p, f"{nl}.W.1") + local
    fused = conv1d(np.concatenate([*branches, non_local], axis=1), p["Aggregate.conv_5.0.weight"], None, 1, 1)
    return (batch_norm_eval(np.maximum(fused, 0), p, "Aggregate.conv_5.2") + out).transpose(0, 2, 1)


def randomise(model: RTFM, seed: int) -> dict[str, np.ndarray]:
    """Random weights and BatchNorm statistics (positive variances) in float64; returns them as numpy."""
    generator = torch.Generator().manual_seed(seed)
    model.double()
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            values = torch.randn(tensor.shape, generator=generator, dtype=torch.float64) * 0.5
            tensor.copy_(values.abs() + 0.5 if name.endswith("running_var") else values)
    return {name: tensor.numpy() for name, tensor in model.state_dict().items()}


def test_aggregate_matches_numpy_in_evaluation_mode() -> None:
    model = small_model()
    params = randomise(model, seed=1)
    model.eval()
    x = np.random.default_rng(3).normal(size=(3, 9, 6))
    with torch.no_grad():
        out = model.Aggregate(torch.from_numpy(x))
    np.testing.assert_allclose(out.numpy(), numpy_aggregate(x, params), rtol=1e-10, atol=1e-10)


def test_fresh_non_local_block_is_the_identity() -> None:
    model = small_model().eval()
    x = torch.randn(2, 8, 5)
    with torch.no_grad():
        assert torch.allclose(model.Aggregate.non_local(x), x)


# --- objective against numpy ------------------------------------------------------------------------------


def identity_aggregate(model: RTFM) -> None:
    """Zero every aggregation weight and set BatchNorm to the identity: in evaluation mode the MTN outputs its
    input unchanged (branches give 0, the non-local block 0, ``conv_5`` 0, plus the residual)."""
    with torch.no_grad():
        for name, tensor in model.Aggregate.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            tensor.fill_(1.0 if name.endswith(("running_var", "2.weight")) else 0.0)


def numpy_head(model: RTFM, x: np.ndarray) -> np.ndarray:
    """Per-crop sigmoid scores of ``x (B, C, T, D)`` through fc1/fc2/fc3, float64."""
    p = {name: value.detach().double().numpy() for name, value in model.state_dict().items()}
    hidden = np.maximum(x @ p["fc1.weight"].T + p["fc1.bias"], 0)
    hidden = np.maximum(hidden @ p["fc2.weight"].T + p["fc2.bias"], 0)
    return 1 / (1 + np.exp(-(hidden @ p["fc3.weight"].T + p["fc3.bias"])[..., 0]))


def numpy_rtfm_loss(model: RTFM, x: np.ndarray, labels: np.ndarray, across_videos: bool) -> float:
    """RTFM_loss + smooth + sparsity of train.py (k = 3, m = 100, alpha = 1e-4) with identity aggregation and
    no dropout, written from the equations: top-3 snippets by crop-averaged feature magnitude."""
    scores = numpy_head(model, x).mean(axis=1)
    magnitudes = np.linalg.norm(x, axis=-1).mean(axis=1)
    chosen = np.argsort(-magnitudes, axis=1)[:, :3]
    selected = np.array([scores[v, chosen[v]].mean() for v in range(len(x))])
    bce = -np.mean(labels * np.log(selected) + (1 - labels) * np.log(1 - selected))
    norms = np.array([np.linalg.norm(x[v][:, chosen[v]].mean(axis=1), axis=-1) for v in range(len(x))])
    normal, abnormal = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
    magnitude = np.mean((np.abs(100 - norms[abnormal]) + norms[normal]) ** 2)
    abnormal_scores = scores[abnormal]
    if across_videos:
        smooth = np.sum(np.diff(abnormal_scores.reshape(-1)) ** 2)
    else:
        smooth = np.sum(np.diff(abnormal_scores, axis=1) ** 2)
    sparsity = np.sqrt(np.sum(abnormal_scores**2))
    return float(bce + 1e-4 * magnitude + 8e-4 * smooth + 8e-3 * sparsity)


@pytest.mark.parametrize("compat", [None, "rtfm"])
def test_loss_matches_numpy_with_identity_aggregation(compat: str | None) -> None:
    model = small_model(compat=compat).double()
    identity_aggregate(model)
    model.eval()
    x = np.random.default_rng(4).normal(size=(6, 2, 32, 6))
    labels = np.array([0, 0, 0, 1, 1, 1])
    total, parts = model.loss(WeakBatch(torch.from_numpy(x), torch.from_numpy(labels)))
    expected = numpy_rtfm_loss(model, x, labels, across_videos=compat == "rtfm")
    assert total.item() == pytest.approx(expected, rel=1e-9)
    assert sum(parts.values()) == pytest.approx(total.item(), rel=1e-9)
    order = np.array([3, 0, 4, 1, 5, 2])  # same bags interleaved: normal/abnormal pairs keep their order
    shuffled, _ = model.loss(WeakBatch(torch.from_numpy(x[order]), torch.from_numpy(labels[order])))
    assert shuffled.item() == pytest.approx(expected, rel=1e-9)


def test_objective_by_hand_with_selection_masks() -> None:
    keep = 1 / 0.3
    normal = RTFMOutput(
        scores=torch.tensor([[0.9, 0.2, 0.4, 0.8, 0.1]], dtype=torch.float64),
        magnitudes=torch.tensor([[5.0, 4.0, 3.0, 2.0, 1.0]], dtype=torch.float64),
        features=torch.tensor([[[[9, 9], [1, 2], [3, 0], [9, 9], [9, 9]]]], dtype=torch.float64),
    )
    abnormal = RTFMOutput(
        scores=torch.tensor([[0.1, 0.3, 0.6, 0.8, 0.5]], dtype=torch.float64),
        magnitudes=torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]], dtype=torch.float64),
        features=torch.tensor([[[[9, 9], [9, 9], [6, 0], [0, 8], [9, 9]]]], dtype=torch.float64),
    )
    parts = rtfm_objective(
        normal,
        abnormal,
        keep_normal=torch.tensor([[0, keep, keep, 0, keep]], dtype=torch.float64),
        keep_abnormal=torch.tensor([[keep, keep, keep, keep, 0]], dtype=torch.float64),
        k=2,
    )
    # kept normal magnitudes (0, 4, 3, 0, 1)*keep -> snippets 1, 2: score (0.2 + 0.4) / 2 = 0.3, mean
    # feature (2, 1), norm sqrt(5); kept abnormal (1, 2, 3, 4, 0)*keep -> snippets 3, 2: score 0.7, mean
    # feature (3, 4), norm 5.
    assert parts["classification"].item() == pytest.approx(-(math.log(1 - 0.3) + math.log(0.7)) / 2)
    assert parts["magnitude"].item() == pytest.approx(1e-4 * (abs(100 - 5) + math.sqrt(5)) ** 2)
    assert parts["smoothness"].item() == pytest.approx(8e-4 * (0.04 + 0.09 + 0.04 + 0.09))
    assert parts["sparsity"].item() == pytest.approx(8e-3 * math.sqrt(0.01 + 0.09 + 0.36 + 0.64 + 0.25))


def test_compat_adds_the_jumps_between_abnormal_videos() -> None:
    model = small_model().double()
    identity_aggregate(model)
    model.eval()
    x = torch.from_numpy(np.random.default_rng(5).normal(size=(4, 1, 32, 6)))
    labels = torch.tensor([0, 0, 1, 1])
    _, default = model.loss(WeakBatch(x, labels))
    model.compat = "rtfm"
    _, compat = model.loss(WeakBatch(x, labels))
    scores = numpy_head(model, x.numpy())[:, 0]
    jump = 8e-4 * (scores[3, 0] - scores[2, -1]) ** 2
    assert compat["smoothness"] - default["smoothness"] == pytest.approx(jump, rel=1e-9)


# --- evaluation -------------------------------------------------------------------------------------------


def test_snippet_scores_average_crops_and_lie_in_unit_interval() -> None:
    model = small_model()
    randomise(model, seed=6)
    model.eval()
    x = torch.randn(2, 3, 7, 6, dtype=torch.float64)
    with torch.no_grad():
        scores = model.snippet_scores(x)
        per_crop = torch.stack([model.snippet_scores(x[:, c]) for c in range(3)], dim=1)
    assert scores.shape == (2, 7)
    assert bool(((scores >= 0) & (scores <= 1)).all())
    torch.testing.assert_close(scores, per_crop.mean(dim=1))
    aggregated = model.Aggregate(x.reshape(6, 7, 6)).detach().numpy().reshape(2, 3, 7, 6)
    np.testing.assert_allclose(scores.numpy(), numpy_head(model, aggregated).mean(axis=1), rtol=1e-10)


def test_padded_videos_score_as_alone_and_short_videos_work() -> None:
    model = small_model()
    randomise(model, seed=7)
    model.eval()
    x = torch.randn(3, 2, 9, 6, dtype=torch.float64)
    lengths = torch.tensor([9, 2, 1])
    with torch.no_grad():
        scores = model.snippet_scores(x, lengths)
        alone = [model.snippet_scores(x[i : i + 1, :, : int(n)])[0] for i, n in enumerate(lengths)]
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(scores[i, :n], alone[i])
        assert bool((scores[i, n:] == 0).all())
    assert not torch.allclose(scores[1, :2], model.snippet_scores(x[1:2])[0, :2])


# --- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("features", "labels", "lengths", "message"),
    [
        (torch.zeros(3, 1, 32, 6), torch.tensor([0, 1, 1]), None, "1 normal and 2 abnormal"),
        (torch.zeros(2, 1, 32, 6), torch.tensor([0, 0]), None, "2 normal and 0 abnormal"),
        (torch.zeros(2, 1, 2, 6), torch.tensor([0, 1]), None, "T=2 segments cannot give the top k=3"),
        (torch.zeros(2, 1, 32, 5), torch.tensor([0, 1]), None, "D=5"),
        (torch.zeros(2, 1, 1, 32, 6), torch.tensor([0, 1]), None, r"\(B, T, D\) or \(B, C, T, D\)"),
        (torch.zeros(2, 32, 6), torch.tensor([0.0, 0.5]), None, "labels must be 0"),
        (torch.zeros(2, 32, 6), torch.tensor([0, 1]), torch.tensor([32, 31]), "full 32-segment"),
    ],
)
def test_loss_errors(
    features: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        small_model().loss(WeakBatch(features, labels, lengths))


@pytest.mark.parametrize(
    ("config", "message"),
    [({"k": 0}, "k must be"), ({"dropout": -0.1}, "dropout"), ({"compat": "mgfn"}, "unknown compat")],
)
def test_bad_configuration(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        small_model(**config)


# --- training ---------------------------------------------------------------------------------------------


def test_training_mode_is_seeded_and_gradients_flow() -> None:
    model = small_model().train()
    x = torch.randn(4, 2, 32, 6)
    labels = torch.tensor([1, 0, 1, 0])
    torch.manual_seed(1)
    first, _ = model.loss(WeakBatch(x, labels))
    torch.manual_seed(1)
    again, _ = model.loss(WeakBatch(x, labels))
    assert first.item() == again.item()
    again.backward()
    # The non-local block's output BatchNorm starts at weight 0 (reference init), which blocks the gradient of
    # the layers before it until that weight moves.
    behind_zero_norm = {
        name
        for name, _ in model.named_parameters()
        if name.startswith("Aggregate.non_local.") and not name.startswith("Aggregate.non_local.W.1.")
    }
    assert len(behind_zero_norm) == 8  # g, theta, phi, W.0: weight and bias each
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        assert (parameter.grad.abs().sum() > 0) != (name in behind_zero_norm), name
    with torch.no_grad():
        model.Aggregate.non_local.W[1].weight.fill_(1.0)
    model.zero_grad()
    torch.manual_seed(1)
    model.loss(WeakBatch(x, labels))[0].backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_reference_optimizer() -> None:
    optimizer = small_model().reference_optimizer()
    assert isinstance(optimizer, torch.optim.Adam)
    assert optimizer.param_groups[0]["lr"] == 1e-3
    assert optimizer.param_groups[0]["weight_decay"] == 5e-3


def toy_bags(seed: int, bags: int = 4, dim: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """``(2 * bags, 2, 32, dim)``: normal bags of noise, then abnormal bags where 3 consecutive snippets (in
    both crops) are shifted along a fixed direction."""
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(2 * bags, 2, 32, dim, generator=generator)
    anomalous = torch.zeros(2 * bags, 32, dtype=torch.bool)
    for bag in range(bags, 2 * bags):
        start = int(torch.randint(0, 29, (1,), generator=generator))
        anomalous[bag, start : start + 3] = True
    direction = torch.tensor([1.0, -1.0]).repeat(dim // 2) / dim**0.5
    features += 5.0 * anomalous[:, None, :, None] * direction
    return features, anomalous


def test_training_separates_anomalous_snippets() -> None:
    torch.manual_seed(0)
    model = RTFM(feature_dim=16, branch_channels=16)
    features, _ = toy_bags(seed=21)
    labels = torch.cat([torch.zeros(4), torch.ones(4)])
    optimizer = model.reference_optimizer()
    model.train()
    for _ in range(150):
        optimizer.zero_grad()
        model.loss(WeakBatch(features, labels))[0].backward()
        optimizer.step()
    test_features, test_anomalous = toy_bags(seed=22)
    model.eval()
    with torch.no_grad():
        scores = model.snippet_scores(test_features)
    assert roc_auc_score(test_anomalous.flatten().numpy(), scores.flatten().numpy()) > 0.95
    assert scores[test_anomalous].mean() > scores[~test_anomalous].mean() + 0.5
