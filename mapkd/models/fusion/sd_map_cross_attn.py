"""P-MapNet SD-map cross attention: a DETR-style decoder over BEV tokens (post-norm as official, or pre-norm)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS


class SDMapCrossAttnLayer(nn.Module):
    """Self-attention over BEV tokens, cross-attention to SD tokens, FFN, each with a residual.

    ``norm_first=False`` (official P-MapNet, DETR post-norm): LayerNorm after each residual sum.
    ``norm_first=True`` (DETR ``normalize_before``): LayerNorm on each block's input, so the BEV
    tokens reach the output through an identity path. Same parameters either way.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float,
                 norm_first: bool = False) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, bev: Tensor, sdmap: Tensor, pos: Tensor) -> Tensor:
        """Tokens are sequence-first: (L, B, d)."""
        if self.norm_first:
            return self._forward_pre_norm(bev, sdmap, pos)
        query = bev + pos
        bev = self.norm1(bev + self.dropout1(self.self_attn(query, query, value=bev, need_weights=False)[0]))
        attended = self.multihead_attn(query=bev + pos, key=sdmap + pos, value=sdmap, need_weights=False)[0]
        bev = self.norm2(bev + self.dropout2(attended))
        ffn = self.linear2(self.dropout(F.relu(self.linear1(bev))))
        return self.norm3(bev + self.dropout3(ffn))

    def _forward_pre_norm(self, bev: Tensor, sdmap: Tensor, pos: Tensor) -> Tensor:
        normed = self.norm1(bev)
        query = normed + pos
        bev = bev + self.dropout1(self.self_attn(query, query, value=normed, need_weights=False)[0])
        attended = self.multihead_attn(query=self.norm2(bev) + pos, key=sdmap + pos, value=sdmap,
                                       need_weights=False)[0]
        bev = bev + self.dropout2(attended)
        ffn = self.linear2(self.dropout(F.relu(self.linear1(self.norm3(bev)))))
        return bev + self.dropout3(ffn)


@MODELS.register_module()
class SDMapCrossAttn(nn.Module):
    """``num_layers`` decoder layers + final LayerNorm; (B, d, h, w) x2 -> (B, d, h, w).

    ``norm_first``: see :class:`SDMapCrossAttnLayer` (False = official post-norm).
    Xavier-uniform initialisation of every weight with more than one dimension (as DETR).
    """

    def __init__(self, d_model: int = 64, nhead: int = 8, num_layers: int = 2, dim_feedforward: int = 192,
                 dropout: float = 0.1, norm_first: bool = False) -> None:
        super().__init__()
        self.layers = nn.ModuleList(SDMapCrossAttnLayer(d_model, nhead, dim_feedforward, dropout, norm_first)
                                    for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model)
        for param in self.parameters():
            if param.dim() > 1:
                nn.init.xavier_uniform_(param)

    def forward(self, bev: Tensor, sdmap: Tensor, pos: Tensor) -> Tensor:
        if bev.shape != sdmap.shape:
            raise ValueError(f'SDMapCrossAttn: BEV {tuple(bev.shape)} and SD-map {tuple(sdmap.shape)} '
                             'features must have the same shape')
        batch, channels, height, width = bev.shape
        bev_tokens = bev.flatten(2).permute(2, 0, 1)
        sd_tokens = sdmap.flatten(2).permute(2, 0, 1)
        pos_tokens = pos.flatten(2).permute(2, 0, 1).to(bev_tokens.dtype)
        out = bev_tokens
        for layer in self.layers:
            out = layer(out, sd_tokens, pos_tokens)
        out = self.norm(out)
        return out.view(height, width, batch, channels).permute(2, 3, 0, 1)
