"""MapKD student feature expansion: camera BEV (64 ch) -> teacher-width BEV (192 ch)."""
from __future__ import annotations

from torch import Tensor, nn

from mapkd.registry import MODELS


@MODELS.register_module()
class FeatureExpansion(nn.Module):
    """conv3x3 in->out/2 + BN + ReLU, conv3x3 out/2->out + BN + ReLU (convs with bias)."""

    def __init__(self, in_channels: int = 64, out_channels: int = 192) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels // 2, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels // 2)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels // 2, out_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu2(self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x))))))
