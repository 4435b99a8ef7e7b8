"""A tiny map model following the MODEL CONTRACT, and a toy batch, for the distillation tests.

The real detectors are tested by their owners; here we need something that runs in
milliseconds on a CPU, with BatchNorm (to check frozen BN statistics) or without it (to
compare DDP with one process exactly).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mapkd.models.detectors.base import BaseMapModel
from mapkd.registry import MODELS

BEV_H, BEV_W = 32, 64


def _norm(channels: int, use_bn: bool) -> nn.Module:
    return nn.BatchNorm2d(channels) if use_bn else nn.Identity()


@MODELS.register_module(force=True)
class ToyMapModel(BaseMapModel):
    """Camera mean -> BEV conv -> 3 stride-2 convs (``bev_small``) -> up -> seg/emb/dir heads."""

    FEATURE_NAMES = ('topdown', 'bev_small', 'lidar_feature', 'bev_out', 'bev_up')

    def __init__(self, channels: int = 8, small_channels: int = 16, use_bn: bool = True,
                 use_lidar: bool = False, bev_size=(BEV_H, BEV_W), loss: dict | None = dict(type='MapTaskLoss'),
                 data_preprocessor: dict | None = None) -> None:
        super().__init__(loss=loss, data_preprocessor=data_preprocessor)
        self.bev_size = tuple(bev_size)
        self.use_lidar = use_lidar
        self.cam = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), _norm(channels, use_bn), nn.ReLU())
        self.lidar = nn.Conv2d(3, 2 * channels, 1)
        self.down = nn.Sequential(
            nn.Conv2d(channels, small_channels, 3, 2, 1), _norm(small_channels, use_bn), nn.ReLU(),
            nn.Conv2d(small_channels, small_channels, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(small_channels, small_channels, 3, 2, 1))
        self.out_proj = nn.Conv2d(small_channels, channels, 1)
        self.up = nn.Conv2d(small_channels, small_channels, 3, padding=1)
        self.head = nn.Conv2d(small_channels, 4 + 16 + 37, 1)

    def extract(self, inputs: dict) -> dict:
        image = inputs['imgs'].mean(1)
        image = F.interpolate(image, size=self.bev_size, mode='bilinear', align_corners=False)
        topdown = self.cam(image)
        lidar = self.lidar(image)
        bev_small = self.down(topdown + (lidar[:, :topdown.shape[1]] if self.use_lidar else 0))
        bev_up = F.relu(self.up(F.interpolate(bev_small, size=self.bev_size, mode='bilinear',
                                              align_corners=False)))
        seg, emb, direction = self.head(bev_up).split([4, 16, 37], dim=1)
        return dict(seg=seg, emb=emb, dir=direction, topdown=topdown, bev_small=bev_small,
                    lidar_feature=lidar, bev_out=self.out_proj(bev_small), bev_up=bev_up)

    def decode(self, bev_up: torch.Tensor) -> dict:
        """Run the head on a ``bev_up``-like feature (for cross-head distillation)."""
        seg, emb, direction = self.head(bev_up).split([4, 16, 37], dim=1)
        return dict(seg=seg, emb=emb, dir=direction)


def toy_batch(batch: int = 2, seed: int = 0, height: int = BEV_H, width: int = BEV_W,
              empty: bool = False) -> dict:
    """A collated batch of the data contract with a few straight map elements per sample."""
    gen = torch.Generator().manual_seed(seed)
    semantic = torch.zeros(batch, 4, height, width)
    instance = torch.zeros(batch, height, width, dtype=torch.long)
    direction = torch.zeros(batch, 37, height, width)
    direction[:, 0] = 1
    vectors = []
    for b in range(batch):
        items = []
        for k in range(0 if empty else 3):
            cls = k % 3
            row = int(torch.randint(2, height - 2, (1,), generator=gen))
            col0 = int(torch.randint(0, width // 2, (1,), generator=gen))
            col1 = col0 + width // 3
            semantic[b, cls + 1, row - 1:row + 2, col0:col1] = 1
            instance[b, row - 1:row + 2, col0:col1] = k + 1
            direction[b, 0, row, col0:col1] = 0
            direction[b, 1, row, col0:col1] = 1
            # ego metres of a 60 x 30 m grid sampled at width x height
            xs = torch.tensor([col0, col1 - 1], dtype=torch.float32) * (60.0 / width) - 30.0
            ys = torch.full((2,), row * (30.0 / height) - 15.0)
            items.append(dict(pts=torch.stack([xs, ys], 1).numpy(), type=cls))
        vectors.append(items)
    semantic[:, 0] = (semantic[:, 1:].sum(1) == 0).float()
    inputs = dict(imgs=torch.randn(batch, 6, 3, 16, 44, generator=gen),
                  trans=torch.zeros(batch, 6, 3), rots=torch.eye(3).expand(batch, 6, 3, 3).clone())
    samples = dict(semantic=semantic, instance=instance, direction=direction, gt_vectors=vectors,
                   token=[f'tok{b}' for b in range(batch)])
    return dict(inputs=inputs, data_samples=samples)
