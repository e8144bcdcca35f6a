"""UR-DMU: dual memory units with uncertainty regulation (Zhou, Yu, Yang, AAAI 2023), as henrryzh1/UR-DMU.

Snippet features are embedded by a temporal convolution and a global/local transformer; an abnormal and a
normal memory unit read each snippet; a latent Gaussian head (``encoder_mu``/``encoder_var``) regularises the
normal read-out; a small MLP scores ``[snippet, read-outs]``. Parameter names and shapes equal the reference
``model.py`` ``WSAD`` state dict, so ``ucf_trans_2022.pkl``/``xd_trans_2022.pkl`` load strictly through
:func:`vadkit.methods.load_reference_checkpoint`. The exact behaviour, quirks and training recipe are in
``docs/methods/urdmu.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from vadkit.errors import ValidationError
from vadkit.methods.bags import (
    as_crops,
    require_full_bags,
    require_pairs,
    split_bags,
    valid_lengths,
    zero_padding,
)
from vadkit.methods.base import TrainRecipe, TrainSequence, WeakBatch, WeakHead, register_method
from vadkit.methods.temporal_ops import length_mask, masked_topk_mean
from vadkit.methods.urdmu_layers import ClassifierHead, MemoryUnit, TemporalEmbedding, Transformer

MEMORY_LOSS_WEIGHT = 0.1
"""Weight of each of the four memory BCE terms (reference ``train.py`` ``AD_Loss``)."""
TRIPLET_WEIGHT = 0.1
KL_WEIGHT = 0.001
DISTANCE_WEIGHT = 0.0001
TRIPLET_MARGIN = 1.0
DISTANCE_MARGIN = 100.0
"""The hinge ``relu(DISTANCE_MARGIN - ||abnormal read-out|| + ||normal sample||)`` of ``model.py``."""


def top_count(steps: int) -> int:
    """``k = T // 16 + 1``, the number of top snippets UR-DMU pools over a ``T``-snippet sequence."""
    return steps // 16 + 1


@dataclass(frozen=True)
class URDMUTrainOutputs:
    """The training-mode forward of a balanced batch (``b`` normal then ``b`` abnormal videos).

    Per-snippet tensors are averaged over crops (``reshape(b, crops, T).mean(1)`` in the reference).

    Attributes:
        scores: ``(2b, T)`` snippet probabilities, normal videos first (reference ``"frame"``).
        abnormal_memory_on_abnormal: ``(b, T)`` abnormal-memory scores of the abnormal videos (``"A_att"``).
        normal_memory_on_normal: ``(b, T)`` normal-memory scores of the normal videos (``"N_att"``).
        abnormal_memory_on_normal: ``(b, T)`` abnormal-memory scores of the normal videos (``"A_Natt"``).
        normal_memory_on_abnormal: ``(b, T)`` normal-memory scores of the abnormal videos (``"N_Aatt"``).
        triplet: triplet margin loss on L2-normalised top-k snippet means (``"triplet_margin"``).
        kl: KL term of the normal latent Gaussian (``"kl_loss"``).
        distance: the read-out norm hinge (``"distance"``).
    """

    scores: torch.Tensor
    abnormal_memory_on_abnormal: torch.Tensor
    normal_memory_on_normal: torch.Tensor
    abnormal_memory_on_normal: torch.Tensor
    normal_memory_on_abnormal: torch.Tensor
    triplet: torch.Tensor
    kl: torch.Tensor
    distance: torch.Tensor


def urdmu_objective(outputs: URDMUTrainOutputs) -> dict[str, torch.Tensor]:
    """The reference ``AD_Loss`` on a training forward: every term and ``"total"``.

    With ``k = T // 16 + 1``, ``topk_k`` the mean of the ``k`` largest values over time, BCE averaged over its
    elements, labels ``y`` (0 for the ``b`` normal videos, then 1 for the ``b`` abnormal ones)::

        video                     = BCE(topk_k(scores), y)
        abnormal_memory           = BCE(topk_k(A_att), 1)
        normal_memory_on_abnormal = BCE(topk_k(1 - N_Aatt), 1)
        normal_memory             = BCE(N_att, 1)          (every snippet)
        abnormal_memory_on_normal = BCE(A_Natt, 0)         (every snippet)
        total = video + 0.1 (abnormal_memory + normal_memory_on_abnormal + normal_memory
                             + abnormal_memory_on_normal) + 0.1 triplet + 0.001 kl + 0.0001 distance
    """
    scores = outputs.scores
    half, steps = outputs.normal_memory_on_normal.shape
    k = top_count(steps)
    labels = torch.cat([scores.new_zeros(half), scores.new_ones(half)])
    ones = scores.new_ones(half)
    parts = {
        "video": F.binary_cross_entropy(masked_topk_mean(scores, k), labels),
        "abnormal_memory": F.binary_cross_entropy(
            masked_topk_mean(outputs.abnormal_memory_on_abnormal, k), ones
        ),
        "normal_memory_on_abnormal": F.binary_cross_entropy(
            masked_topk_mean(1 - outputs.normal_memory_on_abnormal, k), ones
        ),
        "normal_memory": F.binary_cross_entropy(
            outputs.normal_memory_on_normal, torch.ones_like(outputs.normal_memory_on_normal)
        ),
        "abnormal_memory_on_normal": F.binary_cross_entropy(
            outputs.abnormal_memory_on_normal, torch.zeros_like(outputs.abnormal_memory_on_normal)
        ),
        "triplet": outputs.triplet,
        "kl": outputs.kl,
        "distance": outputs.distance,
    }
    memory = (
        parts["abnormal_memory"]
        + parts["normal_memory_on_abnormal"]
        + parts["normal_memory"]
        + parts["abnormal_memory_on_normal"]
    )
    parts["total"] = (
        parts["video"]
        + MEMORY_LOSS_WEIGHT * memory
        + TRIPLET_WEIGHT * outputs.triplet
        + KL_WEIGHT * outputs.kl
        + DISTANCE_WEIGHT * outputs.distance
    )
    return parts


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(f"urdmu: {name} must be a positive integer, got {value!r}")


@register_method("urdmu")
class URDMU(WeakHead):
    """UR-DMU (reference ``model.py`` ``WSAD``); the defaults are the published configuration.

    Args:
        feature_dim: input snippet feature size (1024: I3D RGB of the DeepMIL/XD-Violence releases).
        hidden_dim: embedding size (512).
        depth, heads, dim_head, mlp_dim: transformer shape (2, 4, 128, 512).
        abnormal_memory_size, normal_memory_size: memory slots (``a_nums = n_nums = 60``).
        classifier_hidden: hidden units of the scoring MLP (128).
        dropout: dropout of the transformer (0.5).

    Inputs follow :mod:`vadkit.methods.base`; UR-DMU takes no audio. At test time each crop is scored on its
    own (the reference feeds UCF crops one at a time and XD crops as a batch of 5) and the crop probabilities
    are averaged. Training uses fixed 200-segment sequences (:attr:`train_sequence`) in batches of as many
    normal as abnormal bags (64 + 64 crop rows in the reference, :attr:`train_recipe`).
    """

    crops_as_bags: ClassVar[bool] = True  # the reference trains every crop as its own bag
    train_sequence: ClassVar[TrainSequence] = TrainSequence("segments", 200)
    train_recipe: ClassVar[TrainRecipe] = TrainRecipe("balanced_crop_rows")
    """``ucf_main.py``/``xd_main.py``: two ``DataLoader(batch_size=64, shuffle=True, drop_last=True)`` over
    the normal and the abnormal lines of the one-line-per-crop list; a constant rate (``--lr
    '[0.0001]*3000'``)."""

    def __init__(
        self,
        feature_dim: int = 1024,
        hidden_dim: int = 512,
        depth: int = 2,
        heads: int = 4,
        dim_head: int = 128,
        mlp_dim: int = 512,
        abnormal_memory_size: int = 60,
        normal_memory_size: int = 60,
        classifier_hidden: int = 128,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        _check_sizes(
            feature_dim=feature_dim,
            hidden_dim=hidden_dim,
            depth=depth,
            heads=heads,
            dim_head=dim_head,
            mlp_dim=mlp_dim,
            abnormal_memory_size=abnormal_memory_size,
            normal_memory_size=normal_memory_size,
            classifier_hidden=classifier_hidden,
        )
        if not 0.0 <= dropout < 1.0:
            raise ValidationError(f"urdmu: dropout must lie in [0, 1), got {dropout!r}")
        self.feature_dim = feature_dim
        self.embedding = TemporalEmbedding(feature_dim, hidden_dim)
        self.cls_head = ClassifierHead(2 * hidden_dim, classifier_hidden)
        self.Amemory = MemoryUnit(abnormal_memory_size, hidden_dim)
        self.Nmemory = MemoryUnit(normal_memory_size, hidden_dim)
        self.selfatt = Transformer(hidden_dim, depth, heads, dim_head, mlp_dim, dropout)
        self.encoder_mu = nn.Sequential(nn.Linear(hidden_dim, hidden_dim))
        self.encoder_var = nn.Sequential(nn.Linear(hidden_dim, hidden_dim))

    def encode(self, features: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """Embedding and transformer: ``(N, T, feature_dim) -> (N, T, hidden_dim)``.

        ``valid`` ``(N, T)``: rows past a video's length are zeroed before the convolution (so its last valid
        snippet sees the zero padding it would see alone) and left out of the attention.
        """
        if valid is not None:
            features = features * valid[..., None].to(features.dtype)
        return self.selfatt(self.embedding(features), valid)

    def snippet_scores(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, T)`` probabilities: the reference test path, averaged over crops; 0 past ``lengths``.

        Per crop: ``h = encode(x)``; ``s = cls_head([h, mu(A_read) + mu(N_read)])`` with ``mu = encoder_mu``
        applied to each memory read-out. Call ``eval()`` first, as the reference does (dropout).
        """
        if audio is not None:
            raise ValidationError("urdmu: takes no audio features (visual I3D features only)")
        features = as_crops(features, self.feature_dim, "urdmu")
        batch, crops, steps = features.shape[:3]
        counts = valid_lengths(lengths, batch, steps, "urdmu")
        valid = (
            None
            if counts is None
            else length_mask(counts, steps, features.device).repeat_interleave(crops, 0)
        )
        hidden = self.encode(features.flatten(0, 1), valid)
        _, abnormal_read = self.Amemory(hidden)
        _, normal_read = self.Nmemory(hidden)
        read = self.encoder_mu(abnormal_read) + self.encoder_mu(normal_read)
        scores = self.cls_head(torch.cat([hidden, read], dim=-1))
        return zero_padding(scores.reshape(batch, crops, steps).mean(dim=1), counts)

    def train_outputs(
        self, normal: torch.Tensor, abnormal: torch.Tensor, noise: torch.Tensor | None = None
    ) -> URDMUTrainOutputs:
        """The reference training forward (``flag == "Train"``) on ``b`` normal and ``b`` abnormal bags.

        Args:
            normal, abnormal: ``(b, T, D)`` or ``(b, C, T, D)``, the same shape, every snippet valid.
            noise: ``(b * C, T, hidden_dim)`` standard-normal draws of the reparameterisation; drawn with
                ``torch.randn_like`` when ``None``.
        """
        if normal.shape != abnormal.shape:
            raise ValidationError(
                f"urdmu: normal and abnormal bags must have the same shape, got {tuple(normal.shape)} "
                f"and {tuple(abnormal.shape)}"
            )
        normal = as_crops(normal, self.feature_dim, "urdmu")
        half, crops, steps = normal.shape[:3]
        rows = half * crops
        k = top_count(steps)
        hidden = self.encode(torch.cat([normal.flatten(0, 1), abnormal.reshape(rows, steps, -1)]))
        hidden_n, hidden_a = hidden[:rows], hidden[rows:]
        a_att, a_read = self.Amemory(hidden_a)
        n_a_att, n_a_read = self.Nmemory(hidden_a)
        a_n_att, a_n_read = self.Amemory(hidden_n)
        n_att, n_read = self.Nmemory(hidden_n)

        def video_mean(values: torch.Tensor) -> torch.Tensor:
            return values.reshape(half, crops, *values.shape[1:]).mean(dim=1)

        def top_snippet_mean(values: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
            index = attention.topk(k, dim=-1).indices
            picked = values.gather(1, index[..., None].expand(-1, -1, values.shape[-1]))
            return video_mean(picked.mean(dim=1))

        anchor = top_snippet_mean(hidden_n, n_att)
        positive = top_snippet_mean(hidden_a, n_a_att)
        negative = top_snippet_mean(hidden_a, a_att)
        triplet = F.triplet_margin_loss(
            F.normalize(anchor, dim=-1),
            F.normalize(positive, dim=-1),
            F.normalize(negative, dim=-1),
            margin=TRIPLET_MARGIN,
        )
        n_mu = self.encoder_mu(n_read)
        n_logvar = self.encoder_var(n_read)
        if noise is None:
            noise = torch.randn_like(n_mu)
        elif noise.shape != n_mu.shape:
            raise ValidationError(
                f"urdmu: noise must have shape {tuple(n_mu.shape)}, got {tuple(noise.shape)}"
            )
        n_sample = n_mu + noise * torch.exp(0.5 * n_logvar)
        a_mu = self.encoder_mu(a_read)
        kl = torch.mean(-0.5 * torch.sum(1 + n_logvar - n_mu**2 - n_logvar.exp(), dim=1))
        distance = torch.relu(
            DISTANCE_MARGIN
            - top_snippet_mean(a_mu, a_att).norm(dim=-1)
            + top_snippet_mean(n_sample, n_att).norm(dim=-1)
        ).mean()
        normal_scores = self.cls_head(torch.cat([hidden_n, n_sample + self.encoder_mu(a_n_read)], -1))
        abnormal_scores = self.cls_head(torch.cat([hidden_a, a_mu + self.encoder_mu(n_a_read)], -1))
        return URDMUTrainOutputs(
            scores=torch.cat([video_mean(normal_scores), video_mean(abnormal_scores)]),
            abnormal_memory_on_abnormal=video_mean(a_att),
            normal_memory_on_normal=video_mean(n_att),
            abnormal_memory_on_normal=video_mean(a_n_att),
            normal_memory_on_abnormal=video_mean(n_a_att),
            triplet=triplet,
            kl=kl,
            distance=distance,
        )

    def reference_optimizer(self) -> torch.optim.Optimizer:
        """``ucf_main.py``/``xd_main.py``: Adam, lr 1e-4 (constant), betas (0.9, 0.999), weight decay 5e-5."""
        return torch.optim.Adam(self.parameters(), lr=1e-4, betas=(0.9, 0.999), weight_decay=5e-5)

    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """The reference objective (:func:`urdmu_objective`) on a balanced batch.

        The batch must hold as many normal as abnormal bags (their order is free: normal bags are taken first,
        as the reference concatenates them), every snippet valid (``lengths`` ``None`` or all ``T``: UR-DMU
        trains on fixed 200-segment sequences), and no audio.
        """
        if batch.audio is not None:
            raise ValidationError("urdmu: takes no audio features (visual I3D features only)")
        features = as_crops(batch.features, self.feature_dim, "urdmu")
        require_full_bags(batch.lengths, features.shape[0], features.shape[2], "urdmu")
        normal, abnormal = split_bags(batch.labels, features.shape[0], "urdmu")
        require_pairs(
            normal, abnormal, "urdmu", "the triplet loss pairs the i-th normal with the i-th abnormal video"
        )
        parts = urdmu_objective(self.train_outputs(features[normal], features[abnormal]))
        return parts["total"], {name: float(value.detach()) for name, value in parts.items()}
