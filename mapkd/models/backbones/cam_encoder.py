"""HDMapNet camera encoder: EfficientNet-B0 + 2-level fusion to C channels at stride 16."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS

from .efficient_net_b0 import EfficientNetB0


def conv_bn_relu_x2(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two conv3x3 (no bias) + BN + ReLU layers (keys ``0, 1, 3, 4``)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True))


class UpFuse(nn.Module):
    """Upsample the coarse map (bilinear, align_corners=True) to the fine one, concat [fine, coarse], 2 convs.

    ``scale_factor=None`` resizes to the fine map's size (LSS ``Up_L``); otherwise a fixed factor
    (HDMapNet ``Up``). Both give identical results when sizes divide evenly.
    """

    def __init__(self, in_channels: int, out_channels: int, scale_factor: float | None = 2) -> None:
        super().__init__()
        self.scale_factor = scale_factor
        self.conv = conv_bn_relu_x2(in_channels, out_channels)

    def forward(self, coarse: Tensor, fine: Tensor) -> Tensor:
        if self.scale_factor is None:
            coarse = F.interpolate(coarse, size=fine.shape[-2:], mode='bilinear', align_corners=True)
        else:
            coarse = F.interpolate(coarse, scale_factor=self.scale_factor, mode='bilinear', align_corners=True)
        return self.conv(torch.cat([fine, coarse], dim=1))


@MODELS.register_module()
class CamEncoder(nn.Module):
    """Per-image features (N, C, H/16, W/16): EfficientNet-B0 stride-16/32 endpoints fused by ``up1``.

    Args:
        out_channels: C (64 in every official model).
        pretrained: optional path/URL of ImageNet EfficientNet-B0 weights (never fetched by default).
    """

    def __init__(self, out_channels: int = 64, pretrained: str | None = None, drop_connect_rate: float = 0.2) -> None:
        super().__init__()
        self.out_channels = out_channels
        self.trunk = EfficientNetB0(drop_connect_rate=drop_connect_rate, pretrained=pretrained)
        self.up1 = UpFuse(112 + 320, out_channels, scale_factor=None)

    def forward(self, images: Tensor) -> Tensor:
        reduction_4, reduction_5 = self.trunk(images)
        return self.up1(reduction_5, reduction_4)
