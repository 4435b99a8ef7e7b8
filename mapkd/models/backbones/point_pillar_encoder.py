"""PointPillars LiDAR encoder in pure PyTorch (P-MapNet / HDMapNet ``PointPillarEncoder``)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from mapkd.models.view_transformers.grid import num_cells
from mapkd.registry import MODELS


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]


class PillarBlock(nn.Module):
    """``num_layers`` x (conv3x3 + BN + ReLU); the first conv has ``stride`` (keys ``layers.*``)."""

    def __init__(self, in_channels: int, out_channels: int, num_layers: int, stride: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for index in range(num_layers):
            layers += _conv_bn_relu(in_channels if index == 0 else out_channels, out_channels,
                                    stride if index == 0 else 1)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class PointNet(nn.Module):
    """Shared per-point Conv1d + BN + ReLU, zeroed on padded points (keys ``pointnet.{0,1}``)."""

    def __init__(self, in_channels: int = 15, out_channels: int = 64) -> None:
        super().__init__()
        self.pointnet = nn.Sequential(nn.Conv1d(in_channels, out_channels, 1, bias=False),
                                      nn.BatchNorm1d(out_channels), nn.ReLU(inplace=True))

    def forward(self, features: Tensor, mask: Tensor) -> Tensor:
        """features (B, P, F), mask (B, P) -> (B, C, P)."""
        return self.pointnet(features.permute(0, 2, 1)) * mask.unsqueeze(1)


def scatter_mean(values: Tensor, index: Tensor, size: int) -> Tensor:
    """Mean of ``values`` (B, P, F) per ``index`` (B, P) into (B, size, F); empty slots are 0.

    Every index occurrence counts (torch_scatter's ``scatter_mean`` semantics).
    """
    batch, _, feats = values.shape
    sums = values.new_zeros(batch, size, feats).scatter_add_(1, index.unsqueeze(-1).expand_as(values), values)
    counts = values.new_zeros(batch, size).scatter_add_(1, index, torch.ones_like(index, dtype=values.dtype))
    return sums / counts.clamp(min=1).unsqueeze(-1)


@MODELS.register_module()
class PointPillarEncoder(nn.Module):
    """Points (B, P, 5) + mask (B, P) -> BEV features (B, C, H, W), one pillar per BEV cell.

    Per-point features (15): x, y, z, intensity, time lag, point count of its pillar,
    xyz - pillar centroid, pillar centroid, xyz - pillar centre.

    Args:
        out_channels: C (128).
        xbound, ybound, zbound: grid; the pillar size is (xbound[2], ybound[2], zbound[2]).
        official_voxel_quirks: reproduce the official ``points_to_voxels`` exactly (default True,
            needed to match released weights): cell indices truncate toward zero (points up to one
            cell below the minimum land in row/column 0), and masked/out-of-range points are
            assigned to pillar 0 where they still count in its centroid and in the divisor of its
            pooled feature. False: floor indices, drop invalid points everywhere.
        width: PointNet / first backbone width (64 officially).
    """

    def __init__(self, out_channels: int = 128, xbound=(-30.0, 30.0, 0.15), ybound=(-15.0, 15.0, 0.15),
                 zbound=(-10.0, 10.0, 20.0), official_voxel_quirks: bool = True, width: int = 64) -> None:
        super().__init__()
        self.bounds = [list(map(float, b)) for b in (xbound, ybound, zbound)]
        self.grid_size = tuple(num_cells(b) for b in self.bounds)  # (gx, gy, gz)
        self.official_voxel_quirks = official_voxel_quirks
        self.register_buffer('voxel_size', torch.tensor([b[2] for b in self.bounds]), persistent=False)
        self.register_buffer('grid_offset', torch.tensor([b[0] for b in self.bounds]), persistent=False)
        wide, wider = 2 * width, 4 * width
        self.pn = PointNet(15, width)
        self.block1 = PillarBlock(width, width, 2, 1)
        self.block2 = PillarBlock(width, wide, 3, 2)
        self.block3 = PillarBlock(wide, wider, 3, 2)
        self.up1 = nn.Sequential(*_conv_bn_relu(width, width))
        self.up2 = nn.Sequential(nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True),
                                 *_conv_bn_relu(wide, wide))
        self.up3 = nn.Sequential(nn.Upsample(scale_factor=4, mode='bilinear', align_corners=True),
                                 *_conv_bn_relu(wider, wider))
        self.conv_out = nn.Sequential(*_conv_bn_relu(width + wide + wider, wider), *_conv_bn_relu(wider, wide),
                                      nn.Conv2d(wide, out_channels, 1))
        self.out_channels = out_channels

    def point_features(self, points: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (per-point features (B, P, 15), valid mask (B, P), pillar index (B, P))."""
        xyz = points[..., :3]
        gx, gy, gz = self.grid_size
        num_voxels = gx * gy * gz
        scaled = (xyz - self.grid_offset) / self.voxel_size
        coords = scaled.int() if self.official_voxel_quirks else torch.floor(scaled).int()
        limits = torch.tensor(self.grid_size, dtype=coords.dtype, device=coords.device)
        invalid = (mask < 1.0) | ((coords >= limits) | (coords < 0)).any(dim=-1)
        valid = (~invalid).to(xyz.dtype)
        index = (coords[..., 0].long() * gy + coords[..., 1].long()) * gz + coords[..., 2].long()
        index = torch.where(invalid, torch.zeros_like(index), index)
        centres = (0.5 + coords.to(xyz.dtype)) * self.voxel_size + self.grid_offset
        counts = xyz.new_zeros(xyz.shape[0], num_voxels).scatter_add_(1, index, valid)
        point_count = torch.gather(counts, 1, index)
        if self.official_voxel_quirks:
            centroids = scatter_mean(xyz, index, num_voxels)
        else:
            sums = xyz.new_zeros(xyz.shape[0], num_voxels, 3).scatter_add_(
                1, index.unsqueeze(-1).expand_as(xyz), xyz * valid.unsqueeze(-1))
            centroids = sums / counts.clamp(min=1).unsqueeze(-1)
        point_centroids = torch.gather(centroids, 1, index.unsqueeze(-1).expand(-1, -1, 3))
        features = torch.cat([points[..., :5], point_count.unsqueeze(-1), xyz - point_centroids,
                              point_centroids, xyz - centres], dim=-1)
        return features, valid, index

    def forward(self, points: Tensor, mask: Tensor) -> Tensor:
        if points.dim() != 3 or points.shape[-1] < 5 or mask.shape != points.shape[:2]:
            raise ValueError(f'PointPillarEncoder expects points (B, P, 5) and mask (B, P), '
                             f'got {tuple(points.shape)} and {tuple(mask.shape)}')
        gx, gy, gz = self.grid_size
        with torch.autocast(device_type=points.device.type, enabled=False):
            features, valid, index = self.point_features(points.float(), mask.float())
        point_feats = self.pn(features, valid)  # (B, C, P)
        with torch.autocast(device_type=points.device.type, enabled=False):
            point_feats = point_feats.float().transpose(1, 2)  # (B, P, C)
            if self.official_voxel_quirks:
                pooled = scatter_mean(point_feats, index, gx * gy * gz)
            else:
                pooled = scatter_mean(point_feats, torch.where(valid > 0, index, gx * gy * gz), gx * gy * gz + 1)
                pooled = pooled[:, :-1]
        batch = points.shape[0]
        grid = pooled.transpose(1, 2).reshape(batch, -1, gx, gy * gz)  # (B, C, X, Y): x-major
        feat1 = self.block1(grid)
        feat2 = self.block2(feat1)
        feat3 = self.block3(feat2)
        fused = torch.cat([self.up1(feat1), self.up2(feat2), self.up3(feat3)], dim=1)
        return self.conv_out(fused).transpose(3, 2)
