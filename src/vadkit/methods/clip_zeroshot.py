"""``clip-zeroshot``: training-free anomaly detection by comparing CLIP snippet features with text prompts.

The class list is the user's (open vocabulary): any strings, the normal class first, e.g. ``["normal",
"fighting", "a car crash"]``. Each class ``c`` becomes one text embedding ``t_c``: every prompt template
(:data:`DEFAULT_TEMPLATES`, or the user's; ``{}`` stands for the class) filled with the class name, plus, for
the normal class, the extra ``normal_prompts`` (whole descriptions, used as written), encoded by
``CLIPModel.get_text_features``, each L2-normalised, averaged and normalised again (the prompt ensemble of
CLIP's paper, Radford et al. 2021, §3.1.4).

A snippet feature ``x`` (a CLIP image embedding, ``get_image_features``: the ``clip`` extractor's output or
VadCLIP's released features, from the same model) is L2-normalised and scored as zero-shot CLIP classifies:

* ``p = softmax(s * cos(x, t_c) over c)``, ``s = exp(logit_scale)`` the model's learned temperature (100 for
  OpenAI's models): :meth:`ClipZeroShot.class_scores`, ``(B, T, C)``;
* anomaly score ``1 - p_normal``: :meth:`ClipZeroShot.snippet_scores`;
* the snippet's class: the most probable anomaly class (``argmax`` over classes ``1 .. C-1``) with its
  probability ``p_c`` under the same softmax: :meth:`ClipZeroShot.snippet_classes`.

With several crops (``(B, crops, T, D)``) the probabilities are averaged over the crops. The features must be
raw CLIP embeddings: standardising them (``feature_norm="standardize"``) moves them out of CLIP's space.

The head has no parameters (:attr:`~vadkit.methods.base.WeakHead.trainable` is ``False``): its state is the
class text embeddings and the temperature, computed once when it is built (the CLIP model is loaded offline
through :func:`vadkit.models.clip_loading.load_clip` and released after), and saved as buffers in its
checkpoints. ``transformers`` is imported only then.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from vadkit.errors import ValidationError
from vadkit.methods.base import WeakBatch, WeakHead, register_method

DEFAULT_TEMPLATES: tuple[str, ...] = (
    "a video frame of {}.",
    "a photo of {}.",
    "a surveillance camera image of {}.",
    "a blurry photo of {}.",
    "a low resolution photo of {}.",
)
"""The default prompt ensemble: a frame of a (surveillance) video, as CLIP's ImageNet templates phrase
photos; ``{}`` is replaced by the class name."""


def _strings(what: str, values: Sequence[str], *, minimum: int) -> tuple[str, ...]:
    """``values`` as a tuple of non-empty strings, at least ``minimum`` of them, none repeated."""
    if isinstance(values, str):
        raise ValidationError(f"clip-zeroshot: {what} must be a list of strings, got the string {values!r}")
    items = tuple(values)
    if len(items) < minimum or not all(isinstance(v, str) and v.strip() for v in items):
        raise ValidationError(
            f"clip-zeroshot: {what} must hold at least {minimum} non-empty strings, got {list(items)!r}"
        )
    if len(set(items)) != len(items):
        raise ValidationError(f"clip-zeroshot: {what} repeat, got {list(items)!r}")
    return items


@dataclass(frozen=True)
class ZeroShotPrediction:
    """What :meth:`ClipZeroShot.predict` gives for one video of ``T`` snippets.

    Attributes:
        anomaly_scores: ``(T,)`` ``1 - p_normal``.
        classes: ``(T,)`` index of each snippet's most probable anomaly class (``1 .. C-1``).
        class_names: ``(T,)`` the names of those classes.
        class_probabilities: ``(T,)`` their probabilities (under the softmax over all ``C`` classes).
        probabilities: ``(T, C)`` the probability of every class, class 0 = normal.
    """

    anomaly_scores: np.ndarray
    classes: np.ndarray
    class_names: tuple[str, ...]
    class_probabilities: np.ndarray
    probabilities: np.ndarray


@register_method("clip-zeroshot")
class ClipZeroShot(WeakHead):
    """Zero-shot CLIP scoring of snippet features against class prompts (module docstring).

    Args:
        clip_model: a ``save_pretrained`` CLIP folder or a repo id in the local Hugging Face cache (never
            downloaded); the model whose image embeddings the features are.
        classes: the class names, normal first; any strings (open vocabulary), at least two.
        templates: prompt templates, each holding ``{}`` (the class name); default :data:`DEFAULT_TEMPLATES`.
        normal_prompts: extra descriptions of normal activity, averaged into the normal class's embedding.
        feature_dim: the feature size of the data, checked against the model's ``projection_dim``
            (``None``: not checked).

    Raises:
        ValidationError: invalid classes or templates, a model that cannot be found or is not CLIP, or a
            ``feature_dim`` that is not the model's embedding size.
    """

    class_aware = True
    trainable = False

    text_embeddings: torch.Tensor
    logit_scale: torch.Tensor

    def __init__(
        self,
        clip_model: str | os.PathLike[str],
        classes: Sequence[str],
        templates: Sequence[str] = DEFAULT_TEMPLATES,
        normal_prompts: Sequence[str] = (),
        feature_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.classes = _strings("classes", classes, minimum=2)
        self.templates = _strings("templates", templates, minimum=1)
        missing = [t for t in self.templates if "{}" not in t]
        if missing:
            raise ValidationError(f"clip-zeroshot: templates need a {{}} for the class name: {missing!r}")
        self.normal_prompts = _strings("normal_prompts", normal_prompts, minimum=0)
        self.prompts: tuple[tuple[str, ...], ...] = tuple(
            tuple(t.replace("{}", name) for t in self.templates) + (self.normal_prompts if k == 0 else ())
            for k, name in enumerate(self.classes)
        )
        """The prompts of each class, in class order (templates filled, then the normal prompts)."""
        from vadkit.models.clip_loading import load_clip

        clip = load_clip(clip_model, text=True)
        if feature_dim is not None and feature_dim != clip.projection_dim:
            raise ValidationError(
                f"clip-zeroshot: the features have {feature_dim} dimensions, the CLIP model {clip_model!r} "
                f"embeds in {clip.projection_dim}: they are not its image embeddings"
            )
        with torch.no_grad():
            ensembles = [
                F.normalize(F.normalize(clip.text_features(list(p)).float(), dim=-1).mean(dim=0), dim=0)
                for p in self.prompts
            ]
            scale = clip.model.logit_scale.detach().float().exp()
        self.register_buffer("text_embeddings", torch.stack(ensembles).cpu())
        self.register_buffer("logit_scale", scale.reshape(()).cpu())

    def class_scores(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T, C)`` class probabilities of ``(B, T, D)`` or ``(B, crops, T, D)`` features, averaged over
        crops (module docstring); rows past ``lengths`` are scored like the others and mean nothing."""
        views = features.unsqueeze(1) if features.dim() == 3 else features
        if views.dim() != 4 or views.shape[-1] != self.text_embeddings.shape[1]:
            raise ValidationError(
                f"clip-zeroshot: features must be (B, T, {self.text_embeddings.shape[1]}) or (B, crops, T, "
                f"{self.text_embeddings.shape[1]}), got {tuple(features.shape)}"
            )
        cosine = F.normalize(views.to(self.text_embeddings.dtype), dim=-1) @ self.text_embeddings.T
        return (self.logit_scale * cosine).softmax(dim=-1).mean(dim=1)

    def snippet_scores(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None, audio: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, T)`` anomaly scores ``1 - p_normal`` in ``[0, 1]``."""
        return (1.0 - self.class_scores(features, lengths)[..., 0]).clamp(0.0, 1.0)

    def snippet_classes(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T)`` index of each snippet's most probable anomaly class (``1 .. C-1``) and ``(B, T)`` its
        probability."""
        probabilities, index = self.class_scores(features, lengths)[..., 1:].max(dim=-1)
        return index + 1, probabilities

    def predict(self, features: np.ndarray) -> ZeroShotPrediction:
        """Scores and classes of one video's ``(T, D)`` or ``(T, crops, D)`` features (a ``clip`` extractor
        output or a VadCLIP feature file), without gradients."""
        array = np.asarray(features, dtype=np.float32)
        tensor = torch.from_numpy(array if array.ndim == 2 else array.transpose(1, 0, 2))[None]
        with torch.no_grad():
            probabilities = self.class_scores(tensor.to(self.text_embeddings.device))[0].cpu()
        chosen, index = probabilities[:, 1:].max(dim=-1)
        classes = (index + 1).numpy()
        return ZeroShotPrediction(
            anomaly_scores=(1.0 - probabilities[:, 0]).clamp(0.0, 1.0).numpy(),
            classes=classes,
            class_names=tuple(self.classes[int(k)] for k in classes),
            class_probabilities=chosen.numpy(),
            probabilities=probabilities.numpy(),
        )

    def loss(self, batch: WeakBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """Not defined: the method is training-free.

        Raises:
            ValidationError: always.
        """
        raise ValidationError("clip-zeroshot is training-free: it has no training objective")

    def reference_optimizer(self) -> torch.optim.Optimizer:
        """Not defined: the method has no parameters.

        Raises:
            ValidationError: always.
        """
        raise ValidationError("clip-zeroshot is training-free: it has no parameters to optimise")
