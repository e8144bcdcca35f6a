"""VadCLIP: CLIP for weakly supervised video anomaly detection (Wu et al., AAAI 2024), as nwpu-zxr/VadCLIP.

CLIP image features of 16-frame snippets go through the local-global temporal adapter (LGT-Adapter: a
windowed-attention transformer, then two graph convolutions over a feature-similarity and a distance
adjacency). Two branches read the result:

* the **C-branch** (binary classifier): ``logits1 = classifier(v + mlp2(v))``, one anomaly logit per snippet,
  trained with top-k MIL binary cross-entropy; :meth:`VadCLIP.snippet_scores` is its sigmoid by default;
* the **A-branch** (alignment): learnable prompts around each class name go through CLIP's frozen text
  encoder; the text features are fused with the C-branch-weighted video feature (the "visual prompt"), and
  ``logits2`` is the snippet-class cosine similarity over 0.07, trained with class-wise top-k MIL
  (MIL-Align); :meth:`VadCLIP.class_scores` is its softmax over classes (class 0 = normal).

vadkit never picks a branch per test set: the binary score is the C-branch unless the model is built with
``score_branch="alignment"`` (then ``1 - softmax(logits2)[..., 0]``, the probability of "not normal").

Parameters own to VadCLIP keep the reference ``model.py`` ``CLIPVAD`` names and shapes; the frozen CLIP is a
``transformers`` ``CLIPModel`` under ``clipmodel.``. The authors' checkpoints (OpenAI-format CLIP keys under
``clipmodel.``) load through :func:`load_vadclip_checkpoint`. Exact behaviour, quirks and vadkit's choices:
``docs/methods/vadclip.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from vadkit.errors import ValidationError
from vadkit.methods.base import (
    EpochSchedule,
    TrainRecipe,
    TrainSequence,
    WeakBatch,
    WeakHead,
    create_method,
    load_strictly,
    read_state_dict,
    register_method,
)
from vadkit.methods.vadclip_layers import (
    DistanceAdj,
    GraphConvolution,
    LocalTransformer,
    QuickGELU,
    similarity_adjacency,
)
from vadkit.models.clip_text_prompts import encode_prompt_embeddings
from vadkit.models.hf_loading import ModelSource

ScoreBranch = Literal["binary", "alignment"]

UCF_CLASSES: tuple[str, ...] = (
    "normal",
    "abuse",
    "arrest",
    "arson",
    "assault",
    "burglary",
    "explosion",
    "fighting",
    "roadAccidents",
    "robbery",
    "shooting",
    "shoplifting",
    "stealing",
    "vandalism",
)
"""UCF-Crime prompts of ``ucf_train.py`` (label-map values; ``ucf_test.py`` capitalises them, which CLIP's
lower-casing tokenizer makes identical)."""

XD_CLASSES: tuple[str, ...] = ("normal", "fighting", "shooting", "riot", "abuse", "car accident", "explosion")
"""XD-Violence prompts (label map ``A, B1, B2, B4, B5, B6, G``), the same in training and test."""

TEMPERATURE = 0.07
"""``logits2 = cos(snippet, class) / 0.07``."""
WEIGHT_DECAY = 0.01
"""``torch.optim.AdamW``'s default, which the reference scripts keep."""


@dataclass(frozen=True)
class VadCLIPPreset:
    """The per-dataset settings of the reference option and training files.

    Attributes:
        dataset: which benchmark.
        classes: the prompt strings, normal first.
        visual_layers: blocks of the local transformer (``--visual-layers``).
        attn_window: snippets per attention window (``--attn-window``).
        lr: AdamW learning rate (``--lr``).
        text_loss_weight: weight of the text separation term (``loss3`` of the training scripts).
        batch_size: the reference ``--batch-size`` (UCF: per class; XD: rows per step).
    """

    dataset: str
    classes: tuple[str, ...]
    visual_layers: int
    attn_window: int
    lr: float
    text_loss_weight: float
    batch_size: int


UCF_PRESET = VadCLIPPreset("ucf-crime", UCF_CLASSES, 2, 8, 2e-5, 0.1, 64)
XD_PRESET = VadCLIPPreset("xd-violence", XD_CLASSES, 1, 64, 1e-5, 1e-4, 96)


def top_count(length: int) -> int:
    """``k = int(length / 16 + 1) = length // 16 + 1``, the snippets VadCLIP's MIL losses average."""
    return length // 16 + 1


def class_targets(classes: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``(B, C)`` float class targets from ``(B,)`` class indices (one-hot) or ``(B, C)`` multi-hot rows
    (XD-Violence videos with several labels, as the reference ``get_batch_label`` builds them).

    Raises:
        ValidationError: indices outside ``[0, C)``, a row without a class, a wrong shape, or a row that
            marks normal (class 0) together with an anomaly class.
    """
    if classes.ndim == 1:
        if classes.is_floating_point() and not bool((classes == classes.round()).all()):
            raise ValidationError(f"vadclip: class indices must be whole numbers, got {classes.tolist()}")
        index = classes.to(torch.int64)
        if bool(((index < 0) | (index >= num_classes)).any()):
            raise ValidationError(
                f"vadclip: class indices must lie in [0, {num_classes}), got {index.tolist()}"
            )
        return F.one_hot(index, num_classes).to(torch.float32)
    if classes.ndim != 2 or classes.shape[1] != num_classes:
        raise ValidationError(
            f"vadclip: classes must be (B,) indices or (B, {num_classes}) multi-hot, got "
            f"{tuple(classes.shape)}"
        )
    targets = classes.to(torch.float32)
    if not bool(((targets == 0) | (targets == 1)).all()) or bool((targets.sum(1) == 0).any()):
        raise ValidationError("vadclip: multi-hot classes must be 0/1 with at least one class per row")
    if bool(((targets[:, 0] == 1) & (targets[:, 1:].sum(1) > 0)).any()):
        raise ValidationError("vadclip: a row marks normal (class 0) together with an anomaly class")
    return targets


def _top_mean(values: torch.Tensor, length: int) -> torch.Tensor:
    """Mean of the ``top_count(length)`` largest of ``values[:length]`` along axis 0."""
    return values[:length].topk(top_count(length), dim=0).values.mean(dim=0)


def binary_mil_loss(logits: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The C-branch loss (reference ``CLAS2``): mean over videos of ``BCE(topk_mean(sigmoid(logits)), y)``.

    Args:
        logits: ``(B, T)`` C-branch logits.
        labels: ``(B,)`` 0 (normal) / 1 (abnormal), ``1 - targets[:, 0]`` in the reference.
        lengths: ``(B,)`` valid snippets; the top ``lengths // 16 + 1`` of the first ``lengths`` count.
    """
    probabilities = torch.sigmoid(logits)
    pooled = torch.stack([_top_mean(probabilities[i], int(n)) for i, n in enumerate(lengths.tolist())])
    return F.binary_cross_entropy(pooled, labels.to(pooled.dtype))


def mil_align_loss(logits: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """MIL-Align, the A-branch loss (reference ``CLASM``).

    Per video ``i`` and class ``c``: ``s_ic`` = mean of the top ``lengths[i] // 16 + 1`` of
    ``logits[i, :lengths[i], c]``; the loss is ``-mean_i sum_c q_ic log_softmax(s_i)_c`` with
    ``q_i = targets_i / sum(targets_i)`` (multi-hot rows share the mass equally).

    Args:
        logits: ``(B, T, C)`` A-branch logits.
        targets: ``(B, C)`` one-hot or multi-hot class targets.
        lengths: ``(B,)`` valid snippets.
    """
    pooled = torch.stack([_top_mean(logits[i], int(n)) for i, n in enumerate(lengths.tolist())])
    weights = targets.to(pooled.dtype)
    weights = weights / weights.sum(dim=1, keepdim=True)
    return -(weights * F.log_softmax(pooled, dim=1)).sum(dim=1).mean()


def text_separation_loss(text_features: torch.Tensor) -> torch.Tensor:
    """``mean_{c >= 1} |cos(t_0, t_c)|`` over the ``C`` class text features (class 0 = normal), unweighted.

    The reference adds ``sum_c |cos| / 13 * 0.1`` (UCF, 14 classes) and ``sum_c |cos| / 6 * 1e-4`` (XD, 7
    classes) to the loss: a mean over the ``C - 1`` anomaly classes times
    :attr:`VadCLIPPreset.text_loss_weight`.
    """
    normed = text_features / text_features.norm(dim=-1, keepdim=True)
    return (normed[1:] @ normed[0]).abs().mean()


@dataclass(frozen=True)
class VadCLIPOutputs:
    """The reference ``CLIPVAD.forward`` on ``N`` sequences of ``visual_length`` snippets.

    Attributes:
        text_features: ``(C, dim)`` prompt text features before the visual prompt (``text_features_ori``).
        logits1: ``(N, T)`` C-branch logits.
        logits2: ``(N, T, C)`` A-branch logits (cosine similarity / 0.07).
    """

    text_features: torch.Tensor
    logits1: torch.Tensor
    logits2: torch.Tensor


def _positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(f"vadclip: {name} must be a positive integer, got {value!r}")


@register_method("vadclip")
class VadCLIP(WeakHead):
    """VadCLIP (reference ``model.py`` ``CLIPVAD``) with the UCF-Crime settings; :class:`VadCLIPXD` has the
    XD-Violence ones. Defaults are the published configuration of :attr:`preset`.

    Args:
        clip_model: the frozen CLIP (``openai/clip-vit-base-patch16`` for the published models): a
            ``save_pretrained`` folder or a repo id in the local Hugging Face cache (never downloaded;
            :func:`vadkit.models.load_clip`). Its projection size is the snippet feature size.
        classes: prompt strings, class 0 = normal (default: the preset's).
        visual_length: snippets per sequence (256); every forward runs on sequences of exactly this length.
        visual_head: attention heads of the local transformer (1).
        visual_layers, attn_window: local transformer depth and window (preset: UCF 2 and 8, XD 1 and 64).
        prompt_prefix, prompt_postfix: learnable prompt positions before and after the class tokens (10, 10).
        score_branch: which branch :meth:`snippet_scores` reports: ``"binary"`` (C-branch sigmoid, default)
            or ``"alignment"`` (``1 - `` the A-branch softmax of class 0).
        lr: AdamW learning rate of :meth:`reference_optimizer` (preset: UCF 2e-5, XD 1e-5).
        text_loss_weight: weight of :func:`text_separation_loss` (preset: UCF 0.1, XD 1e-4).
        cache_dir, revision: see :func:`vadkit.models.resolve_model`.

    Inputs follow :mod:`vadkit.methods.base`; VadCLIP takes no audio. Scoring cuts each video into chunks
    of ``visual_length`` snippets (the last zero-padded) as the reference test does; ``(B, C, T, D)`` crops
    are scored one by one and averaged (the reference test lists hold one crop per video).
    """

    preset: ClassVar[VadCLIPPreset] = UCF_PRESET
    class_aware: ClassVar[bool] = True
    crops_as_bags: ClassVar[bool] = True
    train_sequence: ClassVar[TrainSequence] = TrainSequence("pool_or_pad", 256)
    """``utils/dataset.py``: ``tools.process_feat(feat, 256)`` (no random crop): videos longer than 256
    snippets are mean-pooled over ``int32(linspace(0, T, 257))`` segments, shorter ones zero-padded, the
    valid length kept (:func:`vadkit.snippets.pool_or_pad`)."""
    train_recipe: ClassVar[TrainRecipe] = TrainRecipe("balanced_crop_rows", EpochSchedule((4, 8), 0.1))
    """``ucf_train.py``: a normal and an abnormal ``DataLoader(batch_size=64, shuffle=True, drop_last=True)``
    over the one-row-per-crop csv (10 crops per video); ``MultiStepLR(milestones=[4, 8], gamma=0.1)``
    stepped after every epoch."""

    def __init__(
        self,
        clip_model: str | os.PathLike[str] | ModelSource,
        classes: Sequence[str] | None = None,
        *,
        visual_length: int = 256,
        visual_head: int = 1,
        visual_layers: int | None = None,
        attn_window: int | None = None,
        prompt_prefix: int = 10,
        prompt_postfix: int = 10,
        score_branch: ScoreBranch = "binary",
        lr: float | None = None,
        text_loss_weight: float | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        revision: str = "main",
    ) -> None:
        super().__init__()
        from vadkit.models.clip_loading import load_clip

        preset = self.preset
        self.classes = tuple(preset.classes if classes is None else classes)
        layers = preset.visual_layers if visual_layers is None else visual_layers
        window = preset.attn_window if attn_window is None else attn_window
        _positive(visual_length=visual_length, visual_head=visual_head, visual_layers=layers)
        if len(self.classes) < 2 or any(not isinstance(c, str) or not c.strip() for c in self.classes):
            raise ValidationError(f"vadclip: need at least 2 non-empty class names, got {self.classes!r}")
        if isinstance(prompt_prefix, bool) or prompt_prefix < 0 or prompt_postfix < 0:
            raise ValidationError("vadclip: prompt_prefix and prompt_postfix must be non-negative integers")
        if score_branch not in ("binary", "alignment"):
            raise ValidationError(
                f"vadclip: score_branch must be 'binary' or 'alignment', got {score_branch!r}"
            )
        self.lr = preset.lr if lr is None else float(lr)
        self.text_loss_weight = (
            preset.text_loss_weight if text_loss_weight is None else float(text_loss_weight)
        )
        if not (self.lr > 0 and math.isfinite(self.lr)) or not self.text_loss_weight >= 0:
            raise ValidationError("vadclip: lr must be positive and text_loss_weight non-negative")
        self.score_branch: ScoreBranch = score_branch
        self.visual_length = visual_length
        self.prompt_prefix = prompt_prefix
        self.prompt_postfix = prompt_postfix

        clip = load_clip(clip_model, text=True, cache_dir=cache_dir, revision=revision)
        width = clip.projection_dim
        if width % 2 or width % visual_head:
            raise ValidationError(
                f"vadclip: the CLIP projection size {width} must be even and divisible by visual_head"
            )
        self.feature_dim = width
        half = width // 2
        self.temporal = LocalTransformer(width, layers, visual_head, visual_length, window)
        self.gc1 = GraphConvolution(width, half)
        self.gc2 = GraphConvolution(half, half)
        self.gc3 = GraphConvolution(width, half)
        self.gc4 = GraphConvolution(half, half)
        self.disAdj = DistanceAdj()
        self.linear = nn.Linear(width, width)
        self.gelu = QuickGELU()
        self.mlp1 = _mlp(width)
        self.mlp2 = _mlp(width)
        self.classifier = nn.Linear(width, 1)
        self.clipmodel = clip.model.requires_grad_(False)
        text_config = self.clipmodel.config.text_config
        self.frame_position_embeddings = nn.Embedding(visual_length, width)
        self.text_prompt_embeddings = nn.Embedding(
            text_config.max_position_embeddings, text_config.hidden_size
        )
        nn.init.normal_(self.text_prompt_embeddings.weight, std=0.01)
        nn.init.normal_(self.frame_position_embeddings.weight, std=0.01)
        tokens, from_tokens, eot = self._prompt_layout(clip.tokenizer, text_config.max_position_embeddings)
        self.prompt_tokens: torch.Tensor
        self.prompt_from_tokens: torch.Tensor
        self.prompt_eot: torch.Tensor
        self.register_buffer("prompt_tokens", tokens, persistent=False)
        self.register_buffer("prompt_from_tokens", from_tokens, persistent=False)
        self.register_buffer("prompt_eot", eot, persistent=False)

    def _prompt_layout(self, tokenizer: Any, context: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Token ids per prompt position ``(C, context)``, whether the position takes a token embedding
        ``(C, context)``, and each prompt's EOT position ``(C,)`` (see :meth:`prompt_embeddings`)."""
        tokens = torch.zeros(len(self.classes), context, dtype=torch.int64)
        from_tokens = torch.zeros(len(self.classes), context, dtype=torch.bool)
        eot = torch.zeros(len(self.classes), dtype=torch.int64)
        for row, name in enumerate(self.classes):
            ids = list(tokenizer(name)["input_ids"])
            if ids[0] != tokenizer.bos_token_id or ids[-1] != tokenizer.eos_token_id:
                raise ValidationError(f"vadclip: the tokenizer did not wrap {name!r} in start/end tokens")
            end = len(ids) - 1
            eot[row] = self.prompt_prefix + end + self.prompt_postfix
            if eot[row] >= context:
                raise ValidationError(
                    f"vadclip: the prompt of {name!r} ({end - 1} tokens + prefix {self.prompt_prefix} + "
                    f"postfix {self.prompt_postfix}) does not fit CLIP's context of {context}"
                )
            positions = [0, *range(self.prompt_prefix + 1, self.prompt_prefix + end), int(eot[row])]
            tokens[row, positions] = torch.tensor(ids)
            from_tokens[row, positions] = True
        return tokens, from_tokens, eot

    def prompt_embeddings(self) -> torch.Tensor:
        """``(C, context, width)`` text-encoder inputs (reference ``encode_textprompt``).

        Every row starts as the learnable ``text_prompt_embeddings``; CLIP's token embeddings then replace
        position 0 (start of text), positions ``[prefix + 1, prefix + ind)`` (the class name's tokens, ``ind``
        its end-of-text index from the tokenizer) and position ``prefix + ind + postfix`` (end of text).
        """
        learned = self.text_prompt_embeddings.weight.unsqueeze(0).expand(len(self.classes), -1, -1)
        words = self.clipmodel.text_model.embeddings.token_embedding(self.prompt_tokens)
        return torch.where(self.prompt_from_tokens.unsqueeze(-1), words.to(learned.dtype), learned)

    def text_features(self) -> torch.Tensor:
        """``(C, dim)`` CLIP text features of the prompts (gradients reach only ``text_prompt_embeddings``).

        The frozen CLIP's parameters get none.
        """
        return encode_prompt_embeddings(self.clipmodel, self.prompt_embeddings(), self.prompt_eot)

    def encode_video(self, features: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """The LGT-Adapter (reference ``encode_video``): ``(N, visual_length, D) -> (N, visual_length, D)``.

        ``x = temporal(features + frame_position_embeddings)`` (windowed attention, no padding mask); then
        ``x1 = g(gc2(g(gc1(x, A_sim)), A_sim))``, ``x2 = g(gc4(g(gc3(x, A_dis)), A_dis))`` with ``g``
        QuickGELU, ``A_sim`` from :func:`~vadkit.methods.vadclip_layers.similarity_adjacency` (restricted to
        ``lengths``) and ``A_dis`` the distance adjacency over all rows; ``linear([x1, x2])``.
        """
        dtype = self.frame_position_embeddings.weight.dtype
        x = self.temporal(features.to(dtype) + self.frame_position_embeddings.weight)
        similarity = similarity_adjacency(x, lengths)
        distance = self.disAdj(x.shape[0], x.shape[1]).to(dtype)
        local = self.gelu(self.gc2(self.gelu(self.gc1(x, similarity)), similarity))
        spread = self.gelu(self.gc4(self.gelu(self.gc3(x, distance)), distance))
        return self.linear(torch.cat([local, spread], dim=2))

    def forward(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> VadCLIPOutputs:
        """The reference ``CLIPVAD.forward`` on ``(N, visual_length, D)`` sequences.

        ``v = encode_video(x)``; ``logits1 = classifier(v + mlp2(v))``; the visual prompt
        ``a = normalise(logits1^T v)`` (raw logits weight every row, padding included); ``t = text + a``,
        ``t = t + mlp1(t)`` per video; ``logits2 = normalise(v) normalise(t)^T / 0.07``.
        """
        self._check_sequences(features)
        visual = self.encode_video(features, lengths)
        logits1 = self.classifier(visual + self.mlp2(visual))
        text = self.text_features()
        attention = logits1.transpose(1, 2) @ visual
        attention = attention / attention.norm(dim=-1, keepdim=True)
        fused = text.unsqueeze(0).to(visual.dtype) + attention
        fused = fused + self.mlp1(fused)
        visual_norm = visual / visual.norm(dim=-1, keepdim=True)
        fused_norm = fused / fused.norm(dim=-1, keepdim=True)
        logits2 = visual_norm @ fused_norm.transpose(1, 2) / TEMPERATURE
        return VadCLIPOutputs(text, logits1.squeeze(-1), logits2)

    def _check_sequences(self, features: torch.Tensor) -> None:
        if (
            features.ndim != 3
            or features.shape[1] != self.visual_length
            or features.shape[2] != self.feature_dim
        ):
            raise ValidationError(
                f"vadclip: sequences must have shape (N, {self.visual_length}, {self.feature_dim}) (pool "
                f"or pad training videos with vadkit.snippets.pool_or_pad), got {tuple(features.shape)}"
            )

    def _video_probabilities(
        self, features: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-video ``(B, T)`` C-branch sigmoid, ``(B, T, C)`` A-branch softmax and the ``(B,)`` lengths,
        computed on ``visual_length`` chunks (reference ``process_split`` and test lengths) and 0 past each
        video's length; crops averaged."""
        if features.ndim == 3:
            features = features.unsqueeze(1)
        if features.ndim != 4 or 0 in features.shape or features.shape[-1] != self.feature_dim:
            raise ValidationError(
                f"vadclip: features must have shape (B, T, {self.feature_dim}) or (B, crops, T, "
                f"{self.feature_dim}), got {tuple(features.shape)}"
            )
        batch, crops, steps, dim = features.shape
        counts = _lengths(lengths, batch, steps)
        size = self.visual_length
        chunks, chunk_lengths = [], []
        for video, count in zip(
            features.flatten(0, 1), counts.repeat_interleave(crops).tolist(), strict=True
        ):
            pieces = math.ceil(count / size)
            chunks.append(F.pad(video[:count], (0, 0, 0, pieces * size - count)).reshape(pieces, size, dim))
            chunk_lengths += [min(size, count - i * size) for i in range(pieces)]
        outputs = self(torch.cat(chunks), torch.tensor(chunk_lengths, device=features.device))
        binary_rows = torch.sigmoid(outputs.logits1).flatten(0, 1)
        class_rows = outputs.logits2.softmax(dim=-1).flatten(0, 1)
        binary = binary_rows.new_zeros(batch * crops, steps)
        classes = class_rows.new_zeros(batch * crops, steps, len(self.classes))
        start = 0
        for row, count in enumerate(counts.repeat_interleave(crops).tolist()):
            binary[row, :count] = binary_rows[start : start + count]
            classes[row, :count] = class_rows[start : start + count]
            start += math.ceil(count / size) * size
        binary = binary.reshape(batch, crops, steps).mean(dim=1)
        classes = classes.reshape(batch, crops, steps, -1).mean(dim=1)
        return binary, classes, counts

    def snippet_scores(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, T)`` anomaly probabilities, 0 past ``lengths``; the branch is :attr:`score_branch`.

        ``"binary"`` (default): the C-branch, ``sigmoid(logits1)`` (the reference's ``AUC1``/``AP1``).
        ``"alignment"``: the A-branch, ``1 - softmax(logits2)[..., 0]`` (the reference's ``AUC2``/``AP2``;
        the XD-Violence AP published in the paper is this one). Call ``eval()`` first.
        """
        if audio is not None:
            raise ValidationError("vadclip: takes no audio features (CLIP image features only)")
        binary, classes, counts = self._video_probabilities(features, lengths)
        if self.score_branch == "binary":
            return binary
        steps = torch.arange(binary.shape[1], device=binary.device)
        valid = steps[None, :] < counts.to(binary.device)[:, None]
        return torch.where(valid, 1 - classes[..., 0], torch.zeros_like(binary))

    def class_scores(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T, C)`` A-branch class probabilities (``softmax(logits2)`` over :attr:`classes`, class 0 =
        normal), each valid snippet's row summing to 1, zero rows past ``lengths``; what the reference feeds
        its mAP@IoU evaluation. Always the A-branch, whatever :attr:`score_branch`."""
        return self._video_probabilities(features, lengths)[1]

    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """The reference training objective on ``N`` pooled/padded sequences (any order of classes).

        ``total = binary_mil + mil_align + text_loss_weight * text_separation`` with
        :func:`binary_mil_loss` (C-branch, ``CLAS2``), :func:`mil_align_loss` (A-branch, ``CLASM``) and
        :func:`text_separation_loss`; ``k = lengths // 16 + 1`` per video.

        Needs ``batch.classes`` (``(N,)`` indices into :attr:`classes`, or ``(N, C)`` multi-hot), consistent
        with ``batch.labels`` (label 1 exactly when class 0 is not set); features ``(N, visual_length, D)``.
        """
        if batch.audio is not None:
            raise ValidationError("vadclip: takes no audio features (CLIP image features only)")
        if batch.classes is None:
            raise ValidationError("vadclip: loss needs batch.classes (video-level class indices, 0 = normal)")
        features = batch.features
        self._check_sequences(features)
        counts = _lengths(batch.lengths, features.shape[0], features.shape[1]).to(features.device)
        targets = class_targets(batch.classes, len(self.classes)).to(features.device)
        if batch.labels.shape != (features.shape[0],):
            raise ValidationError(f"vadclip: labels must have shape ({features.shape[0]},)")
        binary = 1 - targets[:, 0]
        if not torch.equal(batch.labels.to(binary.device, binary.dtype), binary):
            raise ValidationError(
                "vadclip: labels disagree with classes (label 1 exactly for non-normal classes)"
            )
        outputs = self(features, counts)
        parts = {
            "binary_mil": binary_mil_loss(outputs.logits1, binary, counts),
            "mil_align": mil_align_loss(outputs.logits2, targets, counts),
            "text_separation": self.text_loss_weight * text_separation_loss(outputs.text_features),
        }
        total = parts["binary_mil"] + parts["mil_align"] + parts["text_separation"]
        return total, {**{k: float(v.detach()) for k, v in parts.items()}, "total": float(total.detach())}

    def reference_optimizer(self) -> torch.optim.Optimizer:
        """``AdamW(lr)`` with PyTorch's defaults (betas (0.9, 0.999), eps 1e-8, weight decay 0.01), lr 2e-5
        (UCF) or 1e-5 (XD), over the trainable parameters (the frozen CLIP gets no gradients in the
        reference either, so AdamW skips it there)."""
        trainable = [p for p in self.parameters() if p.requires_grad]
        return torch.optim.AdamW(trainable, lr=self.lr, weight_decay=WEIGHT_DECAY)


@register_method("vadclip_xd")
class VadCLIPXD(VadCLIP):
    """VadCLIP with the XD-Violence settings (``xd_option.py``, ``xd_train.py``): 7 classes, one local
    transformer layer, 64-snippet windows, lr 1e-5, text separation weight 1e-4 (see :class:`VadCLIP`)."""

    preset: ClassVar[VadCLIPPreset] = XD_PRESET
    train_recipe: ClassVar[TrainRecipe] = TrainRecipe("shuffled_crop_rows", EpochSchedule((3, 6, 10), 0.1))
    """``xd_train.py``: one ``DataLoader(batch_size=96, shuffle=True)`` over all crop rows (trainer
    ``batch_size`` 48 gives the 96 rows); ``MultiStepLR(milestones=[3, 6, 10], gamma=0.1)`` stepped after
    every epoch (with 10 epochs the milestone 10 is never reached)."""


def _mlp(width: int) -> nn.Sequential:
    """``c_fc = Linear(w, 4w)``, QuickGELU, ``c_proj = Linear(4w, w)`` (reference ``mlp1``/``mlp2``)."""
    mlp = nn.Sequential()
    mlp.add_module("c_fc", nn.Linear(width, width * 4))
    mlp.add_module("gelu", QuickGELU())
    mlp.add_module("c_proj", nn.Linear(width * 4, width))
    return mlp


def _lengths(lengths: torch.Tensor | None, batch: int, steps: int) -> torch.Tensor:
    """``(batch,)`` int64 valid lengths in ``[1, steps]`` (all ``steps`` when ``None``)."""
    if lengths is None:
        return torch.full((batch,), steps, dtype=torch.int64)
    if lengths.shape != (batch,):
        raise ValidationError(f"vadclip: lengths must have shape ({batch},), got {tuple(lengths.shape)}")
    if lengths.is_floating_point() and not bool((lengths == lengths.round()).all()):
        raise ValidationError(f"vadclip: lengths must be whole numbers, got {lengths.tolist()}")
    counts = lengths.detach().to("cpu", torch.int64)
    if bool(((counts < 1) | (counts > steps)).any()):
        raise ValidationError(f"vadclip: lengths must lie in [1, {steps}], got {counts.tolist()}")
    return counts


def convert_vadclip_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A VadCLIP state dict with its ``clipmodel.`` entries in ``transformers`` names.

    Entries in OpenAI names (the authors' releases, recognised by ``clipmodel.token_embedding.weight``) are
    converted by :func:`vadkit.models.openai_clip_keys.convert_openai_clip_state_dict`; a state dict already
    in ``transformers`` names (saved by vadkit) is returned as it is.
    """
    from vadkit.models.openai_clip_keys import convert_openai_clip_state_dict

    prefix = "clipmodel."
    if prefix + "token_embedding.weight" not in state:
        return dict(state)
    own = {k: v for k, v in state.items() if not k.startswith(prefix)}
    clip = convert_openai_clip_state_dict(
        {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    )
    return {**own, **{prefix + k: v for k, v in clip.items()}}


def load_vadclip_checkpoint(
    path: str | Path,
    clip_model: str | os.PathLike[str] | ModelSource,
    *,
    method: str = "vadclip",
    **config: Any,
) -> VadCLIP:
    """Build ``method`` (``"vadclip"`` for ``model_ucf.pth``, ``"vadclip_xd"`` for ``model_xd.pth``) on
    ``clip_model`` and load a checkpoint into it strictly, weights-only.

    The authors' files hold the whole ``CLIPVAD`` state dict, OpenAI CLIP included (``clipmodel.*``, fp16 for
    a GPU-trained model): its keys are converted (:func:`convert_vadclip_state_dict`) and every tensor
    loaded, cast to the model's dtype. ``clip_model`` supplies the config and tokenizer (its weights are
    replaced by the checkpoint's).

    Raises:
        ValidationError: unreadable file, or keys/shapes that differ from the model (listed).
    """
    model = create_method(method, clip_model=clip_model, **config)
    if not isinstance(model, VadCLIP):
        raise ValidationError(f"load_vadclip_checkpoint: {method!r} is not a VadCLIP method")
    load_strictly(model, convert_vadclip_state_dict(read_state_dict(path)), path, method)
    return model
