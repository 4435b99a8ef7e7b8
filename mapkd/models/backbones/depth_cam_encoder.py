"""Lift-Splat camera encoder: EfficientNet-B0 -> 512 ch -> depth distribution x context."""
from __future__ import annotations

from torch import Tensor, nn

from mapkd.registry import MODELS

from .cam_encoder import UpFuse
from .efficient_net_b0 import EfficientNetB0


@MODELS.register_module()
class DepthCamEncoder(nn.Module):
    """Returns the lifted features (N, C, D, H/16, W/16) = softmax(depth) x context.

    Args:
        depth_bins: D (41 for dbound [4, 45, 1]).
        out_channels: C (64).
        mid_channels: width of the fused stride-16 map before ``depthnet`` (512 officially).
    """

    def __init__(self, depth_bins: int = 41, out_channels: int = 64, mid_channels: int = 512,
                 pretrained: str | None = None, drop_connect_rate: float = 0.2) -> None:
        super().__init__()
        self.depth_bins = depth_bins
        self.out_channels = out_channels
        self.trunk = EfficientNetB0(drop_connect_rate=drop_connect_rate, pretrained=pretrained)
        self.up1 = UpFuse(112 + 320, mid_channels, scale_factor=None)
        self.depthnet = nn.Conv2d(mid_channels, depth_bins + out_channels, kernel_size=1)

    def forward(self, images: Tensor) -> Tensor:
        reduction_4, reduction_5 = self.trunk(images)
        x = self.depthnet(self.up1(reduction_5, reduction_4))
        depth = x[:, :self.depth_bins].softmax(dim=1)
        context = x[:, self.depth_bins:self.depth_bins + self.out_channels]
        return depth.unsqueeze(1) * context.unsqueeze(2)
