"""RTFM: Tian et al., "Weakly-supervised Video Anomaly Detection with Robust Temporal Feature Magnitude
Learning" (ICCV 2021), after ``tianyu0207/RTFM`` (``model.py``, ``train.py``, ``test_10crop.py``).

Network, for ``x (B, C, T, D)`` (C crops; D = 2048 for the released I3D features):
``Aggregate`` (:mod:`vadkit.methods.rtfm_aggregate`) on each crop's sequence, dropout 0.7, then per snippet
``fc1`` D->512, ReLU, dropout, ``fc2`` 512->128, ReLU, dropout, ``fc3`` 128->1, sigmoid; scores are averaged
over crops, ``(B, T)``. The feature magnitude of a snippet is the L2 norm of its aggregated (dropped-out)
feature, averaged over crops, ``(B, T)``.

Training objective on ``n`` normal and ``n`` abnormal bags of ``T = 32`` segments (``docs/methods/rtfm.md``):
``k = 3`` snippets per bag are selected by the largest magnitudes, after multiplying the magnitudes by a
dropout(0.7) mask of ones; then, with ``s`` the crop-averaged scores and ``f`` the aggregated features,

* ``classification`` = BCE of the mean score of the selected snippets against the video label;
* ``magnitude`` = ``alpha * mean_(i,c) (|m - ||mean_k f_abn|| | + ||mean_k f_nor||)**2``, ``m = 100``,
  ``alpha = 1e-4``, over pairs (abnormal bag i, normal bag i) and crops c;
* ``smoothness`` = ``8e-4 * sum (s[t+1] - s[t])**2`` over the abnormal bags;
* ``sparsity`` = ``8e-3 * ||s_abn||_2``, the L2 norm of all abnormal scores of the batch (not the paper's L1).

``compat="rtfm"`` takes the smoothness over the abnormal bags flattened into one sequence, as ``train.py``
does (it adds the jumps from one video's last segment to the next video's first); the default sums it per bag.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import ClassVar, Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from vadkit.errors import ValidationError
from vadkit.methods.bags import (
    as_crops,
    bag_smoothness,
    require_full_bags,
    require_pairs,
    split_bags,
    valid_lengths,
)
from vadkit.methods.base import (
    BALANCED_RECIPE,
    TrainRecipe,
    TrainSequence,
    WeakBatch,
    WeakHead,
    register_method,
)
from vadkit.methods.rtfm_aggregate import Aggregate

RTFMCompat = Literal["rtfm"]


class RTFMOutput(NamedTuple):
    """What the RTFM network computes for ``B`` videos of ``C`` crops and ``T`` snippets."""

    scores: torch.Tensor
    """``(B, T)`` sigmoid scores averaged over crops."""
    magnitudes: torch.Tensor
    """``(B, T)`` L2 norms of the aggregated features, averaged over crops."""
    features: torch.Tensor
    """``(B, C, T, D)`` aggregated features (after dropout in training mode)."""


def top_k_by_magnitude(magnitudes: torch.Tensor, keep: torch.Tensor, k: int) -> torch.Tensor:
    """``(n, k)`` indices of the ``k`` largest of ``magnitudes * keep`` per row (``(n, T)`` each).

    ``keep`` is RTFM's dropout of a tensor of ones: 0 for dropped snippets, ``1 / (1 - p)`` for kept ones (all
    ones in evaluation mode), so dropped snippets are chosen only when fewer than ``k`` are kept.
    """
    return torch.topk(magnitudes * keep, k, dim=1).indices


def rtfm_objective(
    normal: RTFMOutput,
    abnormal: RTFMOutput,
    keep_normal: torch.Tensor,
    keep_abnormal: torch.Tensor,
    *,
    k: int = 3,
    margin: float = 100.0,
    alpha: float = 1e-4,
    smoothness: float = 8e-4,
    sparsity: float = 8e-3,
    smooth_across_videos: bool = False,
) -> dict[str, torch.Tensor]:
    """RTFM's training objective (``RTFM_loss`` plus the ``smooth``/``sparsity`` terms of ``train.py``).

    Args:
        normal: network output of the ``n`` normal bags.
        abnormal: network output of the ``n`` abnormal bags; bag ``i`` is paired with normal bag ``i``.
        keep_normal: ``(n, T)`` selection mask of the normal bags (see :func:`top_k_by_magnitude`).
        keep_abnormal: ``(n, T)`` selection mask of the abnormal bags.
        k: snippets selected per bag.
        margin: the magnitude margin ``m``.
        alpha: weight of the magnitude term.
        smoothness: weight of the smoothness term on the abnormal scores.
        sparsity: weight of the L2 norm of the abnormal scores.
        smooth_across_videos: take the smoothness over the abnormal bags concatenated (reference quirk).

    Returns:
        ``{"classification", "magnitude", "smoothness", "sparsity"}``, weighted scalar tensors whose sum is
        the objective.
    """
    chosen_normal = top_k_by_magnitude(normal.magnitudes, keep_normal, k)
    chosen_abnormal = top_k_by_magnitude(abnormal.magnitudes, keep_abnormal, k)
    selected_scores = torch.cat(
        [normal.scores.gather(1, chosen_normal).mean(1), abnormal.scores.gather(1, chosen_abnormal).mean(1)]
    )
    targets = torch.cat([torch.zeros_like(chosen_normal[:, 0]), torch.ones_like(chosen_abnormal[:, 0])])
    classification = F.binary_cross_entropy(selected_scores, targets.to(selected_scores.dtype))
    normal_norm = _selected_mean(normal.features, chosen_normal).norm(dim=-1)
    abnormal_norm = _selected_mean(abnormal.features, chosen_abnormal).norm(dim=-1)
    magnitude = ((margin - abnormal_norm).abs() + normal_norm).pow(2).mean()
    abnormal_scores = abnormal.scores.reshape(1, -1) if smooth_across_videos else abnormal.scores
    return {
        "classification": classification,
        "magnitude": alpha * magnitude,
        "smoothness": smoothness * bag_smoothness(abnormal_scores).sum(),
        "sparsity": sparsity * abnormal.scores.flatten().norm(),
    }


def _selected_mean(features: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """``(n, C, D)``: per bag and crop, the mean of the features at the ``(n, k)`` chosen snippets."""
    n, crops, _, dim = features.shape
    index = chosen[:, None, :, None].expand(n, crops, chosen.shape[1], dim)
    return features.gather(2, index).mean(dim=2)


@register_method("rtfm")
class RTFM(WeakHead):
    """The RTFM head with the reference's parameter names (``Aggregate.*``, ``fc1``, ``fc2``, ``fc3``).

    Args:
        feature_dim: D of the snippet features (2048 in the reference, which hard-codes it).
        dropout: drop probability of every dropout, the selection masks included (0.7).
        k: snippets selected per bag (``num_segments // 10 = 3`` in the reference).
        margin: feature-magnitude margin ``m`` (100).
        alpha: weight of the magnitude term (1e-4).
        smoothness: weight of the smoothness of the abnormal scores (8e-4).
        sparsity: weight of the L2 norm of the abnormal scores (8e-3).
        branch_channels: width of each aggregation branch (512 in the reference; smaller only for tests or
            small features, and then no reference checkpoint fits).
        compat: ``"rtfm"`` for the reference's smoothness across video boundaries; ``None`` sums it per bag.

    Initialisation as the reference: Xavier-uniform weights and zero biases for every Conv1d and Linear, the
    non-local block's output BatchNorm at weight 0 and bias 0.
    """

    train_sequence: ClassVar[TrainSequence] = TrainSequence("segments", 32)
    train_recipe: ClassVar[TrainRecipe] = BALANCED_RECIPE
    """``main.py``: two ``DataLoader(batch_size=32, shuffle=True, drop_last=True)`` of whole videos (10 crops
    together), one per class; a constant rate (``--lr '[0.001]*15000'`` read per step)."""

    def __init__(
        self,
        feature_dim: int = 2048,
        *,
        dropout: float = 0.7,
        k: int = 3,
        margin: float = 100.0,
        alpha: float = 1e-4,
        smoothness: float = 8e-4,
        sparsity: float = 8e-3,
        branch_channels: int = 512,
        compat: RTFMCompat | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("feature_dim", feature_dim), ("k", k), ("branch_channels", branch_channels)):
            if int(value) != value or value < 1:
                raise ValidationError(f"rtfm: {name} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValidationError(f"rtfm: dropout must lie in [0, 1), got {dropout!r}")
        if compat not in (None, "rtfm"):
            raise ValidationError(f"rtfm: unknown compat mode {compat!r} (known: 'rtfm')")
        self.feature_dim = int(feature_dim)
        self.k = int(k)
        self.margin = float(margin)
        self.alpha = float(alpha)
        self.smoothness = float(smoothness)
        self.sparsity = float(sparsity)
        self.compat: RTFMCompat | None = compat
        self.Aggregate = Aggregate(self.feature_dim, int(branch_channels))
        self.fc1 = nn.Linear(self.feature_dim, 512)
        self.fc2 = nn.Linear(512, 128)
        self.fc3 = nn.Linear(128, 1)
        self.drop_out = nn.Dropout(dropout)
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, features: torch.Tensor) -> RTFMOutput:
        """Scores, magnitudes and aggregated features of ``(B, T, D)`` or ``(B, C, T, D)`` features."""
        crops = as_crops(features, self.feature_dim, "rtfm")
        batch, num_crops, steps, dim = crops.shape
        aggregated = self.drop_out(self.Aggregate(crops.reshape(batch * num_crops, steps, dim)))
        hidden = self.drop_out(torch.relu(self.fc1(aggregated)))
        hidden = self.drop_out(torch.relu(self.fc2(hidden)))
        scores = torch.sigmoid(self.fc3(hidden)).reshape(batch, num_crops, steps).mean(dim=1)
        magnitudes = aggregated.norm(dim=-1).reshape(batch, num_crops, steps).mean(dim=1)
        return RTFMOutput(scores, magnitudes, aggregated.reshape(batch, num_crops, steps, dim))

    def snippet_scores(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, T)`` crop-averaged scores, as ``test_10crop.py`` evaluates (no top-k selection).

        The aggregation mixes snippets over time (dilated convolutions, attention normalised by ``T``), so a
        padded row would change its neighbours: with ``lengths``, each video is scored on its own valid rows
        (videos of equal length together) and rows past its length score 0. ``audio`` is unused. Call
        ``eval()`` first, as the reference evaluation does (dropout off, BatchNorm running statistics).
        """
        crops = as_crops(features, self.feature_dim, "rtfm snippet_scores")
        counts = valid_lengths(lengths, crops.shape[0], crops.shape[2], "rtfm snippet_scores")
        if counts is None:
            return self(crops).scores
        scores = crops.new_zeros(crops.shape[0], crops.shape[2])
        for length in torch.unique(counts).tolist():
            rows = torch.nonzero(counts == length).flatten().to(crops.device)
            scores[rows, :length] = self(crops[rows, :, :length]).scores
        return scores

    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """RTFM's objective on ``n`` normal and ``n`` abnormal bags, ``(2n, C, T, D)`` or ``(2n, T, D)``.

        The bags may come in any order: normal bag ``i`` (in batch order) is paired with abnormal bag ``i``.
        Dropout masks are drawn in the reference's order (features, ``fc1``, ``fc2``, abnormal selection,
        normal selection) on the bags laid out normal first, as ``train.py`` lays them out.

        Returns:
            The scalar objective and its weighted parts ``classification``, ``magnitude``, ``smoothness``,
            ``sparsity``.

        Raises:
            ValidationError: bad shapes, bags shorter than ``T``, ``T < k``, labels other than 0/1, or unequal
                numbers of normal and abnormal bags.
        """
        owner = "rtfm loss"
        crops = as_crops(batch.features, self.feature_dim, owner)
        steps = crops.shape[2]
        require_full_bags(batch.lengths, crops.shape[0], steps, owner)
        if steps < self.k:
            raise ValidationError(f"{owner}: bags of T={steps} segments cannot give the top k={self.k}")
        normal_rows, abnormal_rows = split_bags(batch.labels, crops.shape[0], owner)
        require_pairs(normal_rows, abnormal_rows, owner, "the magnitude loss pairs normal and abnormal bags")
        output = self(crops[torch.cat([normal_rows, abnormal_rows]).to(crops.device)])
        count = normal_rows.numel()
        normal = RTFMOutput(*(tensor[:count] for tensor in output))
        abnormal = RTFMOutput(*(tensor[count:] for tensor in output))
        keep_abnormal = self.drop_out(torch.ones_like(normal.magnitudes))
        keep_normal = self.drop_out(torch.ones_like(normal.magnitudes))
        parts = rtfm_objective(
            normal,
            abnormal,
            keep_normal,
            keep_abnormal,
            k=self.k,
            margin=self.margin,
            alpha=self.alpha,
            smoothness=self.smoothness,
            sparsity=self.sparsity,
            smooth_across_videos=self.compat == "rtfm",
        )
        total = reduce(operator.add, parts.values())  # left to right, as the reference adds them
        return total, {name: float(value.detach()) for name, value in parts.items()}

    def reference_optimizer(self) -> torch.optim.Optimizer:
        """``main.py``'s optimiser: Adam, lr 0.001 (constant), weight decay 0.005 (coupled L2)."""
        return torch.optim.Adam(self.parameters(), lr=1e-3, weight_decay=5e-3)
