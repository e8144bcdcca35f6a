"""Sultani et al., "Real-World Anomaly Detection in Surveillance Videos" (CVPR 2018): the MIL ranking head.

Network (``WaqasSultani/AnomalyDetectionCVPR2018 TrainingAnomalyDetector_public.py`` and ``model.json``):
``fc1`` D->512, ReLU, dropout 0.6, ``fc2`` 512->32 (linear), dropout 0.6, ``fc3`` 32->1, sigmoid, applied to
every segment row. Parameter names and shapes are those of the PyTorch ports
(``ekosman/AnomalyDetectionCVPR2018-Pytorch network/anomaly_detector_model.py``, ``Roc-Ng/DeepMIL model.py``):
``fc1.weight (512, D)``, ``fc1.bias``, ``fc2.weight (32, 512)``, ``fc2.bias``, ``fc3.weight (1, 32)``,
``fc3.bias``. The Keras release weights (``weights_L1L2.mat``) convert with
:func:`vadkit.methods.mil_keras.read_sultani_keras_weights`.

Objectives (``docs/methods/mil.md`` has the derivations and citations), over the abnormal bags ``a_i`` and
normal bags ``n_j`` of a batch, each ``(T,)`` segment scores, ``lambda = 8e-5``:

* ``variant="sultani"`` (the Keras ``custom_objective``)::

      mean_j sum_i max(0, 1 - max(a_i) + max(n_j)) + lambda * sum_i sum_t a_it
          + lambda * sum_i sum_t (a_i,t+1 - a_it)**2

* ``variant="paired"`` (the PyTorch ports): the i-th normal and the i-th abnormal bag form a pair::

      mean_i [max(0, 1 - max(a_i) + max(n_i)) + lambda * sum_t (a_i,t+1 - a_it)**2 + lambda * sum_t a_it]

The reference's parameter penalty is not part of :meth:`SultaniMIL.loss`: see
:meth:`SultaniMIL.reference_penalty` and :meth:`SultaniMIL.reference_optimizer`.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import ClassVar, Literal

import torch
from torch import nn

from vadkit.errors import ValidationError
from vadkit.methods.bags import (
    as_crops,
    bag_smoothness,
    require_full_bags,
    require_pairs,
    split_bags,
    valid_lengths,
    zero_padding,
)
from vadkit.methods.base import (
    BALANCED_RECIPE,
    TrainRecipe,
    TrainSequence,
    WeakBatch,
    WeakHead,
    register_method,
)

MILVariant = Literal["sultani", "paired"]
HiddenActivation = Literal["linear", "relu"]

SULTANI_LAMBDA = 8e-5
"""Weight of the smoothness and of the sparsity term in both objectives (Keras ``0.00008``)."""
KERAS_L2 = 1e-3
"""``W_regularizer=l2(0.001)`` of every Dense layer in the Keras script; also ekosman's ``lambdas``."""


def sultani_objective(
    abnormal: torch.Tensor,
    normal: torch.Tensor,
    smoothness: float = SULTANI_LAMBDA,
    sparsity: float = SULTANI_LAMBDA,
) -> dict[str, torch.Tensor]:
    """The Keras ``custom_objective`` of Sultani's release, for any numbers of abnormal and normal bags.

    Every abnormal bag is ranked against every normal bag: the hinge is summed over the abnormal bags and
    averaged over the normal bags; the regularisers are summed (not averaged) over the abnormal bags.

    Args:
        abnormal: ``(Na, T)`` segment scores of the abnormal bags.
        normal: ``(Nn, T)`` segment scores of the normal bags.
        smoothness: weight of ``sum_i sum_t (a[i, t+1] - a[i, t])**2``.
        sparsity: weight of ``sum_i sum_t a[i, t]``.

    Returns:
        ``{"ranking", "smoothness", "sparsity"}``: scalar tensors, weighted; their sum is the objective.
    """
    hinge = torch.relu(1.0 - abnormal.amax(dim=1)[None, :] + normal.amax(dim=1)[:, None])
    return {
        "ranking": hinge.sum(dim=1).mean(),
        "smoothness": smoothness * bag_smoothness(abnormal).sum(),
        "sparsity": sparsity * abnormal.sum(),
    }


def paired_objective(
    abnormal: torch.Tensor,
    normal: torch.Tensor,
    smoothness: float = SULTANI_LAMBDA,
    sparsity: float = SULTANI_LAMBDA,
) -> dict[str, torch.Tensor]:
    """The paired MIL ranking loss of the PyTorch ports (ekosman ``custom_objective``, DeepMIL ``ranking``).

    Bag ``i`` of ``abnormal`` is paired with bag ``i`` of ``normal``; each pair contributes its hinge plus the
    abnormal bag's weighted smoothness and sparsity, and the pairs are averaged.

    Args:
        abnormal: ``(N, T)`` segment scores of the abnormal bags.
        normal: ``(N, T)`` segment scores of the normal bags, in pair order.

    Returns:
        ``{"ranking", "smoothness", "sparsity"}``: per-pair means, weighted; their sum is the objective.

    Raises:
        ValidationError: different numbers of abnormal and normal bags.
    """
    require_pairs(normal, abnormal, "paired MIL objective", "the i-th bags of both classes form a pair")
    hinge = torch.relu(1.0 - abnormal.amax(dim=1) + normal.amax(dim=1))
    return {
        "ranking": hinge.mean(),
        "smoothness": smoothness * bag_smoothness(abnormal).mean(),
        "sparsity": sparsity * abnormal.sum(dim=1).mean(),
    }


@register_method("mil")
class SultaniMIL(WeakHead):
    """Sultani's MIL ranking head: an MLP scoring every segment, trained with the MIL ranking objective.

    Args:
        feature_dim: D of the input rows (4096 for C3D fc6, 2048 for I3D ResNet-50, 1024 for I3D RGB).
        dropout: drop probability after ``fc1`` and after ``fc2`` (0.6 in the paper and the code).
        variant: ``"sultani"`` (the Keras objective) or ``"paired"`` (the PyTorch ports); see the module doc.
        smoothness: weight of the temporal smoothness term (8e-5).
        sparsity: weight of the sparsity term (8e-5).
        hidden_activation: after ``fc2``: ``"linear"`` as in the Keras model, the paper and ekosman's port;
            ``"relu"`` as in Roc-Ng/DeepMIL (use it to evaluate DeepMIL checkpoints faithfully).

    Weights are initialised as Keras ``glorot_normal`` (Xavier normal) with zero biases.
    """

    crops_as_bags: ClassVar[bool] = True  # the reference trains every crop as its own bag
    train_sequence: ClassVar[TrainSequence] = TrainSequence("segments", 32)
    train_recipe: ClassVar[TrainRecipe] = BALANCED_RECIPE
    """Keras ``load_dataset_Train_batch``: 30 abnormal + 30 normal videos per iteration, ``Adagrad`` at a
    constant rate (ekosman: 30 + 30 with ``np.random.choice``, ``MultiFactorScheduler`` with factor 1)."""

    def __init__(
        self,
        feature_dim: int = 4096,
        *,
        dropout: float = 0.6,
        variant: MILVariant = "sultani",
        smoothness: float = SULTANI_LAMBDA,
        sparsity: float = SULTANI_LAMBDA,
        hidden_activation: HiddenActivation = "linear",
    ) -> None:
        super().__init__()
        if int(feature_dim) != feature_dim or feature_dim < 1:
            raise ValidationError(f"mil: feature_dim must be a positive integer, got {feature_dim!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValidationError(f"mil: dropout must lie in [0, 1), got {dropout!r}")
        if variant not in ("sultani", "paired"):
            raise ValidationError(f"mil: unknown variant {variant!r} (known: 'sultani', 'paired')")
        if hidden_activation not in ("linear", "relu"):
            raise ValidationError(
                f"mil: unknown hidden_activation {hidden_activation!r} (known: 'linear', 'relu')"
            )
        self.feature_dim = int(feature_dim)
        self.variant: MILVariant = variant
        self.smoothness = float(smoothness)
        self.sparsity = float(sparsity)
        self.hidden_activation: HiddenActivation = hidden_activation
        self.fc1 = nn.Linear(self.feature_dim, 512)
        self.fc2 = nn.Linear(512, 32)
        self.fc3 = nn.Linear(32, 1)
        self.dropout = nn.Dropout(dropout)
        for layer in (self.fc1, self.fc2, self.fc3):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Scores in ``[0, 1]`` of every row of ``features (..., D)``, shape ``features.shape[:-1]``."""
        hidden = self.dropout(torch.relu(self.fc1(features)))
        hidden = self.fc2(hidden)
        if self.hidden_activation == "relu":
            hidden = torch.relu(hidden)
        return torch.sigmoid(self.fc3(self.dropout(hidden))).squeeze(-1)

    def snippet_scores(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, T)`` scores of every row of ``(B, T, D)`` or ``(B, C, T, D)`` features.

        Each row is scored on its own (the Keras test script scores the 32 segments it is given, the PyTorch
        ports every snippet); crops are averaged after the sigmoid; rows past ``lengths`` score 0. ``audio``
        is unused. Call ``eval()`` first, as the reference evaluations do (dropout off).
        """
        crops = as_crops(features, self.feature_dim, "mil snippet_scores")
        counts = valid_lengths(lengths, crops.shape[0], crops.shape[2], "mil snippet_scores")
        return zero_padding(self(crops).mean(dim=1), counts)

    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """The MIL ranking objective of :attr:`variant` on a batch of ``(B, T, D)`` bags.

        Returns:
            The scalar objective and its weighted parts ``ranking``, ``smoothness``, ``sparsity``.

        Raises:
            ValidationError: features not ``(B, T, D)`` (crops must be separate bags), bags shorter than
                ``T``, labels other than 0/1, a class without bags, or (``paired``) unequal class counts.
        """
        owner = f"mil loss ({self.variant})"
        if batch.features.ndim != 3:
            raise ValidationError(
                f"{owner}: training bags must have shape (B, T, D), got {tuple(batch.features.shape)} "
                "(give each crop as its own bag)"
            )
        features = as_crops(batch.features, self.feature_dim, owner)[:, 0]
        require_full_bags(batch.lengths, features.shape[0], features.shape[1], owner)
        normal, abnormal = split_bags(batch.labels, features.shape[0], owner)
        scores = self(features)
        objective = sultani_objective if self.variant == "sultani" else paired_objective
        parts = objective(scores[abnormal], scores[normal], self.smoothness, self.sparsity)
        total = reduce(operator.add, parts.values())  # left to right, as the reference adds them
        return total, {name: float(value.detach()) for name, value in parts.items()}

    def reference_penalty(self) -> torch.Tensor:
        """The parameter penalty the reference adds to its loss for :attr:`variant` (not in :meth:`loss`).

        ``"sultani"``: Keras ``l2(0.001)`` on each Dense kernel, ``0.001 * sum_k ||W_k||_F**2`` (biases not
        penalised). ``"paired"``: ekosman's ``RegularizedLoss``, ``0.001 * sum_k ||[W_k, b_k]||_2``, the
        *unsquared* norm of each layer's weights and bias together.
        """
        layers = (self.fc1, self.fc2, self.fc3)
        if self.variant == "sultani":
            terms = [layer.weight.pow(2).sum() for layer in layers]
        else:
            terms = [torch.cat([layer.weight.flatten(), layer.bias]).norm() for layer in layers]
        return KERAS_L2 * torch.stack(terms).sum()

    def loss_penalty(self) -> torch.Tensor | None:
        """``"paired"``: :meth:`reference_penalty` (a norm, which no weight decay can express);
        ``"sultani"``: ``None``, its squared-norm penalty is :meth:`reference_optimizer`'s weight decay."""
        return self.reference_penalty() if self.variant == "paired" else None

    def reference_optimizer(self) -> torch.optim.Optimizer:
        """The reference optimiser for :attr:`variant`.

        ``"sultani"``: Keras ``Adagrad(lr=0.01, epsilon=1e-08)`` with the ``l2(0.001)`` kernel penalty folded
        in as ``weight_decay=0.002`` on the kernels only (its gradient, ``2 * 0.001 * W``); this equals Keras'
        training of ``loss + penalty`` step for step. ``"paired"``: ekosman's ``Adadelta(lr=0.01,
        eps=1e-8)``; its norm penalty cannot be a weight decay: add :meth:`reference_penalty` to the loss.
        """
        if self.variant == "paired":
            return torch.optim.Adadelta(self.parameters(), lr=0.01, eps=1e-8)
        layers = (self.fc1, self.fc2, self.fc3)
        return torch.optim.Adagrad(
            [
                {"params": [layer.weight for layer in layers], "weight_decay": 2 * KERAS_L2},
                {"params": [layer.bias for layer in layers], "weight_decay": 0.0},
            ],
            lr=0.01,
            eps=1e-8,
        )
