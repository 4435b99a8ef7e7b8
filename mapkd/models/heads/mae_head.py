"""P-MapNet HD-prior head: a ViT (masked-autoencoder style) refinement of BEV semantic logits."""
from __future__ import annotations

from functools import partial
from typing import Sequence

import torch
from timm.models.vision_transformer import Block
from torch import Tensor, nn

from mapkd.registry import MODELS

from .bev_decoder import BevDecoder


class PatchEmbedConv(nn.Module):
    """Non-overlapping patch projection (key ``proj``): (B, C, H, W) -> (B, D, H/p, W/p)."""

    def __init__(self, in_channels: int, embed_dim: int, patch_size: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x)


class ConvBN(nn.Module):
    """1x1 conv (no bias) + BN, no activation (keys ``conv``, ``bn``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.bn(self.conv(x))


@MODELS.register_module()
class MAEHead(nn.Module):
    """ViT-B/8 over a 4-channel BEV map, up-sampled back and decoded by a :class:`BevDecoder`.

    Pipeline: ``map_patch_embed`` (k=s=patch) -> + position embedding -> ``depth`` timm
    ``Block``s -> LayerNorm -> ``conv_up`` (2 x ConvTranspose k4 s2, no activation; bilinear
    resize to (H, W); 1x1 conv + BN, no ReLU) -> ``bev_head`` (seg/emb/dir).

    Args:
        bev_size: (H, W) of the input/output map (a remainder below ``patch_size`` is not tokenised;
            ``conv_up`` resizes back to (H, W)).
        in_channels: 4 (semantic logits or masked one-hot map).
        patch_size / embed_dim / depth / num_heads / mlp_ratio: ViT shape (8 / 768 / 12 / 12 / 4).
        pos_embed_offset_bug: the official head adds ``pos_embed[:, :-1]`` to the patch tokens
            (``pos_embed`` keeps a cls slot first, so patch i gets position i-1 and patch 0 the cls
            slot). True (default) reproduces it, as released weights need; False uses ``[:, 1:]``.
    """

    def __init__(self, bev_size: Sequence[int], in_channels: int = 4, patch_size: int = 8, embed_dim: int = 768,
                 depth: int = 12, num_heads: int = 12, mlp_ratio: float = 4.0, num_classes: int = 4,
                 embed_out_dim: int = 16, direction_dim: int = 37, pos_embed_offset_bug: bool = True,
                 decoder_channels: int = 256,
                 decoder_trunk_channels: Sequence[int] = (64, 128, 256)) -> None:
        super().__init__()
        height, width = (int(v) for v in bev_size)
        if height < patch_size or width < patch_size:
            raise ValueError(f'MAEHead: BEV size {height}x{width} is smaller than patch_size {patch_size}')
        self.bev_size = (height, width)
        self.patch_grid = (height // patch_size, width // patch_size)
        self.pos_embed_offset_bug = pos_embed_offset_bug
        num_patches = self.patch_grid[0] * self.patch_grid[1]
        self.map_patch_embed = PatchEmbedConv(in_channels, embed_dim, patch_size)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))  # slot 0 = (unused) cls slot
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.blocks = nn.Sequential(*[Block(embed_dim, num_heads, mlp_ratio=mlp_ratio, qkv_bias=True,
                                            norm_layer=norm_layer) for _ in range(depth)])
        self.norm = norm_layer(embed_dim)
        self.conv_up = nn.Sequential(
            nn.ConvTranspose2d(embed_dim, embed_dim, 4, 2, 1),
            nn.ConvTranspose2d(embed_dim, embed_dim, 4, 2, 1),
            nn.Upsample(size=self.bev_size, mode='bilinear', align_corners=False),
            ConvBN(embed_dim))
        self.bev_head = BevDecoder(embed_dim, num_classes, embed_out_dim, direction_dim, head_channels=decoder_channels,
                                    trunk_channels=decoder_trunk_channels)

    def position_embedding(self) -> Tensor:
        return self.pos_embed[:, :-1] if self.pos_embed_offset_bug else self.pos_embed[:, 1:]

    def tokens(self, x: Tensor) -> Tensor:
        """(B, 4, H, W) -> ViT tokens after the final LayerNorm (B, h*w, D), row-major over the patch grid."""
        if tuple(x.shape[-2:]) != self.bev_size:
            raise ValueError(f'MAEHead built for {self.bev_size} maps, got {tuple(x.shape)}')
        x = self.map_patch_embed(x).flatten(2).transpose(1, 2)
        x = x + self.position_embedding()
        return self.norm(self.blocks(x))

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        tokens = self.tokens(x)
        feat = tokens.transpose(1, 2).reshape(x.shape[0], -1, *self.patch_grid)
        return self.bev_head(self.conv_up(feat))
