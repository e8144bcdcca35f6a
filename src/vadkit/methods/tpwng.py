"""TPWNG: Yang, Liu, Wu, "Text Prompt with Normality Guidance for Weakly Supervised Video Anomaly Detection",
CVPR 2024 (arXiv 2404.08531). There is no official code; this follows the paper, and
``docs/methods/tpwng.md`` states every choice the paper leaves open.

Two branches train together on CLIP ViT-B/16 frame features ``X`` ``(T, 512)``:

* **Text branch** (Secs. 3.2, 3.3, 3.5): learnable prompts ``[SOS][c_1..c_l][class][EOT]`` through the
  frozen CLIP text encoder and its fine-tuned ``text_projection`` give one embedding per class (index 0 =
  normal); frame-text match similarities ``S = s * cos(X, T)`` (``s`` = CLIP's logit scale) train it with two
  ranking losses, the distribution inconsistency loss and the sparsity/smoothness terms; the normality visual
  prompt (NVP) enhances the normal text with each normal video's frames. The pseudo-label generator (PLG)
  turns the similarities of an abnormal video into frame labels with normality guidance:
  ``psi = (1 - alpha) norm(S_aa) + alpha (1 - norm(S_an))``, label 1 where ``norm(psi) > theta``.
* **Classifier branch** (Sec. 3.4): the TCSAL encoder (a causal Transformer encoder with adaptive attention
  spans) and a frame classifier, trained with binary cross-entropy on the pseudo-labels, regenerated at every
  step (Eq. (13)). At test time the classifier's scores are the anomaly scores.

Every function of the objective takes ``valid`` ``(B, T)`` masks, so padded training sequences
(:attr:`TPWNG.train_sequence`) are handled exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from vadkit.errors import ValidationError
from vadkit.methods.bags import as_crops, require_pairs, split_bags, valid_lengths, zero_padding
from vadkit.methods.base import TrainRecipe, TrainSequence, WeakBatch, WeakHead, register_method
from vadkit.methods.temporal_ops import length_mask
from vadkit.methods.tpwng_layers import TCSAL, NormalityVisualPrompt, PromptLearner
from vadkit.models.clip_loading import load_clip
from vadkit.models.clip_text_prompts import encode_prompt_embeddings

NORMALIZE_EPS = 1e-8
"""Floor of ``max - min`` in :func:`minmax_normalize` (a constant vector normalises to zeros)."""


def minmax_normalize(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """The paper's normalisation ``~`` (Sec. 3.3): per row, ``(v - min) / (max - min)`` over valid entries.

    Args:
        values: ``(B, T)``.
        valid: ``(B, T)`` boolean, at least one true entry per row.

    Returns:
        ``(B, T)`` in ``[0, 1]``, 0 at invalid entries; ``max - min`` is floored at :data:`NORMALIZE_EPS`.
    """
    low = values.masked_fill(~valid, torch.inf).amin(dim=1, keepdim=True)
    high = values.masked_fill(~valid, -torch.inf).amax(dim=1, keepdim=True)
    scaled = (values - low) / (high - low).clamp_min(NORMALIZE_EPS)
    return scaled.masked_fill(~valid, 0.0)


def pseudo_labels(
    abnormal_similarity: torch.Tensor,
    normal_similarity: torch.Tensor,
    valid: torch.Tensor,
    alpha: float,
    theta: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The PLG module with normality guidance (Sec. 3.3, Eqs. (5)-(6)) for abnormal videos.

    ``psi = (1 - alpha) * norm(S_aa) + alpha * (1 - norm(S_an))``; ``gamma = 1`` where ``norm(psi) > theta``,
    else 0 (``norm`` = :func:`minmax_normalize` over the video's frames). ``alpha = 0`` is PLG without
    normality guidance.

    Args:
        abnormal_similarity: ``(B, T)`` ``S_aa``, frame similarities to the video's own anomaly class text.
        normal_similarity: ``(B, T)`` ``S_an``, frame similarities to the (NVP-enhanced) normal text.
        valid: ``(B, T)`` boolean.
        alpha: the guidance weight.
        theta: the threshold.

    Returns:
        ``(labels, psi_normalized)``, both ``(B, T)``, 0 at invalid frames; no gradient.
    """
    with torch.no_grad():
        fused = (1.0 - alpha) * minmax_normalize(abnormal_similarity, valid) + alpha * (
            1.0 - minmax_normalize(normal_similarity, valid)
        )
        psi = minmax_normalize(fused, valid)
        return ((psi > theta) & valid).to(abnormal_similarity.dtype), psi


def _masked_max(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Per-row maximum over the valid frames of ``(B, T, ...)`` values (every trailing entry), ``(B,)``."""
    while valid.ndim < values.ndim:
        valid = valid[..., None]
    return values.masked_fill(~valid, -torch.inf).flatten(1).amax(dim=1)


def normal_ranking_loss(
    normal_similarity: torch.Tensor, anomaly_similarities: torch.Tensor, valid: torch.Tensor, margin: float
) -> torch.Tensor:
    """``L^n_rank`` (Eq. (10)), averaged over the normal videos:
    ``max(0, margin - max_j S_nn[j] + max_{tau, j} S_na[j, tau])``.

    Args:
        normal_similarity: ``(N, T)`` ``S_nn``, normal frames against the normal text.
        anomaly_similarities: ``(N, T, K)`` ``phi_na``, normal frames against every anomaly text.
        valid: ``(N, T)`` boolean.
        margin: the hinge margin.
    """
    top_normal = _masked_max(normal_similarity, valid)
    top_anomaly = _masked_max(anomaly_similarities, valid)
    return F.relu(margin - top_normal + top_anomaly).mean()


def abnormal_ranking_loss(
    own_similarity: torch.Tensor,
    normal_similarity: torch.Tensor,
    other_similarities: torch.Tensor,
    valid: torch.Tensor,
    margin: float,
) -> torch.Tensor:
    """``L^a_rank`` (Eq. (11)), averaged over the abnormal videos:
    ``max(0, margin - max S_an + max phi_aa) + max(0, margin - max S_aa + max phi_aa)``, with ``phi_aa`` the
    similarities to the *other* anomaly classes (0 when the class list has a single anomaly class).

    Args:
        own_similarity: ``(A, T)`` ``S_aa``, frames against the video's own anomaly class text.
        normal_similarity: ``(A, T)`` ``S_an``, frames against the NVP-enhanced normal text.
        other_similarities: ``(A, T, K - 1)`` ``phi_aa``.
        valid: ``(A, T)`` boolean.
        margin: the hinge margin.
    """
    if other_similarities.shape[-1] == 0:
        return own_similarity.sum() * 0.0
    top_other = _masked_max(other_similarities, valid)
    normal_term = F.relu(margin - _masked_max(normal_similarity, valid) + top_other)
    own_term = F.relu(margin - _masked_max(own_similarity, valid) + top_other)
    return (normal_term + own_term).mean()


def distribution_inconsistency_loss(
    own_similarity: torch.Tensor, normal_similarity: torch.Tensor, valid: torch.Tensor
) -> torch.Tensor:
    """``L_dil`` (Eq. (12)): the cosine similarity of the vectors ``S_aa`` and ``S_an`` over a video's valid
    frames, averaged over the abnormal videos (``(A, T)`` each)."""
    mask = valid.to(own_similarity.dtype)
    own, normal = own_similarity * mask, normal_similarity * mask
    return F.cosine_similarity(own, normal, dim=1, eps=NORMALIZE_EPS).mean()


def smoothness_loss(normalized: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """The paper's ``L_sp = sum_j (~S_aa[j] - ~S_aa[j+1])^2`` over consecutive valid frames, averaged over the
    abnormal videos (``normalized`` = :func:`minmax_normalize` of ``S_aa``, ``(A, T)``)."""
    pairs = (valid[:, 1:] & valid[:, :-1]).to(normalized.dtype)
    return ((normalized[:, 1:] - normalized[:, :-1]).pow(2) * pairs).sum(dim=1).mean()


def sparsity_loss(normalized: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """The paper's ``L_sm = sum_j ~S_aa[j]`` over the valid frames, averaged over the abnormal videos."""
    return (normalized * valid.to(normalized.dtype)).sum(dim=1).mean()


def classification_loss(scores: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """``L_cl`` (Eq. (13)): binary cross-entropy of the classifier's frame scores ``eta`` against the frame
    pseudo-labels ``gamma``, averaged over every valid frame of the batch (``(B, T)`` each)."""
    losses = F.binary_cross_entropy(scores, labels, reduction="none")
    return losses[valid].mean()


def _positive_int(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"tpwng: {name} must be a positive integer, got {value!r}")


@register_method("tpwng")
class TPWNG(WeakHead):
    """TPWNG (module docstring); the defaults are the paper's UCF-Crime configuration (Sec. 4.2).

    Args:
        clip_model: the CLIP model whose text tower encodes the prompts (a ``save_pretrained`` folder or a
            repo id in the local Hugging Face cache; ``openai/clip-vit-base-patch16`` in the paper), loaded
            offline through :func:`vadkit.models.load_clip`. Its projection size must equal ``feature_dim``.
        classes: class names, index 0 the normal class (``"normal"``), then the anomaly classes, as
            :attr:`~vadkit.methods.base.WeakBatch.classes` indexes them.
        feature_dim: ``D``, the frame feature size (512: CLIP ViT-B/16 image features).
        context_length: ``l``, learnable prompt vectors (8).
        alpha: normality guidance weight (0.2).
        theta: pseudo-label threshold (0.55 for UCF-Crime, 0.35 for XD-Violence).
        lambda1: weight of ``L_sp`` (0.1).
        lambda2: weight of ``L_sm`` (0.01).
        margin: hinge margin of the ranking losses (1).
        span_ramp: ``R`` of the soft span mask (256).
        max_span: ``S`` of Eq. (8), the largest learnable span (256).
        depth, heads: TCSAL layers and heads per layer (4, 4).
        dropout: TCSAL dropout (0.1).
        lr, weight_decay: :meth:`reference_optimizer` settings (1e-3 and 5e-3; 1e-4 for XD-Violence).
        cache_dir, revision: where and which CLIP to look up (see :func:`vadkit.models.resolve_model`).

    Raises:
        ValidationError: bad settings, fewer than two classes, or a CLIP that does not fit.
    """

    class_aware: ClassVar[bool] = True
    train_sequence: ClassVar[TrainSequence] = TrainSequence("pool_or_pad", 256)
    train_recipe: ClassVar[TrainRecipe] = TrainRecipe("balanced_videos")
    """Paired normal and abnormal videos (the NVP of the ``i``-th normal video guides the ``i``-th abnormal
    one), 32 + 32 per step, at a constant learning rate."""

    def __init__(
        self,
        clip_model: str,
        classes: Sequence[str],
        feature_dim: int = 512,
        context_length: int = 8,
        alpha: float = 0.2,
        theta: float = 0.55,
        lambda1: float = 0.1,
        lambda2: float = 0.01,
        margin: float = 1.0,
        span_ramp: float = 256.0,
        max_span: float = 256.0,
        depth: int = 4,
        heads: int = 4,
        dropout: float = 0.1,
        lr: float = 1e-3,
        weight_decay: float = 5e-3,
        cache_dir: str | None = None,
        revision: str = "main",
    ) -> None:
        super().__init__()
        for name, value in (
            ("feature_dim", feature_dim),
            ("context_length", context_length),
            ("depth", depth),
            ("heads", heads),
        ):
            _positive_int(value, name)
        classes = [str(name) for name in classes]
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ValidationError(
                f"tpwng: classes must hold the normal class and at least one anomaly class, without repeats, "
                f"got {classes!r}"
            )
        if not (0.0 <= alpha <= 1.0 and 0.0 <= theta < 1.0):
            raise ValidationError(
                f"tpwng: alpha must lie in [0, 1] and theta in [0, 1), got {alpha}, {theta}"
            )
        if not (span_ramp > 0 and max_span >= 0 and 0.0 <= dropout < 1.0):
            raise ValidationError("tpwng: span_ramp must be > 0, max_span >= 0 and dropout in [0, 1)")
        clip = load_clip(clip_model, text=True, cache_dir=cache_dir, revision=revision)
        if clip.projection_dim != feature_dim:
            raise ValidationError(
                f"tpwng: the CLIP model {clip_model!r} embeds in {clip.projection_dim} dimensions, "
                f"feature_dim is {feature_dim}"
            )
        self.feature_dim = feature_dim
        self.classes = tuple(classes)
        self.alpha, self.theta, self.margin = float(alpha), float(theta), float(margin)
        self.lambda1, self.lambda2 = float(lambda1), float(lambda2)
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        self.logit_scale = float(clip.model.logit_scale.detach().exp())
        """``s``, CLIP's learned similarity scale (100 for OpenAI's models), fixed."""
        self.text_model = clip.model.text_model.requires_grad_(False)
        self.text_projection: nn.Linear = clip.model.text_projection
        self.prompts = PromptLearner(
            clip.tokenizer,
            self.text_model.embeddings.token_embedding,
            classes,
            context_length,
            self.text_model.embeddings.position_embedding.num_embeddings,
        )
        self.normality_prompt = NormalityVisualPrompt(feature_dim)
        self.temporal = TCSAL(feature_dim, depth, heads, float(span_ramp), float(max_span), dropout)

    def text_embeddings(self) -> torch.Tensor:
        """``(C, D)`` unit text embeddings of the classes' learnable prompts (Eq. (2)), index 0 = normal.

        The head holds CLIP's text tower as :attr:`text_model` and :attr:`text_projection`, the parts
        :func:`~vadkit.models.clip_text_prompts.encode_prompt_embeddings` runs.
        """
        features = encode_prompt_embeddings(self, self.prompts(), self.prompts.eot_positions)
        return F.normalize(features, dim=-1)

    def _frames(
        self, features: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(B, T, D)`` features (crops averaged), the ``(B, T)`` valid mask and the checked lengths."""
        features = as_crops(features, self.feature_dim, "tpwng").mean(dim=1)
        batch, steps = features.shape[:2]
        counts = valid_lengths(lengths, batch, steps, "tpwng")
        if counts is None:
            valid = torch.ones(batch, steps, dtype=torch.bool, device=features.device)
        else:
            valid = length_mask(counts, steps, features.device)
        return features, valid, counts

    def snippet_scores(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, T)`` anomaly scores in ``[0, 1]``: the TCSAL classifier's frame scores (Sec. 3.4), 0 past
        ``lengths``. ``(B, C, T, D)`` crop features are averaged over crops first. Call ``eval()`` first
        (dropout)."""
        if audio is not None:
            raise ValidationError("tpwng: takes no audio features (CLIP image features only)")
        frames, _, counts = self._frames(features, lengths)
        return zero_padding(self.temporal(frames), counts)

    def class_scores(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T, C)`` class probabilities of every frame: the softmax over the classes of the frame-text
        match similarities ``S = s * cos(x, T_c)`` with the learned prompts (class 0 = normal, its plain
        prompt embedding: the NVP needs normal training videos). Rows past ``lengths`` are 0."""
        frames, valid, _ = self._frames(features, lengths)
        logits = self.logit_scale * F.normalize(frames, dim=-1) @ self.text_embeddings().T
        return torch.softmax(logits, dim=-1) * valid[..., None].to(logits.dtype)

    def reference_optimizer(self) -> torch.optim.Optimizer:
        """Adam over the trainable parameters (prompt context, ``text_projection``, NVP, TCSAL, classifier),
        lr :attr:`lr` (1e-3; 1e-4 for XD-Violence), weight decay :attr:`weight_decay` (5e-3); see the doc."""
        trainable = [parameter for parameter in self.parameters() if parameter.requires_grad]
        return torch.optim.Adam(trainable, lr=self.lr, weight_decay=self.weight_decay)

    def _video_classes(self, batch: WeakBatch, normal: torch.Tensor, abnormal: torch.Tensor) -> torch.Tensor:
        """The abnormal videos' class indices, checked against the labels and the class list."""
        if batch.classes is None:
            raise ValidationError("tpwng: needs the videos' class indices (WeakBatch.classes)")
        classes = batch.classes.to(torch.long)
        if classes.shape != batch.labels.shape:
            raise ValidationError(
                f"tpwng: classes must have shape {tuple(batch.labels.shape)}, got {tuple(classes.shape)}"
            )
        if bool((classes[normal] != 0).any()):
            raise ValidationError(f"tpwng: normal videos must have class 0, got {classes[normal].tolist()}")
        own = classes[abnormal]
        if bool(((own < 1) | (own >= len(self.classes))).any()):
            raise ValidationError(
                f"tpwng: abnormal videos need an anomaly class in [1, {len(self.classes) - 1}], "
                f"got {own.tolist()}"
            )
        return own

    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """Every training term of the paper on a batch of paired normal and abnormal videos (Eq. (14)):

        ``total = L_cl + L^n_rank + L^a_rank + L_dil + lambda1 L_sp + lambda2 L_sm``.

        The ``i``-th abnormal video (in batch order) is guided by the NVP of the ``i``-th normal video, so the
        batch needs as many of each; ``batch.classes`` gives every video's class (0 for the normal ones).
        Pseudo-labels are regenerated from the current text branch at every call.
        """
        if batch.audio is not None:
            raise ValidationError("tpwng: takes no audio features (CLIP image features only)")
        frames, valid, _ = self._frames(batch.features, batch.lengths)
        normal, abnormal = split_bags(batch.labels, frames.shape[0], "tpwng")
        require_pairs(normal, abnormal, "tpwng", "each abnormal video is guided by one normal video's NVP")
        own = self._video_classes(batch, normal, abnormal)
        text = self.text_embeddings()
        unit = F.normalize(frames, dim=-1)
        scale = self.logit_scale
        normal_frames, normal_valid = unit[normal], valid[normal]
        abnormal_frames, abnormal_valid = unit[abnormal], valid[abnormal]

        normal_normal = scale * normal_frames @ text[0]
        normal_anomaly = scale * normal_frames @ text[1:].T
        enhanced = F.normalize(
            self.normality_prompt(normal_frames, normal_normal, text[0], normal_valid), dim=-1
        )
        abnormal_normal = scale * torch.einsum("atd,ad->at", abnormal_frames, enhanced)
        abnormal_all = scale * abnormal_frames @ text.T
        abnormal_own = abnormal_all.gather(2, own[:, None, None].expand(-1, frames.shape[1], 1)).squeeze(-1)
        anomaly_index = torch.arange(1, len(self.classes), device=own.device)
        others = anomaly_index[None, :] != own[:, None]
        other = abnormal_all[:, :, 1:][others[:, None, :].expand(-1, frames.shape[1], -1)].reshape(
            own.shape[0], frames.shape[1], -1
        )

        gamma, _ = pseudo_labels(abnormal_own, abnormal_normal, abnormal_valid, self.alpha, self.theta)
        labels = torch.zeros_like(valid, dtype=frames.dtype)
        labels[abnormal] = gamma
        normalized_own = minmax_normalize(abnormal_own, abnormal_valid)
        parts = {
            "classification": classification_loss(self.temporal(frames), labels, valid),
            "normal_ranking": normal_ranking_loss(normal_normal, normal_anomaly, normal_valid, self.margin),
            "abnormal_ranking": abnormal_ranking_loss(
                abnormal_own, abnormal_normal, other, abnormal_valid, self.margin
            ),
            "dil": distribution_inconsistency_loss(abnormal_own, abnormal_normal, abnormal_valid),
            "sp": smoothness_loss(normalized_own, abnormal_valid),
            "sm": sparsity_loss(normalized_own, abnormal_valid),
        }
        total = (
            parts["classification"]
            + parts["normal_ranking"]
            + parts["abnormal_ranking"]
            + parts["dil"]
            + self.lambda1 * parts["sp"]
            + self.lambda2 * parts["sm"]
        )
        report = {name: float(value.detach()) for name, value in parts.items()}
        report["pseudo_abnormal_fraction"] = float(gamma.sum() / abnormal_valid.sum())
        report["total"] = float(total.detach())
        return total, report
