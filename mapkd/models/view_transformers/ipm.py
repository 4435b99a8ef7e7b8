"""HDMapNet IPM in extrinsic mode: warp each camera's BEV-MLP output onto a plane grid, max-fuse."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from mapkd.registry import MODELS


def bilinear_sample_clipped(images: Tensor, cols: Tensor, rows: Tensor) -> Tensor:
    """Bilinear sampling with HDMapNet's border behaviour.

    Corner indices are clipped to the image first and the weights are computed *after*
    clipping, so samples outside the image get (numerically) zero weight in total.

    Args:
        images: (M, H, W, C) channels-last maps.
        cols, rows: (M, P) sampling positions in pixels (float).

    Returns:
        (M, P, C) samples.
    """
    num, height, width, channels = images.shape
    col0 = torch.clamp(torch.floor(cols), 0, width - 1)
    col1 = torch.clamp(torch.floor(cols) + 1, 0, width - 1)
    row0 = torch.clamp(torch.floor(rows), 0, height - 1)
    row1 = torch.clamp(torch.floor(rows) + 1, 0, height - 1)
    wt_col0 = (col1 - cols).unsqueeze(-1)
    wt_col1 = (cols - col0).unsqueeze(-1)
    wt_row0 = (row1 - rows).unsqueeze(-1)
    wt_row1 = (rows - row0).unsqueeze(-1)
    flat = images.reshape(num, height * width, channels)

    def gather(col: Tensor, row: Tensor) -> Tensor:
        index = (col + row * width).long().unsqueeze(-1).expand(-1, -1, channels)
        return torch.gather(flat, 1, index)

    out = (wt_col0 * wt_row0) * gather(col0, row0) + (wt_col0 * wt_row1) * gather(col0, row1) \
        + (wt_col1 * wt_row0) * gather(col1, row0) + (wt_col1 * wt_row1) * gather(col1, row1)
    return out


@MODELS.register_module()
class IPM(nn.Module):
    """Warp per-camera (bv_h, bv_w) maps to a (bev_h/2, bev_w/2) plane grid and fuse them by max.

    The grid is HDMapNet's *non-metric* plane: ``res_x = bv_w * 3 // 4``, columns
    ``x = linspace(-res_x, res_x, bev_w/2)``, rows ``y = linspace(-res_x/2, res_x/2, bev_h/2)``,
    z = 0. A grid point p maps to camera coordinates ``(xc, yc, zc) = R^T (p - t)`` (K = I)
    and is sampled at column ``zc - bv_w/8`` and row ``xc + bv_h/2`` of the camera's map, with
    clipped-border bilinear sampling. Intrinsics and image augmentation are not used (as in
    the official extrinsic mode).

    Args:
        bev_size: (H, W) of the final BEV; the output here is (H/2, W/2).
        bv_size: (bv_h, bv_w) of the view-MLP output.
    """

    def __init__(self, bev_size: tuple[int, int], bv_size: tuple[int, int]) -> None:
        super().__init__()
        bev_h, bev_w = (int(v) for v in bev_size)
        if bev_h % 2 or bev_w % 2:
            raise ValueError(f'IPM needs an even BEV size, got {bev_h}x{bev_w}')
        self.bv_size = (int(bv_size[0]), int(bv_size[1]))
        self.out_size = (bev_h // 2, bev_w // 2)
        res_x = self.bv_size[1] * 3 // 4
        xs = torch.linspace(-res_x, res_x, self.out_size[1], dtype=torch.float32)
        ys = torch.linspace(-res_x / 2, res_x / 2, self.out_size[0], dtype=torch.float32)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
        plane = torch.stack([grid_x.flatten(), grid_y.flatten(), torch.zeros(grid_x.numel()),
                             torch.ones(grid_x.numel())], dim=0)  # (4, P) homogeneous ego points
        self.register_buffer('plane', plane, persistent=False)

    @staticmethod
    def ego_to_camera(rots: Tensor, trans: Tensor) -> Tensor:
        """4x4 ego -> camera transforms [R^T | -R^T t] as (B, N, 4, 4) (same op order as HDMapNet)."""
        batch, views = rots.shape[:2]
        eye = torch.eye(4, dtype=rots.dtype, device=rots.device).view(1, 1, 4, 4).repeat(batch, views, 1, 1)
        rot = eye.clone()
        rot[:, :, :3, :3] = rots.transpose(-1, -2)
        shift = eye.clone()
        shift[:, :, :3, 3] = -trans
        return rot @ shift

    def forward(self, feats: Tensor, rots: Tensor, trans: Tensor) -> Tensor:
        """feats (B, N, C, bv_h, bv_w), rots (B, N, 3, 3) camera->ego, trans (B, N, 3) -> (B, C, H/2, W/2)."""
        batch, views, channels, bv_h, bv_w = feats.shape
        if (bv_h, bv_w) != self.bv_size:
            raise ValueError(f'IPM built for {self.bv_size} maps, got {tuple(feats.shape)}')
        images = feats.permute(0, 1, 3, 4, 2).reshape(batch * views, bv_h, bv_w, channels)
        with torch.autocast(device_type=feats.device.type, enabled=False):
            ego_to_cam = self.ego_to_camera(rots.float(), trans.float()).reshape(batch * views, 4, 4)
            cam = ego_to_cam @ self.plane  # (BN, 4, P)
            rows = cam[:, 0] + bv_h / 2
            cols = cam[:, 2] - bv_w / 8
            warped = bilinear_sample_clipped(images.float(), cols, rows)
        warped = warped.to(feats.dtype).reshape(batch, views, self.out_size[0], self.out_size[1], channels)
        fused = warped.max(dim=1).values
        return fused.permute(0, 3, 1, 2).contiguous()
