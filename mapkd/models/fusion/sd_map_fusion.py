"""P-MapNet SD-prior fusion: SD raster stem, cross attention at 1/8 resolution, up-sampling back."""
from __future__ import annotations

from torch import Tensor, nn

from mapkd.registry import MODELS

from .position_embedding_sine import PositionEmbeddingSine
from .sd_map_cross_attn import SDMapCrossAttn


def conv_bev_stack(channels: int = 192) -> nn.Sequential:
    """``conv_bev``: 3 x Conv(k4 s2 p1) (ReLU, ReLU, no-bias + BN + ReLU): (B,C,H,W) -> (B,C,H/8,W/8)."""
    return nn.Sequential(
        nn.Conv2d(channels, channels, 4, 2, 1), nn.ReLU(),
        nn.Conv2d(channels, channels, 4, 2, 1), nn.ReLU(),
        nn.Conv2d(channels, channels, 4, 2, 1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(inplace=True))


@MODELS.register_module()
class SDMapFusion(nn.Module):
    """Fuse ``bev_small`` (B, C, H/8, W/8) with the SD raster (B, 1, H, W).

    ``conv_osm`` (1->32->d->d, k4 s2) encodes the SD map, ``input_proj`` maps the BEV to d,
    :class:`SDMapCrossAttn` attends BEV tokens to SD tokens (sine positions on both), and
    ``conv_up`` (3 x ConvTranspose k4 s2) returns to (B, out_channels, H, W).

    ``norm_first``: pre-norm attention layers (False = official post-norm; see SDMapCrossAttnLayer).

    Returns ``(bev_out (B, d, H/8, W/8), bev_up (B, out_channels, H, W))``.
    """

    def __init__(self, bev_channels: int = 192, hidden: int = 64, out_channels: int = 192, num_layers: int = 2,
                 nhead: int = 8, dim_feedforward: int = 192, dropout: float = 0.1, osm_stem: int = 32,
                 norm_first: bool = False) -> None:
        super().__init__()
        self.conv_osm = nn.Sequential(
            nn.Conv2d(1, osm_stem, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(osm_stem, hidden, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(hidden, hidden, 4, 2, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU())
        self.input_proj = nn.Conv2d(bev_channels, hidden, kernel_size=1)
        self.position_embedding = PositionEmbeddingSine(hidden // 2)
        self.sdmap_crossattn = SDMapCrossAttn(hidden, nhead, num_layers, dim_feedforward, dropout,
                                              norm_first=norm_first)
        self.conv_up = nn.Sequential(
            nn.ConvTranspose2d(hidden, out_channels, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(out_channels, out_channels, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(out_channels, out_channels, 4, 2, 1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True))

    def forward(self, bev_small: Tensor, sd_map: Tensor) -> tuple[Tensor, Tensor]:
        sd_feat = self.conv_osm(sd_map.to(bev_small.dtype) if sd_map.dtype != bev_small.dtype else sd_map)
        height, width = bev_small.shape[-2:]
        pos = self.position_embedding(height, width, device=bev_small.device)
        pos = pos.repeat(bev_small.shape[0], 1, 1, 1)
        bev_out = self.sdmap_crossattn(self.input_proj(bev_small), sd_feat, pos)
        return bev_out, self.conv_up(bev_out)
