"""HL-Net: holistic and localized networks with an online detector (Wu et al., ECCV 2020), as Roc-Ng/XDVioDet.

Audio-visual snippet features (I3D RGB ``1024`` concatenated with VGGish audio ``128``) go through two 1x1
convolutions to 128-d snippet embeddings. From there:

* the **offline detector** runs three two-layer graph convolutions (holistic/similarity, localized/proximity
  and score branches, see :mod:`vadkit.methods.hlnet_layers`) whose 3 x 32 outputs are concatenated and
  classified per snippet;
* the **online detector** (``approximator`` + ``conv1d_approximator``) scores each snippet from itself and the
  4 snippets before it only (a causal 5-tap convolution over left-zero-padded time).

Parameter names and shapes equal the reference ``model.py`` ``Model`` state dict (``ckpt/wsanodet_mix2.pkl``
loads strictly through :func:`vadkit.methods.load_reference_checkpoint`). Exact behaviour, quirks and the
training recipe: ``docs/methods/hlnet.md``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from vadkit.errors import ValidationError
from vadkit.methods.bags import as_crops, valid_lengths, zero_padding
from vadkit.methods.base import (
    EpochSchedule,
    TrainRecipe,
    TrainSequence,
    WeakBatch,
    WeakHead,
    register_method,
)
from vadkit.methods.hlnet_layers import (
    DistanceAdj,
    GraphConvolution,
    SimilarityAdj,
    score_adjacency,
    similarity_adjacency,
)
from vadkit.methods.temporal_ops import length_mask, masked_topk_mean

HLNetCompat = Literal["xdviodet"]
DISTILLATION_WEIGHT = 5.0
"""Weight of the offline-to-online distillation term (reference ``train.py``: ``5 * croloss``)."""
REFERENCE_LR = 1e-4
"""``option.py`` ``--lr``."""
REFERENCE_MILESTONE = 10
REFERENCE_GAMMA = 0.1
"""``main.py``: ``MultiStepLR(optimizer, milestones=[10], gamma=0.1)``."""
ONLINE_WINDOW = 5
"""Snippets the online detector sees: the current one and the 4 before it."""


def hlnet_mil_loss(logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    """Top-k MIL loss of one detector (reference ``train.py`` ``CLAS`` with ``is_topk=True``).

    For video ``b`` with ``L_b`` valid snippets and ``k_b = L_b // 16 + 1``: ``p_b = sigmoid(mean of the k_b
    largest logits)`` (the sigmoid comes *after* the mean); the loss is ``BCE(p, y)`` averaged over videos.

    Args:
        logits: ``(N, T)``.
        labels: ``(N,)`` float 0/1.
        valid: ``(N, T)`` boolean or ``None`` (all valid).
    """
    counts = (
        torch.full((logits.shape[0],), logits.shape[1], device=logits.device)
        if valid is None
        else valid.sum(1)
    )
    pooled = masked_topk_mean(logits, counts // 16 + 1, valid)
    return F.binary_cross_entropy(torch.sigmoid(pooled), labels)


def hlnet_distillation_loss(
    offline_logits: torch.Tensor, online_logits: torch.Tensor, valid: torch.Tensor | None
) -> torch.Tensor:
    """Offline-to-online distillation (reference ``train.py`` ``CENTROPY``).

    ``mean_b mean_{t < L_b} [-sigmoid(offline_bt) * log sigmoid(online_bt)]`` with the offline probabilities
    detached (teacher). Only the positive half of a cross-entropy: there is no ``(1 - p) log(1 - q)`` term.
    ``log sigmoid`` is computed as ``logsigmoid`` (the reference's ``log(sigmoid(x))`` gives ``-inf`` for very
    negative logits; values are otherwise equal).
    """
    terms = -torch.sigmoid(offline_logits).detach() * F.logsigmoid(online_logits)
    if valid is None:
        return terms.mean(dim=1).mean()
    weights = valid.to(terms.dtype)
    return ((terms * weights).sum(dim=1) / weights.sum(dim=1)).mean()


def hlnet_objective(
    offline_logits: torch.Tensor,
    online_logits: torch.Tensor,
    labels: torch.Tensor,
    valid: torch.Tensor | None,
) -> dict[str, torch.Tensor]:
    """Every term of the reference objective and ``"total" = mil_offline + mil_online + 5 distillation``."""
    parts = {
        "mil_offline": hlnet_mil_loss(offline_logits, labels, valid),
        "mil_online": hlnet_mil_loss(online_logits, labels, valid),
        "distillation": hlnet_distillation_loss(offline_logits, online_logits, valid),
    }
    parts["total"] = parts["mil_offline"] + parts["mil_online"] + DISTILLATION_WEIGHT * parts["distillation"]
    return parts


def _video_labels(labels: torch.Tensor, batch: int) -> torch.Tensor:
    """Labels checked for shape ``(batch,)`` and values 0/1; any mix of classes is allowed."""
    if labels.shape != (batch,):
        raise ValidationError(f"hlnet: labels must have shape ({batch},), got {tuple(labels.shape)}")
    if not bool(((labels == 0) | (labels == 1)).all()):
        raise ValidationError(f"hlnet: labels must be 0 (normal) or 1 (abnormal), got {labels.tolist()}")
    return labels.float()


@register_method("hlnet")
class HLNet(WeakHead):
    """HL-Net (reference ``model.py`` ``Model``, ``--modality MIX2``); the defaults are the published setup.

    Args:
        feature_dim: visual feature size (1024, I3D RGB).
        audio_dim: audio feature size (128, VGGish); 0 builds the visual-only model (``--modality RGB``).
        dropout: dropout after every hidden layer (0.6).
        compat: ``None`` (default): rows past a video's length never influence its valid snippets.
            ``"xdviodet"``: as the reference when it trains on padded batches: the padded rows' embeddings
            enter the proximity graph and the residual convolutions of the valid rows (the similarity and
            score graphs are masked in both modes). Without padding both modes are identical, and so is the
            reference test path (one video per batch).

    Inputs: ``features`` ``(B, T, feature_dim)`` or ``(B, C, T, feature_dim)`` (5 crops in XD-Violence), and
    ``audio`` ``(B, T, audio_dim)``, shared by the crops and concatenated after the visual features of each.
    The data side must give both the same ``T``: XDVioDet's MIX2 loader drops the last RGB row when the RGB
    file has one more row than the audio file.
    """

    train_sequence: ClassVar[TrainSequence] = TrainSequence("subsample_or_pad", 200)
    """200 rows by :func:`vadkit.snippets.subsample_or_pad` (``max_seqlen``)."""
    train_recipe: ClassVar[TrainRecipe] = TrainRecipe(
        "shuffled_crop_rows", EpochSchedule((REFERENCE_MILESTONE - 1,), REFERENCE_GAMMA)
    )
    """``main.py``/``dataset.py``: one ``DataLoader(shuffle=True)`` (no ``drop_last``, batch 128) over the
    crop rows of ``list/rgb.list``, both classes mixed; ``scheduler.step()`` runs *before* each epoch's
    training, so the tenfold drop of ``MultiStepLR(milestones=[10])`` applies from epoch index 9 on
    (:meth:`reference_scheduler` reproduces it as a torch scheduler)."""

    def __init__(
        self,
        feature_dim: int = 1024,
        audio_dim: int = 128,
        dropout: float = 0.6,
        compat: HLNetCompat | None = None,
    ) -> None:
        super().__init__()
        if isinstance(feature_dim, bool) or not isinstance(feature_dim, int) or feature_dim < 1:
            raise ValidationError(f"hlnet: feature_dim must be a positive integer, got {feature_dim!r}")
        if isinstance(audio_dim, bool) or not isinstance(audio_dim, int) or audio_dim < 0:
            raise ValidationError(f"hlnet: audio_dim must be a non-negative integer, got {audio_dim!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValidationError(f"hlnet: dropout must lie in [0, 1), got {dropout!r}")
        if compat not in (None, "xdviodet"):
            raise ValidationError(f"hlnet: unknown compat mode {compat!r} (known: 'xdviodet')")
        self.feature_dim = feature_dim
        self.audio_dim = audio_dim
        self.compat = compat
        inputs = feature_dim + audio_dim
        self.conv1d1 = nn.Conv1d(inputs, 512, kernel_size=1)
        self.conv1d2 = nn.Conv1d(512, 128, kernel_size=1)
        # conv1d3, conv1d4: unused by the reference forward, kept for strict checkpoint loading
        self.conv1d3 = nn.Conv1d(128, 32, kernel_size=5, padding=2)
        self.conv1d4 = nn.Conv1d(32, 32, kernel_size=5, padding=2)
        self.gc1 = GraphConvolution(128, 32)
        self.gc2 = GraphConvolution(32, 32)
        self.gc3 = GraphConvolution(128, 32)
        self.gc4 = GraphConvolution(32, 32)
        self.gc5 = GraphConvolution(128, 32)
        self.gc6 = GraphConvolution(32, 32)
        self.simAdj = SimilarityAdj(inputs, 32)
        self.disAdj = DistanceAdj()
        self.classifier = nn.Linear(3 * 32, 1)
        self.approximator = nn.Sequential(
            nn.Conv1d(128, 64, kernel_size=1), nn.ReLU(), nn.Conv1d(64, 32, kernel_size=1), nn.ReLU()
        )
        self.conv1d_approximator = nn.Conv1d(32, 1, kernel_size=ONLINE_WINDOW)
        self.dropout = nn.Dropout(dropout)
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Linear, GraphConvolution)):
                nn.init.xavier_uniform_(module.weight)

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-snippet embedding ``(N, T, feature_dim + audio_dim) -> (N, 128, T)`` (channels first)."""
        x = self.dropout(F.relu(self.conv1d1(inputs.transpose(1, 2))))
        return self.dropout(F.relu(self.conv1d2(x)))

    def online_logits(self, embedded: torch.Tensor) -> torch.Tensor:
        """Online detector ``(N, 128, T) -> (N, T)`` logits: snippet ``t`` sees embeddings ``t-4 .. t``."""
        padded = F.pad(self.approximator(embedded), (ONLINE_WINDOW - 1, 0))
        return self.conv1d_approximator(padded).squeeze(1)

    def offline_logits(
        self, inputs: torch.Tensor, embedded: torch.Tensor, online: torch.Tensor, valid: torch.Tensor | None
    ) -> torch.Tensor:
        """Offline detector: three two-layer graph branches, concatenated and classified -> ``(N, T)`` logits.

        Args:
            inputs: ``(N, T, D)`` fused features (for the similarity graph).
            embedded: ``(N, 128, T)`` from :meth:`embed`.
            online: ``(N, T)`` online logits (detached here for the score graph).
            valid: ``(N, T)`` boolean or ``None``.
        """
        x = embedded.transpose(1, 2)
        isolate = valid if self.compat is None else None
        if isolate is not None:
            x = x * isolate[..., None].to(x.dtype)
        similarity = similarity_adjacency(inputs, valid)
        proximity = self.disAdj(x.shape[1], isolate, x)
        closeness = score_adjacency(online.detach(), valid)
        h1 = self.dropout(F.relu(self.gc1(x, similarity)))
        h2 = self.dropout(F.relu(self.gc3(x, proximity)))
        h3 = self.dropout(F.relu(self.gc5(x, closeness)))
        o1 = self.dropout(F.relu(self.gc2(h1, similarity)))
        o2 = self.dropout(F.relu(self.gc4(h2, proximity)))
        o3 = self.dropout(F.relu(self.gc6(h3, closeness)))
        return self.classifier(torch.cat([o1, o2, o3], dim=-1)).squeeze(-1)

    def logits(
        self, inputs: torch.Tensor, valid: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(offline, online)`` logits, ``(N, T)`` each, of fused inputs ``(N, T, D_visual + D_audio)``."""
        embedded = self.embed(inputs)
        online = self.online_logits(embedded)
        return self.offline_logits(inputs, embedded, online, valid), online

    @property
    def uses_audio(self) -> bool:
        """True for the audio-visual model (``audio_dim > 0``)."""
        return self.audio_dim > 0

    def fuse(self, features: torch.Tensor, audio: torch.Tensor | None) -> tuple[torch.Tensor, int]:
        """Visual features and audio concatenated per crop: ``((B * C, T, feature_dim + audio_dim), C)``.

        Raises:
            ValidationError: bad feature shape, audio missing/unexpected, or audio not ``(B, T, audio_dim)``.
        """
        visual = as_crops(features, self.feature_dim, "hlnet")
        batch, crops, steps = visual.shape[:3]
        if self.audio_dim == 0:
            if audio is not None:
                raise ValidationError("hlnet: built with audio_dim=0 (visual only) but audio was given")
            return visual.flatten(0, 1), crops
        if audio is None:
            raise ValidationError(f"hlnet: audio features ({batch}, {steps}, {self.audio_dim}) are required")
        if tuple(audio.shape) != (batch, steps, self.audio_dim):
            raise ValidationError(
                f"hlnet: audio must have shape ({batch}, {steps}, {self.audio_dim}) to match the visual "
                f"features, got {tuple(audio.shape)} (XDVioDet drops the last RGB row when RGB has one more)"
            )
        shared = audio.to(visual.dtype)[:, None].expand(batch, crops, steps, self.audio_dim)
        return torch.cat([visual, shared], dim=-1).flatten(0, 1), crops

    def snippet_scores(
        self,
        features: torch.Tensor,
        lengths: torch.Tensor | None = None,
        audio: torch.Tensor | None = None,
        *,
        online: bool = False,
    ) -> torch.Tensor:
        """``(B, T)`` probabilities, the mean over crops of ``sigmoid(logits)``; 0 past ``lengths``.

        ``online=False``: the offline detector (HL-Net's reported scores); ``online=True``: the online
        detector, whose score of snippet ``t`` depends on snippets ``t-4 .. t`` only. Call ``eval()`` first
        (dropout).
        """
        inputs, crops = self.fuse(features, audio)
        batch, steps = inputs.shape[0] // crops, inputs.shape[1]
        counts = valid_lengths(lengths, batch, steps, "hlnet")
        valid = (
            None if counts is None else length_mask(counts, steps, inputs.device).repeat_interleave(crops, 0)
        )
        embedded = self.embed(inputs)
        chosen = self.online_logits(embedded)
        if not online:
            chosen = self.offline_logits(inputs, embedded, chosen, valid)
        return zero_padding(torch.sigmoid(chosen).reshape(batch, crops, steps).mean(dim=1), counts)

    def reference_optimizer(self) -> torch.optim.Optimizer:
        """``main.py``: Adam without weight decay, lr 1e-4, halved (5e-5) for the online detector.

        Three parameter groups, as the reference: everything else, ``approximator``, ``conv1d_approximator``.
        """
        online = [*self.approximator.parameters(), *self.conv1d_approximator.parameters()]
        taken = {id(parameter) for parameter in online}
        return torch.optim.Adam(
            [
                {"params": [p for p in self.parameters() if id(p) not in taken]},
                {"params": list(self.approximator.parameters()), "lr": REFERENCE_LR / 2},
                {"params": list(self.conv1d_approximator.parameters()), "lr": REFERENCE_LR / 2},
            ],
            lr=REFERENCE_LR,
            weight_decay=0.0,
        )

    @staticmethod
    def reference_scheduler(optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.MultiStepLR:
        """``main.py``: ``MultiStepLR(milestones=[10], gamma=0.1)``, stepped at the *start* of every epoch.

        Because the step precedes the epoch's training, the rates drop tenfold from the 10th epoch (index 9)
        of the 50, not the 11th. vadkit's trainer applies the same rates as a function of the step
        (:attr:`train_recipe`).
        """
        return torch.optim.lr_scheduler.MultiStepLR(
            optimizer, milestones=[REFERENCE_MILESTONE], gamma=REFERENCE_GAMMA
        )

    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """The reference objective (:func:`hlnet_objective`); crops are separate bags with their video label.

        The batch is first cut to its longest valid length, as in the reference (``input[:, :max(seq_len)]``).
        """
        inputs, crops = self.fuse(batch.features, batch.audio)
        videos, steps = inputs.shape[0] // crops, inputs.shape[1]
        labels = _video_labels(batch.labels, videos).to(inputs).repeat_interleave(crops)
        counts = valid_lengths(batch.lengths, videos, steps, "hlnet")
        valid = None
        if counts is not None:
            steps = int(counts.max())
            inputs = inputs[:, :steps]
            valid = length_mask(counts, steps, inputs.device).repeat_interleave(crops, 0)
        offline, online = self.logits(inputs, valid)
        parts = hlnet_objective(offline, online, labels, valid)
        return parts["total"], {name: float(value.detach()) for name, value in parts.items()}
