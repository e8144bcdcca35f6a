"""Sultani MIL head: reference parameter layout, checkpoint loading, forward, both objectives against hand
values and numpy re-computations of the Keras and PyTorch-port code, optimiser equivalence, a training run."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.io import savemat
from sklearn.metrics import roc_auc_score

from vadkit.errors import ValidationError
from vadkit.methods.base import WeakBatch, create_method, list_methods, load_reference_checkpoint
from vadkit.methods.mil import SultaniMIL, paired_objective, sultani_objective
from vadkit.methods.mil_keras import read_sultani_keras_weights

LAMBDA = 8e-5


def reference_shapes(dim: int) -> dict[str, tuple[int, ...]]:
    """Names and shapes of ekosman ``AnomalyDetector(input_dim)`` and DeepMIL ``Model(n_features)``."""
    return {
        "fc1.weight": (512, dim),
        "fc1.bias": (512,),
        "fc2.weight": (32, 512),
        "fc2.bias": (32,),
        "fc3.weight": (1, 32),
        "fc3.bias": (1,),
    }


def numpy_forward(model: SultaniMIL, features: np.ndarray, relu_hidden: bool = False) -> np.ndarray:
    """Keras model.json forward in float64: relu(x W1 + b1) W2 + b2 -> sigmoid(. W3 + b3), dropout off."""
    weights = {name: value.detach().double().numpy() for name, value in model.state_dict().items()}
    hidden = np.maximum(features @ weights["fc1.weight"].T + weights["fc1.bias"], 0.0)
    hidden = hidden @ weights["fc2.weight"].T + weights["fc2.bias"]
    if relu_hidden:
        hidden = np.maximum(hidden, 0.0)
    logits = hidden @ weights["fc3.weight"].T + weights["fc3.bias"]
    return 1.0 / (1.0 + np.exp(-logits[..., 0]))


def keras_custom_objective(row_labels: np.ndarray, row_scores: np.ndarray, nvid: int) -> float:
    """Sultani's Theano ``custom_objective`` restated in numpy, step for step (32 segments per bag).

    ``row_labels`` is the Keras bookkeeping: 0 on the rows of abnormal bags, 1 on those of normal bags, the
    abnormal bags first; the regularisers take the first ``nvid / 2`` bags.
    """
    n_seg, n_exp = 32, nvid // 2
    sub_max, sub_sum_labels, sub_sum_l1, sub_l2 = [], [], [], []
    for ii in range(nvid):
        sub_sum_labels.append(row_labels[ii * n_seg : ii * n_seg + n_seg].sum())
        feat_score = row_scores[ii * n_seg : ii * n_seg + n_seg]
        sub_max.append(feat_score.max())
        sub_sum_l1.append(feat_score.sum())
        z1 = np.ones_like(feat_score)
        z2 = np.concatenate([z1, feat_score])
        z3 = np.concatenate([feat_score, z1])
        z = (z2[31:] - z3[:33])[1:32]
        sub_l2.append(np.sum(z**2))
    sub_max, labels = np.array(sub_max), np.array(sub_sum_labels)
    sub_nor = sub_max[np.flatnonzero(labels == 32)]
    sub_abn = sub_max[np.flatnonzero(labels == 0)]
    hinge = [np.sum(np.maximum(1 - sub_abn + sub_nor[ii], 0)) for ii in range(n_exp)]
    return float(np.mean(hinge) + 0.00008 * np.sum(sub_sum_l1[:n_exp]) + 0.00008 * np.sum(sub_l2[:n_exp]))


def ekosman_objective(scores: np.ndarray, labels: np.ndarray) -> float:
    """ekosman ``custom_objective`` in numpy: pairs in class order, mean of hinge + smoothness + sparsity."""
    normal, anomal = scores[labels == 0], scores[labels == 1]
    hinge = np.maximum(1 - anomal.max(-1) + normal.max(-1), 0)
    smooth = ((anomal[:, 1:] - anomal[:, :-1]) ** 2).sum(-1)
    return float((hinge + LAMBDA * smooth + LAMBDA * anomal.sum(-1)).mean())


def batch_of_bags(seed: int, abnormal: int, normal: int, dim: int = 24, steps: int = 32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(abnormal + normal, steps, dim, generator=generator)


# --- parameters and checkpoints ---------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [4096, 2048, 1024])
def test_state_dict_matches_the_pytorch_ports(dim: int) -> None:
    model = SultaniMIL(dim)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == reference_shapes(dim)


def test_registered_and_created_by_name() -> None:
    assert "mil" in list_methods()
    model = create_method("mil", feature_dim=1024, variant="paired")
    assert isinstance(model, SultaniMIL)
    assert model.variant == "paired"
    assert model.train_sequence.mode == "segments"
    assert model.train_sequence.length == 32


def random_reference_state(dim: int, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {name: torch.randn(shape, generator=generator) for name, shape in reference_shapes(dim).items()}


def test_checkpoint_round_trip_plain_and_data_parallel(tmp_path: Path) -> None:
    state = random_reference_state(64)
    plain = tmp_path / "deepmil.pkl"
    torch.save(state, plain)
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, wrapped)
    for path in (plain, wrapped):
        model = load_reference_checkpoint("mil", path, feature_dim=64)
        for name, value in model.state_dict().items():
            assert torch.equal(value, state[name])


def test_mismatched_checkpoint_names_the_keys(tmp_path: Path) -> None:
    wrong_dim = tmp_path / "c3d.pt"
    torch.save(random_reference_state(32), wrong_dim)
    with pytest.raises(ValidationError, match=r"shape differs: fc1\.weight"):
        load_reference_checkpoint("mil", wrong_dim, feature_dim=64)
    partial = random_reference_state(64)
    del partial["fc3.bias"]
    partial["classifier.weight"] = torch.zeros(1)
    missing = tmp_path / "partial.pt"
    torch.save(partial, missing)
    with pytest.raises(ValidationError, match=r"missing: fc3\.bias.*unexpected: classifier\.weight"):
        load_reference_checkpoint("mil", missing, feature_dim=64)


def save_keras_weights(path: Path, layers: list[list[np.ndarray]]) -> None:
    """Write ``layers`` as Keras' ``save_model`` does: one object array per layer, named by its index."""
    entries = {}
    for index, weights in enumerate(layers):
        cell = np.zeros(len(weights), dtype=object)
        for slot, array in enumerate(weights):
            cell[slot] = array
        entries[str(index)] = cell
    savemat(str(path), entries)


def keras_layers(dim: int, seed: int = 1) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)

    def dense(inputs: int, outputs: int) -> list[np.ndarray]:
        kernel = rng.normal(scale=0.1, size=(inputs, outputs))
        return [kernel.astype(np.float32), rng.normal(scale=0.1, size=outputs).astype(np.float32)]

    return [dense(dim, 512), [], dense(512, 32), [], dense(32, 1)]


def test_keras_release_weights_load_and_score_as_keras(tmp_path: Path) -> None:
    layers = keras_layers(12)
    path = tmp_path / "weights_L1L2.mat"
    save_keras_weights(path, layers)
    model = SultaniMIL(12)
    model.load_state_dict(read_sultani_keras_weights(path), strict=True)
    model.eval()
    features = np.random.default_rng(2).normal(size=(3, 32, 12)).astype(np.float32)
    (w1, b1), (w2, b2), (w3, b3) = ([array.astype(np.float64) for array in layers[i]] for i in (0, 2, 4))
    keras = np.maximum(features.astype(np.float64) @ w1 + b1, 0) @ w2 + b2
    expected = 1 / (1 + np.exp(-(keras @ w3 + b3)[..., 0]))
    with torch.no_grad():
        scores = model.snippet_scores(torch.from_numpy(features))
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_keras_weights_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not found"):
        read_sultani_keras_weights(tmp_path / "missing.mat")
    garbage = tmp_path / "garbage.mat"
    garbage.write_bytes(b"not a MATLAB file at all " * 20)
    with pytest.raises(ValidationError, match=r"garbage\.mat: not a MATLAB v5"):
        read_sultani_keras_weights(garbage)
    two_layers = tmp_path / "two.mat"
    save_keras_weights(two_layers, keras_layers(8)[:3])
    with pytest.raises(ValidationError, match="expected 3 Dense layers"):
        read_sultani_keras_weights(two_layers)
    broken = keras_layers(8)
    broken[2][0] = broken[2][0][:100]
    unchained = tmp_path / "unchained.mat"
    save_keras_weights(unchained, broken)
    with pytest.raises(ValidationError, match="fc2 takes 100 inputs"):
        read_sultani_keras_weights(unchained)


# --- forward ----------------------------------------------------------------------------------------------


def test_snippet_scores_shape_range_and_numpy_forward() -> None:
    torch.manual_seed(0)
    model = SultaniMIL(24).eval()
    features = batch_of_bags(3, 2, 1, steps=7)
    with torch.no_grad():
        scores = model.snippet_scores(features)
    assert scores.shape == (3, 7)
    assert bool(((scores >= 0) & (scores <= 1)).all())
    np.testing.assert_allclose(scores.numpy(), numpy_forward(model, features.double().numpy()), rtol=1e-5)


def test_deepmil_hidden_relu() -> None:
    torch.manual_seed(0)
    model = SultaniMIL(24, hidden_activation="relu").eval()
    features = batch_of_bags(4, 1, 1, steps=5)
    with torch.no_grad():
        scores = model.snippet_scores(features)
    expected = numpy_forward(model, features.double().numpy(), relu_hidden=True)
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-5)
    assert not np.allclose(expected, numpy_forward(model, features.double().numpy()))


def test_crops_are_averaged_after_the_sigmoid_and_padding_scores_zero() -> None:
    torch.manual_seed(0)
    model = SultaniMIL(24).eval()
    crops = torch.randn(2, 3, 6, 24)
    with torch.no_grad():
        scores = model.snippet_scores(crops, lengths=torch.tensor([6, 4]))
    expected = numpy_forward(model, crops.double().numpy()).mean(axis=1)
    expected[1, 4:] = 0.0
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_forward_errors() -> None:
    model = SultaniMIL(24)
    with pytest.raises(ValidationError, match="D=23"):
        model.snippet_scores(torch.zeros(1, 4, 23))
    with pytest.raises(ValidationError, match=r"shape \(B, T, D\) or \(B, C, T, D\)"):
        model.snippet_scores(torch.zeros(4, 24))
    with pytest.raises(ValidationError, match=r"lengths must lie in \[1, 4\]"):
        model.snippet_scores(torch.zeros(2, 4, 24), lengths=torch.tensor([4, 5]))
    with pytest.raises(ValidationError, match=r"lengths must have shape \(2,\)"):
        model.snippet_scores(torch.zeros(2, 4, 24), lengths=torch.tensor([4]))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"feature_dim": 0}, "feature_dim"),
        ({"dropout": 1.0}, "dropout"),
        ({"variant": "ranking"}, "unknown variant"),
        ({"hidden_activation": "tanh"}, "unknown hidden_activation"),
    ],
)
def test_bad_configuration(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SultaniMIL(**config)  # type: ignore[arg-type]


# --- objectives -------------------------------------------------------------------------------------------

ABNORMAL = torch.tensor([[0.2, 0.9, 0.1], [0.6, 0.5, 0.7]], dtype=torch.float64)
NORMAL = torch.tensor([[0.3, 0.4, 0.2], [0.1, 0.8, 0.0]], dtype=torch.float64)


def test_sultani_objective_by_hand() -> None:
    # max a = (0.9, 0.7), max n = (0.4, 0.8). Normal bag 1: (1-0.9+0.4) + (1-0.7+0.4) = 1.2; normal bag 2:
    # (1-0.9+0.8) + (1-0.7+0.8) = 2.0; mean 1.6. Smoothness: 0.49+0.64 + 0.01+0.04 = 1.18. Sum of a: 3.0.
    parts = sultani_objective(ABNORMAL, NORMAL)
    assert parts["ranking"].item() == pytest.approx(1.6, abs=1e-12)
    assert parts["smoothness"].item() == pytest.approx(LAMBDA * 1.18, abs=1e-15)
    assert parts["sparsity"].item() == pytest.approx(LAMBDA * 3.0, abs=1e-15)


def test_paired_objective_by_hand() -> None:
    # pairs (a1, n1): 1-0.9+0.4 = 0.5; (a2, n2): 1-0.7+0.8 = 1.1; mean 0.8; smoothness and sparsity per pair.
    parts = paired_objective(ABNORMAL, NORMAL)
    assert parts["ranking"].item() == pytest.approx(0.8, abs=1e-12)
    assert parts["smoothness"].item() == pytest.approx(LAMBDA * 1.18 / 2, abs=1e-15)
    assert parts["sparsity"].item() == pytest.approx(LAMBDA * 3.0 / 2, abs=1e-15)
    with pytest.raises(ValidationError, match="1 normal and 2 abnormal"):
        paired_objective(ABNORMAL, NORMAL[:1])


def test_hinge_is_zero_when_abnormal_max_exceeds_normal_max_by_the_margin() -> None:
    abnormal = torch.tensor([[0.0, 1.0]])
    normal = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    assert sultani_objective(abnormal, normal)["ranking"].item() == 0.0


def test_sultani_loss_equals_the_keras_objective_on_its_layout() -> None:
    torch.manual_seed(0)
    model = SultaniMIL(24).eval()
    features = batch_of_bags(5, abnormal=3, normal=3)
    labels = torch.tensor([1, 1, 1, 0, 0, 0])
    scores = numpy_forward(model, features.double().numpy())
    row_labels = np.repeat(1 - labels.numpy(), 32)
    expected = keras_custom_objective(row_labels, scores.reshape(-1), nvid=6)
    total, parts = model.loss(WeakBatch(features, labels))
    assert total.item() == pytest.approx(expected, rel=1e-5)
    assert sum(parts.values()) == pytest.approx(total.item(), rel=1e-6)
    shuffled = torch.tensor([4, 0, 5, 1, 3, 2])
    total_shuffled, _ = model.loss(WeakBatch(features[shuffled], labels[shuffled]))
    assert total_shuffled.item() == pytest.approx(expected, rel=1e-5)


def test_sultani_loss_with_unequal_classes_follows_the_equation() -> None:
    torch.manual_seed(0)
    model = SultaniMIL(24).eval()
    features = batch_of_bags(6, abnormal=2, normal=3)
    labels = torch.tensor([0, 1, 0, 0, 1])
    scores = numpy_forward(model, features.double().numpy())
    abnormal, normal = scores[labels.numpy() == 1], scores[labels.numpy() == 0]
    hinge = np.mean([np.sum(np.maximum(0, 1 - abnormal.max(1) + n.max())) for n in normal])
    smooth = np.sum(np.diff(abnormal, axis=1) ** 2)
    expected = hinge + LAMBDA * smooth + LAMBDA * abnormal.sum()
    total, _ = model.loss(WeakBatch(features, labels))
    assert total.item() == pytest.approx(expected, rel=1e-5)


def test_paired_loss_equals_the_ekosman_objective() -> None:
    torch.manual_seed(0)
    model = SultaniMIL(24, variant="paired").eval()
    features = batch_of_bags(7, abnormal=3, normal=3)
    labels = torch.tensor([0, 1, 1, 0, 0, 1])
    scores = numpy_forward(model, features.double().numpy())
    total, parts = model.loss(WeakBatch(features, labels))
    assert total.item() == pytest.approx(ekosman_objective(scores, labels.numpy()), rel=1e-5)
    assert set(parts) == {"ranking", "smoothness", "sparsity"}


@pytest.mark.parametrize(
    ("features", "labels", "lengths", "message"),
    [
        (torch.zeros(2, 2, 32, 24), torch.tensor([0, 1]), None, "give each crop as its own bag"),
        (torch.zeros(2, 32, 24), torch.tensor([1, 1]), None, "0 normal and 2 abnormal"),
        (torch.zeros(2, 32, 24), torch.tensor([0, 2]), None, "labels must be 0"),
        (torch.zeros(2, 32, 24), torch.tensor([0, 1, 1]), None, r"labels must have shape \(2,\)"),
        (torch.zeros(2, 32, 24), torch.tensor([0, 1]), torch.tensor([32, 20]), "full 32-segment"),
        (torch.zeros(2, 32, 20), torch.tensor([0, 1]), None, "D=20"),
    ],
)
def test_loss_errors(
    features: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SultaniMIL(24).loss(WeakBatch(features, labels, lengths))


def test_paired_loss_needs_pairs() -> None:
    with pytest.raises(ValidationError, match="1 normal and 2 abnormal"):
        SultaniMIL(24, variant="paired").loss(WeakBatch(torch.zeros(3, 32, 24), torch.tensor([1, 0, 1])))


def test_gradients_reach_every_layer() -> None:
    torch.manual_seed(0)
    model = SultaniMIL(24).train()
    total, _ = model.loss(WeakBatch(batch_of_bags(8, 2, 2), torch.tensor([1, 1, 0, 0])))
    total.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


# --- the reference's parameter penalty and optimiser ------------------------------------------------------


def test_reference_penalties() -> None:
    torch.manual_seed(0)
    sultani = SultaniMIL(24)
    weights = {k: v.double().numpy() for k, v in sultani.state_dict().items()}
    keras_l2 = 0.001 * sum(np.sum(weights[f"fc{i}.weight"] ** 2) for i in (1, 2, 3))
    assert sultani.reference_penalty().item() == pytest.approx(keras_l2, rel=1e-6)
    paired = SultaniMIL(24, variant="paired")
    paired.load_state_dict(sultani.state_dict())
    with torch.no_grad():
        for layer in (paired.fc1, paired.fc2, paired.fc3):
            layer.bias.fill_(0.5)
    weights = {k: v.double().numpy() for k, v in paired.state_dict().items()}
    norms = [
        np.sqrt(np.sum(weights[f"fc{i}.weight"] ** 2) + np.sum(weights[f"fc{i}.bias"] ** 2))
        for i in (1, 2, 3)
    ]
    assert paired.reference_penalty().item() == pytest.approx(0.001 * sum(norms), rel=1e-6)


def test_loss_penalty_is_what_the_optimizer_does_not_apply() -> None:
    sultani, paired = SultaniMIL(24), SultaniMIL(24, variant="paired")
    assert sultani.loss_penalty() is None  # its squared kernel norms are the optimiser's weight decay
    assert torch.equal(paired.loss_penalty(), paired.reference_penalty())


def test_reference_optimizer_trains_like_keras_with_the_l2_penalty_in_the_loss() -> None:
    torch.manual_seed(0)
    ours = SultaniMIL(24).eval()
    keras = copy.deepcopy(ours)
    keras_optimizer = torch.optim.Adagrad(keras.parameters(), lr=0.01, eps=1e-8)
    ours_optimizer = ours.reference_optimizer()
    batch = WeakBatch(batch_of_bags(9, 2, 2), torch.tensor([1, 1, 0, 0]))
    for _ in range(3):
        penalty = 0.001 * sum(layer.weight.pow(2).sum() for layer in (keras.fc1, keras.fc2, keras.fc3))
        keras_optimizer.zero_grad()
        (keras.loss(batch)[0] + penalty).backward()
        keras_optimizer.step()
        ours_optimizer.zero_grad()
        ours.loss(batch)[0].backward()
        ours_optimizer.step()
    for (name, mine), theirs in zip(ours.state_dict().items(), keras.state_dict().values(), strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-7, msg=name)
    assert isinstance(SultaniMIL(24, variant="paired").reference_optimizer(), torch.optim.Adadelta)


# --- training smoke test ----------------------------------------------------------------------------------


def toy_bags(seed: int, bags: int = 16, steps: int = 32, dim: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Normal bags of noise; abnormal bags with 3 consecutive snippets shifted along a fixed direction."""
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(2 * bags, steps, dim, generator=generator)
    anomalous = torch.zeros(2 * bags, steps, dtype=torch.bool)
    for bag in range(bags, 2 * bags):
        start = int(torch.randint(0, steps - 3, (1,), generator=generator))
        anomalous[bag, start : start + 3] = True
    features[anomalous] += 5.0 * torch.ones(dim) / dim**0.5 * torch.tensor([1.0, -1.0]).repeat(dim // 2)
    return features, anomalous


@pytest.mark.parametrize("variant", ["sultani", "paired"])
def test_training_separates_anomalous_snippets(variant: str) -> None:
    torch.manual_seed(0)
    features, _ = toy_bags(seed=11)
    labels = torch.cat([torch.zeros(16), torch.ones(16)])
    model = SultaniMIL(16, variant=variant)  # type: ignore[arg-type]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(200):
        optimizer.zero_grad()
        model.loss(WeakBatch(features, labels))[0].backward()
        optimizer.step()
    test_features, test_anomalous = toy_bags(seed=12)
    model.eval()
    with torch.no_grad():
        scores = model.snippet_scores(test_features)
    assert roc_auc_score(test_anomalous.flatten().numpy(), scores.flatten().numpy()) > 0.95
    assert scores[test_anomalous].mean() > scores[~test_anomalous].mean() + 0.5
