"""Lift-Splat-Shoot depth lift used as the coach's "simulated LiDAR" (pure torch voxel sum pooling)."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from mapkd.models.backbones.depth_cam_encoder import DepthCamEncoder
from mapkd.registry import MODELS

from .grid import num_cells

FEATURE_STRIDE = 16


def make_frustum(image_size: Sequence[int], dbound: Sequence[float], stride: int = FEATURE_STRIDE) -> Tensor:
    """(D, fH, fW, 3) grid of (u, v, d): u = linspace(0, w-1, fW), v = linspace(0, h-1, fH), d = arange(dbound)."""
    height, width = (int(v) for v in image_size)
    feat_h, feat_w = -(-height // stride), -(-width // stride)
    depths = torch.arange(*[float(v) for v in dbound], dtype=torch.float32)
    num_depths = depths.shape[0]
    us = torch.linspace(0, width - 1, feat_w, dtype=torch.float32).view(1, 1, feat_w).expand(num_depths, feat_h, feat_w)
    vs = torch.linspace(0, height - 1, feat_h, dtype=torch.float32).view(1, feat_h, 1).expand(num_depths, feat_h, feat_w)
    ds = depths.view(-1, 1, 1).expand(num_depths, feat_h, feat_w)
    return torch.stack((us, vs, ds), dim=-1)


@MODELS.register_module()
class LiftSplat(nn.Module):
    """Images -> softmax depth (D bins) x context (C) -> ego points -> sum-pooled BEV (B, C, X, Y).

    The output is x-major (rows = x), as the official module returns it; callers transpose.
    Geometry is computed in float32 on the input device (the official code does the same
    arithmetic on the CPU). Pooling is an ``index_add_`` over flattened cells, equal to the
    official cumsum trick up to float32 rounding.

    Args:
        grid_conf: xbound/ybound/zbound/dbound.
        image_size: network image size (h, w): the frustum is built from it, not hard-coded.
        channels: context channels C (64); mid_channels: encoder width before ``depthnet`` (512).
        truncate_indices: official ``.long()`` cell indices (truncation toward zero: points up to
            one cell below the grid minimum land in cell 0). False uses floor (drops them).
    """

    def __init__(self, grid_conf: dict, image_size: Sequence[int], channels: int = 64, mid_channels: int = 512,
                 pretrained: str | None = None, truncate_indices: bool = True) -> None:
        super().__init__()
        bounds = [grid_conf['xbound'], grid_conf['ybound'], grid_conf['zbound']]
        self.num_cells = tuple(num_cells(b) for b in bounds)
        self.register_buffer('cell_size', torch.tensor([float(b[2]) for b in bounds]), persistent=False)
        # centre of the first cell, float32 as the official ``bx`` (the index arithmetic below
        # repeats the official float32 operations so boundary points land in the same cells)
        self.register_buffer('first_centre', torch.tensor([float(b[0]) + float(b[2]) / 2.0 for b in bounds]),
                             persistent=False)
        self.register_buffer('frustum', make_frustum(image_size, grid_conf['dbound']), persistent=False)
        self.depth_bins = self.frustum.shape[0]
        self.channels = channels
        self.truncate_indices = truncate_indices
        self.camencode = DepthCamEncoder(self.depth_bins, channels, mid_channels, pretrained=pretrained)

    def get_geometry(self, rots: Tensor, trans: Tensor, intrins: Tensor, post_rots: Tensor,
                     post_trans: Tensor) -> Tensor:
        """Ego xyz of every frustum point: (B, N, D, fH, fW, 3), float32."""
        batch, views = trans.shape[:2]
        with torch.autocast(device_type=trans.device.type, enabled=False):
            rots, trans, intrins = rots.float(), trans.float(), intrins.float()
            post_rots, post_trans = post_rots.float(), post_trans.float()
            points = self.frustum - post_trans.view(batch, views, 1, 1, 1, 3)
            points = torch.inverse(post_rots).view(batch, views, 1, 1, 1, 3, 3).matmul(points.unsqueeze(-1))
            points = torch.cat((points[..., :2, :] * points[..., 2:3, :], points[..., 2:3, :]), dim=5)
            combine = rots.matmul(torch.inverse(intrins))
            points = combine.view(batch, views, 1, 1, 1, 3, 3).matmul(points).squeeze(-1)
            return points + trans.view(batch, views, 1, 1, 1, 3)

    def splat(self, geometry: Tensor, feats: Tensor) -> Tensor:
        """Sum-pool lifted features (B, N, D, fH, fW, C) at ``geometry`` into (B, C*Z, X, Y)."""
        batch, channels = feats.shape[0], feats.shape[-1]
        nx, ny, nz = self.num_cells
        with torch.autocast(device_type=feats.device.type, enabled=False):
            scaled = (geometry - (self.first_centre - self.cell_size / 2.0)) / self.cell_size
            cells = scaled.long() if self.truncate_indices else torch.floor(scaled).long()
            cells = cells.view(batch, -1, 3)
            kept = ((cells >= 0) & (cells < torch.tensor([nx, ny, nz], device=cells.device))).all(dim=-1)
            batch_ix = torch.arange(batch, device=cells.device).view(batch, 1).expand_as(kept)
            flat = ((batch_ix * nz + cells[..., 2]) * nx + cells[..., 0]) * ny + cells[..., 1]
            values = feats.reshape(batch, -1, channels).float()
            pooled = values.new_zeros(batch * nz * nx * ny, channels)
            pooled.index_add_(0, flat[kept], values[kept])
        pooled = pooled.view(batch, nz, nx, ny, channels).permute(0, 1, 4, 2, 3)  # (B, Z, C, X, Y)
        return pooled.reshape(batch, nz * channels, nx, ny)

    def forward(self, imgs: Tensor, rots: Tensor, trans: Tensor, intrins: Tensor, post_rots: Tensor,
                post_trans: Tensor) -> Tensor:
        batch, views = imgs.shape[:2]
        lifted = self.camencode(imgs.flatten(0, 1))  # (BN, C, D, fH, fW)
        if lifted.shape[2:] != self.frustum.shape[:3]:
            raise ValueError(f'LiftSplat frustum {tuple(self.frustum.shape[:3])} does not match the lifted '
                             f'features {tuple(lifted.shape[2:])}: image_size in the config must match the images')
        lifted = lifted.view(batch, views, *lifted.shape[1:]).permute(0, 1, 3, 4, 5, 2)
        geometry = self.get_geometry(rots, trans, intrins, post_rots, post_trans)
        return self.splat(geometry, lifted)
