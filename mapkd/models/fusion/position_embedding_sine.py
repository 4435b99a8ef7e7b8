"""DETR sine position embedding over a full (unmasked) 2-D grid."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from mapkd.registry import MODELS


@MODELS.register_module()
class PositionEmbeddingSine(nn.Module):
    """(h, w) -> (1, 2*num_pos_feats, h, w) = [pos_y ‖ pos_x], sin/cos interleaved.

    Positions are 1..h and 1..w normalised by their last value (+eps) and scaled by ``scale``,
    i.e. DETR's ``PositionEmbeddingSine(normalize=True)`` with an all-False mask.
    """

    def __init__(self, num_pos_feats: int = 32, temperature: float = 10000.0, scale: float = 2 * math.pi,
                 eps: float = 1e-6) -> None:
        super().__init__()
        self.num_pos_feats = num_pos_feats
        self.temperature = temperature
        self.scale = scale
        self.eps = eps

    def forward(self, height: int, width: int, device: torch.device | None = None) -> Tensor:
        ones = torch.ones(1, height, width, dtype=torch.float32, device=device)
        y_embed = ones.cumsum(1)
        x_embed = ones.cumsum(2)
        y_embed = y_embed / (y_embed[:, -1:, :] + self.eps) * self.scale
        x_embed = x_embed / (x_embed[:, :, -1:] + self.eps) * self.scale
        dim_t = torch.arange(self.num_pos_feats, dtype=torch.float32, device=device)
        dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_pos_feats)
        pos_x = x_embed[..., None] / dim_t
        pos_y = y_embed[..., None] / dim_t
        pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()), dim=4).flatten(3)
        pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()), dim=4).flatten(3)
        return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)
