"""EfficientNet-B0 trunk in ``efficientnet_pytorch``'s parameter layout (our own implementation).

Same key names as ``efficientnet_pytorch.EfficientNet`` (``_conv_stem``, ``_bn0``,
``_blocks.{i}._expand_conv/_bn0/_depthwise_conv/_bn1/_se_reduce/_se_expand/_project_conv/_bn2``)
so ImageNet weights and the official MapKD checkpoints load without renaming. The classifier
head (``_conv_head``, ``_bn1``, ``_fc``) is omitted: no MapKD model runs it.

Behaviour matches efficientnet_pytorch 0.7.1: BatchNorm momentum 0.01 / eps 1e-3, swish,
TensorFlow "same" padding computed statically from a reference image size (224, as
``EfficientNet.from_name``/``from_pretrained`` do), squeeze-excitation, and drop-connect scaled
by block index (active in training mode only).
"""
from __future__ import annotations

import math
import os.path as osp
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS

# (repeats, kernel, stride, expand_ratio, in_channels, out_channels) of the 7 B0 stages; se 0.25.
B0_STAGES = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
             (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
SE_RATIO = 0.25
BN_MOMENTUM = 0.01
BN_EPS = 1e-3
HEAD_KEY_PREFIXES = ('_conv_head.', '_bn1.', '_fc.')
IMAGENET_URL = 'https://github.com/lukemelas/EfficientNet-PyTorch/releases/download/1.0/efficientnet-b0-355c32eb.pth'


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF "same" padding (before, after) of one spatial dim of size ``size``."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class StaticSameConv2d(nn.Conv2d):
    """Conv2d with TF "same" padding fixed at construction for a reference input size."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 groups: int = 1, bias: bool = False, image_size: Sequence[int] = (224, 224)) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, groups=groups, bias=bias)
        pad_h = _same_padding(image_size[0], kernel_size, stride)
        pad_w = _same_padding(image_size[1], kernel_size, stride)
        self.static_padding = (pad_w[0], pad_w[1], pad_h[0], pad_h[1])

    def forward(self, x: Tensor) -> Tensor:
        if any(self.static_padding):
            x = F.pad(x, self.static_padding)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def drop_connect(x: Tensor, rate: float, training: bool) -> Tensor:
    """Stochastic depth per sample (efficientnet_pytorch's ``drop_connect``)."""
    if not training or rate <= 0:
        return x
    keep = 1.0 - rate
    mask = torch.floor(keep + torch.rand((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device))
    return x / keep * mask


class MBConvBlock(nn.Module):
    """Mobile inverted bottleneck with squeeze-excitation (efficientnet_pytorch layout)."""

    def __init__(self, kernel: int, stride: int, expand_ratio: int, in_channels: int, out_channels: int,
                 image_size: Sequence[int]) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.expand = expand_ratio != 1
        if self.expand:
            self._expand_conv = StaticSameConv2d(in_channels, hidden, 1, image_size=image_size)
            self._bn0 = nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM, eps=BN_EPS)
        self._depthwise_conv = StaticSameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden,
                                                image_size=image_size)
        self._bn1 = nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM, eps=BN_EPS)
        squeezed = max(1, int(in_channels * SE_RATIO))
        self._se_reduce = nn.Conv2d(hidden, squeezed, 1)
        self._se_expand = nn.Conv2d(squeezed, hidden, 1)
        out_size = [math.ceil(s / stride) for s in image_size]
        self._project_conv = StaticSameConv2d(hidden, out_channels, 1, image_size=out_size)
        self._bn2 = nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM, eps=BN_EPS)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, inputs: Tensor, drop_connect_rate: float = 0.0) -> Tensor:
        x = inputs
        if self.expand:
            x = F.silu(self._bn0(self._expand_conv(x)))
        x = F.silu(self._bn1(self._depthwise_conv(x)))
        squeezed = F.adaptive_avg_pool2d(x, 1)
        squeezed = self._se_expand(F.silu(self._se_reduce(squeezed)))
        x = torch.sigmoid(squeezed) * x
        x = self._bn2(self._project_conv(x))
        if self.residual:
            x = drop_connect(x, drop_connect_rate, self.training) + inputs
        return x


@MODELS.register_module()
class EfficientNetB0(nn.Module):
    """EfficientNet-B0 feature trunk returning the stride-16 and stride-32 endpoints.

    Args:
        drop_connect_rate: maximum drop-connect rate (0.2 as in B0), scaled by block index.
        reference_image_size: image size the static "same" paddings are computed for
            (224 = what ``EfficientNet.from_name('efficientnet-b0')`` uses).
        pretrained: optional local path or URL of efficientnet_pytorch ImageNet weights
            (e.g. :data:`IMAGENET_URL`); ``None`` (default) keeps random init, nothing is downloaded.
    """

    def __init__(self, drop_connect_rate: float = 0.2, reference_image_size: Sequence[int] = (224, 224),
                 pretrained: str | None = None) -> None:
        super().__init__()
        size = list(reference_image_size)
        self._conv_stem = StaticSameConv2d(3, 32, 3, stride=2, image_size=size)
        self._bn0 = nn.BatchNorm2d(32, momentum=BN_MOMENTUM, eps=BN_EPS)
        size = [math.ceil(s / 2) for s in size]
        blocks = []
        for repeats, kernel, stride, expand, cin, cout in B0_STAGES:
            for index in range(repeats):
                block_stride = stride if index == 0 else 1
                blocks.append(MBConvBlock(kernel, block_stride, expand, cin if index == 0 else cout, cout, size))
                size = [math.ceil(s / block_stride) for s in size]
        self._blocks = nn.ModuleList(blocks)
        self.drop_connect_rate = float(drop_connect_rate)
        self.out_channels = (112, 320)
        if pretrained:
            self.load_imagenet(pretrained)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Return (reduction_4 (112 ch, stride 16), reduction_5 (320 ch, stride 32))."""
        x = F.silu(self._bn0(self._conv_stem(x)))
        endpoints = []
        previous = x
        num_blocks = len(self._blocks)
        for index, block in enumerate(self._blocks):
            x = block(x, drop_connect_rate=self.drop_connect_rate * index / num_blocks)
            if previous.shape[2] > x.shape[2]:
                endpoints.append(previous)
            previous = x
        endpoints.append(x)
        if len(endpoints) != 5:
            raise ValueError(f'EfficientNetB0: input of size {tuple(x.shape)} gave {len(endpoints)} '
                             'resolution levels, expected 5 (use images at least 32 px high)')
        return endpoints[3], endpoints[4]

    def load_imagenet(self, path_or_url: str) -> None:
        """Load efficientnet_pytorch ImageNet weights (classifier head keys are skipped)."""
        if osp.isfile(path_or_url):
            state = torch.load(path_or_url, map_location='cpu', weights_only=True)
        elif '://' in path_or_url:
            state = torch.hub.load_state_dict_from_url(path_or_url, map_location='cpu', weights_only=True)
        else:
            raise FileNotFoundError(f'EfficientNetB0 pretrained weights not found: {path_or_url}')
        state = {k: v for k, v in state.items() if not k.startswith(HEAD_KEY_PREFIXES)}
        own = self.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        mismatched = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
        if missing or unexpected or mismatched:
            raise ValueError(f'{path_or_url} is not an efficientnet-b0 state dict: missing {missing[:5]}, '
                             f'unexpected {unexpected[:5]}, shape mismatch {mismatched[:5]}')
        self.load_state_dict(state, strict=True)
