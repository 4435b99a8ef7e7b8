"""HDMapNet BEV decoder ("BevEncode"): ResNet-18 trunk (no maxpool) + semantic/embedding/direction heads."""
from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn
from torchvision.models import resnet18
from torchvision.models.resnet import BasicBlock, conv1x1

from mapkd.models.backbones.cam_encoder import UpFuse
from mapkd.registry import MODELS

HEAD_PREFIXES = {'seg': ('up1', 'up2'), 'emb': ('up1_embedded', 'up2_embedded'),
                 'dir': ('up1_direction', 'up2_direction')}


def _up2(out_channels: int, width: int = 256) -> nn.Sequential:
    """x2 bilinear upsample, conv3x3 width->width/2 + BN + ReLU, conv1x1 -> out (keys 1, 2, 4)."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True),
                         nn.Conv2d(width, width // 2, 3, padding=1, bias=False), nn.BatchNorm2d(width // 2),
                         nn.ReLU(inplace=True), nn.Conv2d(width // 2, out_channels, 1))


def _basic_layer(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    """Two torchvision ``BasicBlock``s (a ResNet-18 stage) of a chosen width, zero-init residual BN."""
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))
    blocks = [BasicBlock(in_channels, out_channels, stride, downsample), BasicBlock(out_channels, out_channels)]
    for block in blocks:
        nn.init.zeros_(block.bn2.weight)
    return nn.Sequential(*blocks)


@MODELS.register_module()
class BevDecoder(nn.Module):
    """(B, in_channels, H, W) -> dict(seg (B,4,H,W), emb (B,16,H,W), dir (B,37,H,W)); H, W even.

    ``up1`` resizes the stride-8 map to the stride-2 one (= x4 when H, W divide by 8, as officially),
    so BEV sizes like 100x200 work too.

    Args:
        in_channels: input channels.
        num_classes / embed_dim / direction_dim: head widths (4 / 16 / 37).
        heads: which heads to build (a subset of ``('seg', 'emb', 'dir')``); a model that only
            needs the semantic logits (the teacher's first decoder) builds ``('seg',)``.
        direction_from_embedding_branch: original HDMapNet quirk: the direction head runs on
            ``up1_embedded``'s output (``up1_direction`` exists but is unused). MapKD/P-MapNet: False.
        head_channels: width of the heads' ``up1`` (256 officially; smaller for CPU-sized variants).
        trunk_channels: widths of the trunk's stem/layer1, layer2 and layer3 ((64, 128, 256) =
            torchvision ResNet-18, officially; smaller for CPU-sized variants).
    """

    def __init__(self, in_channels: int, num_classes: int = 4, embed_dim: int = 16, direction_dim: int = 37,
                 heads: Sequence[str] = ('seg', 'emb', 'dir'), direction_from_embedding_branch: bool = False,
                 head_channels: int = 256, trunk_channels: Sequence[int] = (64, 128, 256)) -> None:
        super().__init__()
        unknown = set(heads) - set(HEAD_PREFIXES)
        if unknown or not heads:
            raise ValueError(f'BevDecoder heads must be a non-empty subset of {tuple(HEAD_PREFIXES)}, got {heads}')
        if direction_from_embedding_branch and not {'emb', 'dir'} <= set(heads):
            raise ValueError('direction_from_embedding_branch needs both the "emb" and "dir" heads')
        self.heads = tuple(heads)
        self.direction_from_embedding_branch = direction_from_embedding_branch
        c1, c2, c3 = (int(c) for c in trunk_channels)
        self.conv1 = nn.Conv2d(in_channels, c1, kernel_size=7, stride=2, padding=3, bias=False)
        if (c1, c2, c3) == (64, 128, 256):
            trunk = resnet18(weights=None, zero_init_residual=True)
            self.bn1, self.relu = trunk.bn1, trunk.relu
            self.layer1, self.layer2, self.layer3 = trunk.layer1, trunk.layer2, trunk.layer3
        else:
            self.bn1, self.relu = nn.BatchNorm2d(c1), nn.ReLU(inplace=True)
            self.layer1 = _basic_layer(c1, c1, stride=1)
            self.layer2 = _basic_layer(c1, c2, stride=2)
            self.layer3 = _basic_layer(c2, c3, stride=2)
        widths = {'seg': num_classes, 'emb': embed_dim, 'dir': direction_dim}
        for head in self.heads:
            up1_name, up2_name = HEAD_PREFIXES[head]
            self.add_module(up1_name, UpFuse(c1 + c3, head_channels, scale_factor=None))
            self.add_module(up2_name, _up2(widths[head], head_channels))

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        x = self.relu(self.bn1(self.conv1(x)))
        x1 = self.layer1(x)
        x2 = self.layer3(self.layer2(x1))
        outputs = {}
        for head in self.heads:
            up1_name, up2_name = HEAD_PREFIXES[head]
            if head == 'dir' and self.direction_from_embedding_branch:
                up1_name = HEAD_PREFIXES['emb'][0]
            outputs[head] = getattr(self, up2_name)(getattr(self, up1_name)(x2, x1))
        return outputs
