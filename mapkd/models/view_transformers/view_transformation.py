"""HDMapNet neural view transformer: one MLP per camera maps front-view cells to BEV cells."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from mapkd.registry import MODELS


@MODELS.register_module()
class ViewTransformation(nn.Module):
    """``hw_mat[i]``: Linear(fv_h*fv_w -> hidden), ReLU, Linear(hidden -> bv_h*bv_w), ReLU.

    The MLP acts on the flattened spatial dims and is shared over channels. ``hidden=None``
    means ``bv_h*bv_w`` (the official layout).

    Input (B, N, C, fv_h, fv_w) -> output (B, N, C, bv_h, bv_w).
    """

    def __init__(self, fv_size: Sequence[int], bv_size: Sequence[int], num_views: int = 6,
                 hidden: int | None = None) -> None:
        super().__init__()
        self.fv_size = tuple(int(v) for v in fv_size)
        self.bv_size = tuple(int(v) for v in bv_size)
        fv_dim = self.fv_size[0] * self.fv_size[1]
        bv_dim = self.bv_size[0] * self.bv_size[1]
        hidden = bv_dim if hidden is None else int(hidden)
        self.hw_mat = nn.ModuleList(
            nn.Sequential(nn.Linear(fv_dim, hidden), nn.ReLU(), nn.Linear(hidden, bv_dim), nn.ReLU())
            for _ in range(num_views))

    def forward(self, feats: Tensor) -> Tensor:
        batch, views, channels, height, width = feats.shape
        if views != len(self.hw_mat) or (height, width) != self.fv_size:
            raise ValueError(f'ViewTransformation expects (B, {len(self.hw_mat)}, C, {self.fv_size[0]}, '
                             f'{self.fv_size[1]}) features, got {tuple(feats.shape)}')
        flat = feats.reshape(batch, views, channels, height * width)
        outputs = [mlp(flat[:, index]).view(batch, channels, *self.bv_size)
                   for index, mlp in enumerate(self.hw_mat)]
        return torch.stack(outputs, dim=1)
