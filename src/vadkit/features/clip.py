"""The ``clip`` extractor: CLIP image embeddings per snippet, through ``transformers``, from local weights.

One D-dimensional vector per snippet and view, D the model's ``projection_dim`` (512 for ViT-B/16): the
projected image embedding of ``CLIPModel.get_image_features`` (the output of OpenAI's ``encode_image``),
computed by ``CLIPVisionModelWithProjection`` (the image tower only). The model is a ``save_pretrained``
folder or a repo id in the local Hugging Face cache, loaded offline (:mod:`vadkit.models.hf_loading`).

**What VadCLIP's released features are** (UCF-Crime and XD-Violence, ``<video>__<k>.npy``, (T, 512)):

* the backbone is "standard CLIP (ViT-B/16)" with "10crop features", per the author (nwpu-zxr/VadCLIP
  issue #1), i.e. OpenAI's ``clip.load("ViT-B/16")`` as in ``src/model.py``, whose ``encode_image`` gives
  the projected, **not** L2-normalised embedding; whether the files were normalised afterwards is not
  documented (VadCLIP's model feeds them to its temporal transformer without normalising them);
* one row per 16 frames, the last incomplete group dropped: a user counted 88 rows for a 1412-frame video
  (issue #30), T = floor(n/16);
* **which frame(s) of a 16-frame group are encoded is not documented**: the feature-extraction script was
  never released; users who encoded one frame in 16 (issues #6, #28) or the mean of all 16 (issue #29)
  report features different from the released ones. It is therefore chosen here, explicitly.

**Defaults** (each an option): ``frames="middle"``, ``snippet`` 16 frames, stride 16, ``"floor"``
(VadCLIP's T), ``crops="center"``, ``normalize=False`` (``encode_image``'s output), ``dtype="float32"``
(OpenAI's ``clip.load`` on a GPU runs in float16; ``dtype="float16"`` comes closer to that).

**Frames of a snippet** ``[start, start + length)``:

* ``"middle"`` (default): frame ``start + length // 2`` (frame 8 of 0..15: the later of the two central
  frames), the frame nearest the snippet's temporal centre; one encoding per snippet. In a last window that
  the video does not fill (``rounding="ceil"``) it is the video's last frame when the middle lies beyond
  it, the frame :func:`~vadkit.io.iter_snippet_windows` pads that position with.
* ``"first"``: frame ``start`` (frames 0, 16, 32, ...).
* ``"mean"``: the mean of the embeddings of every real frame of the window (padding positions of a last
  window are not counted); 16 encodings per snippet.

**Views and preprocessing** (the model's own CLIP image processor, PIL/NumPy,
:func:`~vadkit.models.clip_loading.image_processor_class`):

* ``crops="center"``: the processor as is: bicubic resize of the shortest side to ``size`` (224), center
  crop ``crop_size`` (224x224, offset ``(H - 224) // 2``, ``(W - 224) // 2``), rescale by 1/255,
  normalise with its ``image_mean`` / ``image_std``. Output ``(T, D)``.
* ``crops="five"`` / ``"ten"``: the processor's resize only (same bicubic shortest-side resize, rounded to
  uint8 as in the center path), then the views of :mod:`vadkit.features.crops` on the resized frame
  (torchvision ``FiveCrop`` / ``TenCrop`` order: top-left, top-right, bottom-left, bottom-right, center,
  then the same of the horizontally flipped frame; squares of ``crop_size``), then the processor's rescale
  and normalisation of each view. Output ``(T, 5 or 10, D)``. The center view's offset is
  ``round((H - 224) / 2)`` (halves to even), one pixel off the processor's floor when ``H - 224`` is odd.
  Note: VadCLIP's author answered (issue #2) that their ``__0`` is the center, ``__1``-``__4`` the corners
  and ``__5``-``__9`` the mirrored views (DeepMIL's order), not torchvision's; to compare with those files,
  reorder the views.

The pooled vector is L2-normalised per view when ``normalize=True`` (after the mean of ``"mean"``).

**Streaming.** Frames are decoded in order; only the frames a rule encodes are converted (all of them for
``"mean"``; for ``"middle"`` under ``"ceil"`` the frames from each window's start to its middle, in case the
video ends before it), queued and encoded ``batch_size`` images at a time under ``torch.inference_mode``.
Frames are preprocessed as they arrive; besides the output, memory holds one batch of model inputs and
one decoded frame.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from vadkit.errors import ValidationError
from vadkit.features.base import EXTRACTORS, Extractor
from vadkit.features.crops import CROP_MODES, crop_count, take_crops
from vadkit.io import VideoReader
from vadkit.models.hf_loading import model_digest, resolve_model
from vadkit.types import SnippetSpec

if TYPE_CHECKING:
    from vadkit.models.clip_loading import ClipComponents

FRAME_RULES = ("middle", "first", "mean")
"""How the frames of a snippet become one feature (see the module docstring)."""

DTYPES = ("float32", "float16", "bfloat16")
"""Weight and activation dtypes the model can run in."""


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValidationError(f"clip extractor: {name} must be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _snippet(value: SnippetSpec | Mapping[str, Any] | None, crops: int) -> SnippetSpec:
    """The snippet geometry with ``crops`` views (a given ``crops`` of 1, the default, is replaced)."""
    if value is None:
        return SnippetSpec(rounding="floor", crops=crops)
    if isinstance(value, Mapping):
        try:
            value = SnippetSpec.from_dict(value)
        except TypeError as exc:
            raise ValidationError(f"clip extractor: snippet {dict(value)!r} is not a SnippetSpec") from exc
    if not isinstance(value, SnippetSpec):
        raise ValidationError(f"clip extractor: snippet must be a SnippetSpec or a mapping, got {value!r}")
    if value.crops not in (1, crops):
        raise ValidationError(f"clip extractor: snippet crops {value.crops} disagree with the {crops} views")
    return replace(value, crops=crops)


@dataclass(frozen=True)
class _FramePlan:
    """Which frames a rule encodes, and for which windows."""

    spec: SnippetSpec
    rule: str

    @property
    def offset(self) -> int:
        """Position of the encoded frame in its window (``"first"`` and ``"middle"``)."""
        return self.spec.length // 2 if self.rule == "middle" else 0

    def wanted(self, index: int) -> bool:
        """Whether frame ``index`` must be converted."""
        if self.rule == "mean":
            return True
        if self.rule == "middle" and self.spec.rounding == "ceil":
            # Any frame up to a window's middle may turn out to be the video's last one.
            return index % self.spec.stride <= self.offset
        return index >= self.offset and (index - self.offset) % self.spec.stride == 0

    def targets(self, index: int) -> range:
        """The windows frame ``index`` is encoded for (possibly windows the video turns out not to have)."""
        stride, length = self.spec.stride, self.spec.length
        if self.rule == "mean":
            return range(max(0, -(-(index - length + 1) // stride)), index // stride + 1)
        if index < self.offset or (index - self.offset) % stride:
            return range(0)
        window = (index - self.offset) // stride
        return range(window, window + 1)

    def past_the_end(self, frames: int, snippets: int) -> list[int]:
        """The windows (of ``snippets``) whose encoded frame lies beyond the last of ``frames``."""
        if self.rule == "mean":
            return []
        return [k for k in range(snippets) if k * self.spec.stride + self.offset >= frames]


@EXTRACTORS.register("clip")
class ClipExtractor(Extractor):
    """CLIP image embeddings per snippet (see the module docstring for the exact rule).

    Args:
        model: a ``save_pretrained`` CLIP folder, or a repo id in the local Hugging Face cache (e.g.
            ``openai/clip-vit-base-patch16``); never downloaded.
        frames: ``"middle"``, ``"first"`` or ``"mean"``: the frame(s) of a snippet encoded.
        crops: ``"center"``, ``"five"`` or ``"ten"``: the views of each frame.
        normalize: L2-normalise each pooled vector.
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``: the model's dtype.
        snippet: the snippet geometry (a :class:`~vadkit.types.SnippetSpec` or its ``to_dict`` form),
            default 16 frames, stride 16, ``"floor"``; its ``crops`` follows ``crops``.
        revision: for a repo id, the cache ref or commit hash.
        cache_dir: the Hugging Face hub cache to search (default: ``HF_HUB_CACHE`` / ``HF_HOME``...).
        model_sha256: when given, the model's digest (:func:`~vadkit.models.hf_loading.model_digest`) must
            equal it: a config read back from a manifest then checks that the same weights are used.
        device: a torch device, or ``"auto"``: CUDA when available, else CPU.
        batch_size: images (frames x views) encoded per forward pass.

    ``device``, ``batch_size`` and ``cache_dir`` change where and how fast the numbers are computed, not
    what they are: they are not part of :meth:`config`.

    Raises:
        ValidationError: a setting out of range, or a model that cannot be found or is not CLIP.
    """

    name = "clip"

    def __init__(
        self,
        *,
        model: str | os.PathLike[str],
        frames: str = "middle",
        crops: str = "center",
        normalize: bool = False,
        dtype: str = "float32",
        snippet: SnippetSpec | Mapping[str, Any] | None = None,
        revision: str = "main",
        cache_dir: str | None = None,
        model_sha256: str | None = None,
        device: str = "auto",
        batch_size: int = 32,
    ) -> None:
        from vadkit.models.clip_loading import clip_projection_dim

        self.frames = _choice("frames", frames, FRAME_RULES)
        self.crops = _choice("crops", crops, tuple(CROP_MODES))
        self.dtype = _choice("dtype", dtype, DTYPES)
        if not isinstance(normalize, bool):
            raise ValidationError(f"clip extractor: normalize must be true or false, got {normalize!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError(f"clip extractor: batch_size must be an integer >= 1, got {batch_size!r}")
        self.normalize, self.batch_size, self.device = normalize, batch_size, str(device)
        self._snippet = _snippet(snippet, crop_count(self.crops))
        self.revision = str(revision)
        self.source = resolve_model(model, cache_dir=cache_dir, revision=self.revision)
        self.model_sha256 = model_digest(self.source.path)
        if model_sha256 is not None and model_sha256 != self.model_sha256:
            raise ValidationError(
                f"clip extractor: model {model!r} ({self.source.path}) has digest {self.model_sha256}, the "
                f"configuration asks for {model_sha256}"
            )
        self._dim = clip_projection_dim(self.source)
        self._components: ClipComponents | None = None

    @property
    def snippet(self) -> SnippetSpec:
        """The snippet geometry (T follows from it and the number of frames decoded)."""
        return self._snippet

    def config(self) -> dict[str, Any]:
        """The settings that shape the numbers, JSON-ready; ``create_extractor("clip", **config)`` rebuilds
        the extractor and checks that the model has the same digest."""
        return {
            "model": self.source.given,
            "revision": self.revision,
            "model_sha256": self.model_sha256,
            "frames": self.frames,
            "crops": self.crops,
            "normalize": self.normalize,
            "dtype": self.dtype,
            "snippet": self._snippet.to_dict(),
        }

    def feature_names(self) -> list[str]:
        """``clip.0`` ... ``clip.<D-1>``: the coordinates of the CLIP embedding space."""
        return [f"clip.{index}" for index in range(self._dim)]

    def __getstate__(self) -> dict[str, Any]:
        # Worker processes load the model themselves, on first use.
        return {**self.__dict__, "_components": None}

    def components(self) -> ClipComponents:
        """The loaded model and processor (loaded on first use, on :attr:`device`)."""
        if self._components is None:
            import torch

            from vadkit.models.clip_loading import load_clip

            device = self.device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            self._components = load_clip(self.source, device=device, dtype=self.dtype)
        return self._components

    def pixels(self, frames: list[np.ndarray]) -> np.ndarray:
        """``(N x views, 3, S, S)`` float32 model inputs of ``(H, W, 3)`` uint8 RGB frames, frame-major (the
        views of frame 0, then of frame 1...)."""
        processor = self.components().image_processor
        if self.crops == "center":
            return np.asarray(_process(processor, frames)["pixel_values"], dtype=np.float32)
        resized = _process(processor, frames, do_center_crop=False, do_rescale=False, do_normalize=False)
        stacked = np.asarray(resized["pixel_values"]).transpose(0, 2, 3, 1)
        crop = processor.crop_size
        if crop["height"] != crop["width"]:
            raise ValidationError(f"clip extractor: five/ten crops need a square crop_size, got {crop}")
        views = take_crops(stacked.astype(np.uint8), int(crop["height"]), self.crops).swapaxes(0, 1)
        flat = list(views.reshape(-1, *views.shape[2:]))
        return np.asarray(_process(processor, flat, do_resize=False, do_center_crop=False)["pixel_values"])

    def encode(self, frames: list[np.ndarray]) -> np.ndarray:
        """``(N, views, D)`` float32 embeddings of ``(H, W, 3)`` uint8 RGB frames (not normalised)."""
        return self._embed(self.pixels(frames), len(frames))

    def _embed(self, pixels: np.ndarray, count: int) -> np.ndarray:
        """``(count, views, D)`` embeddings of the model inputs of ``count`` frames (:meth:`pixels`)."""
        import torch

        with torch.inference_mode():
            embeddings = self.components().image_features(torch.from_numpy(pixels))
        return embeddings.float().cpu().numpy().reshape(count, crop_count(self.crops), self._dim)

    def extract(self, reader: VideoReader) -> np.ndarray:
        """``(T, D)`` (``crops="center"``) or ``(T, views, D)`` float32 features of the video, in one
        streaming pass over its frames.

        Raises:
            VideoDecodeError: from the reader, as its decode policy says.
            ValidationError: a video too short for one snippet (``rounding="floor"``), or non-finite output.
        """
        plan = _FramePlan(self._snippet, self.frames)
        views = crop_count(self.crops)
        sums: dict[int, np.ndarray] = {}
        counts: dict[int, int] = {}
        # Model inputs of the frames waiting to be encoded, and the windows each frame is encoded for.
        queue: list[tuple[np.ndarray, Sequence[int]]] = []

        def flush() -> None:
            if queue:
                embeddings = self._embed(np.concatenate([pixels for pixels, _ in queue]), len(queue))
                for (_, windows), embedding in zip(queue, embeddings, strict=True):
                    for window in windows:
                        sums[window] = sums[window] + embedding if window in sums else embedding.copy()
                        counts[window] = counts.get(window, 0) + 1
                queue.clear()

        frames, last = 0, np.empty(0, np.uint8)
        for frames, frame in enumerate(reader.iter_frames_where(plan.wanted), start=1):
            if frame is None:
                continue
            last = frame
            windows = plan.targets(frames - 1)
            if len(windows):
                queue.append((self.pixels([frame]), windows))
                if len(queue) * views >= self.batch_size:
                    flush()
        snippets = self._snippet.num_snippets(frames)
        if snippets == 0:
            raise ValidationError(
                f"{reader.path}: {frames} frames make no {self._snippet.length}-frame snippet under rounding "
                f"{self._snippet.rounding!r} (snippet={{'rounding': 'ceil'}} keeps a short video)"
            )
        short = plan.past_the_end(frames, snippets)
        if short:
            # The rule converted every frame that may be the last one: `last` is frame `frames - 1`.
            queue.append((self.pixels([last]), short))
        flush()
        features = np.stack([sums[k] / counts[k] for k in range(snippets)]).astype(np.float32)
        if self.normalize:
            norms = np.linalg.norm(features, axis=-1, keepdims=True)
            features = features / np.maximum(norms, np.finfo(np.float32).tiny)
        if not np.isfinite(features).all():
            raise ValidationError(f"{reader.path}: CLIP features are not finite")
        return features[:, 0] if self.crops == "center" else features


def _process(processor: Any, images: list[np.ndarray], **overrides: Any) -> Any:
    """``processor`` applied to ``(H, W, 3)`` images as NumPy arrays, with per-call ``overrides``."""
    return processor(images=images, return_tensors="np", input_data_format="channels_last", **overrides)
