"""Shared tail of the MapKD teacher and coach: conv_bev -> SD-prior fusion -> BEV decoder (-> MAE head)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mapkd.models.fusion.sd_map_fusion import SDMapFusion, conv_bev_stack
from mapkd.models.heads.bev_decoder import BevDecoder
from mapkd.models.heads.mae_head import MAEHead
from mapkd.models.view_transformers.camera_bev_encoder import CameraBEVEncoder
from mapkd.models.view_transformers.grid import check_bev_divisible

from .base import BaseMapModel

DEFAULT_SD_FUSION = dict(hidden=64, num_layers=2, nhead=8, dim_feedforward=192, dropout=0.1)
DEFAULT_MAE = dict(patch_size=8, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0, pos_embed_offset_bug=True)


class SDPriorMapModel(BaseMapModel):
    """Camera BEV + a second BEV source (LiDAR or simulated LiDAR) fused with the SD map.

    Subclasses build ``self.second_source`` pieces and implement :meth:`second_bev`.
    ``extract`` returns the heads and ``topdown``, ``<second_feature_name>``, ``bev_small``,
    ``bev_out`` (and ``seg_pre_mae`` when the MAE HD-prior head is on).

    ``sd_dropout``: probability of blanking a training sample's SD map (0 = official), so the
    model cannot predict from the SD prior alone and must read its sensors (docs/deviations.md).

    ``mae_input``: what the MAE HD-prior head receives from the BEV decoder: ``'logits'`` (official,
    the raw semantic logits) or ``'sigmoid'`` (their per-class probabilities, in [0, 1] like the
    {0, 1} masked GT maps the head is pre-trained on; fixes the official distribution gap,
    docs/deviations.md).
    """

    MAE_INPUTS = ('logits', 'sigmoid')

    REQUIRED_INPUTS = ('imgs', 'trans', 'rots', 'sd_map')
    SECOND_FEATURE = ''

    def __init__(self, grid_conf: dict, image_size: Sequence[int], camera_channels: int, second_channels: int,
                 view_hidden: int | None, sd_fusion: dict | None, hd_head: bool, mae: dict | None,
                 num_classes: int, embed_dim: int, angle_class: int, pretrained_image_backbone: str | None,
                 loss: dict | None, data_preprocessor: dict | None, init_cfg: dict | None,
                 decoder_channels: int = 256,
                 decoder_trunk_channels: Sequence[int] = (64, 128, 256), sd_dropout: float = 0.0,
                 mae_input: str = 'logits') -> None:
        super().__init__(loss=loss, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if mae_input not in self.MAE_INPUTS:
            raise ValueError(f'mae_input must be one of {self.MAE_INPUTS}, got {mae_input!r}')
        if mae_input != 'logits' and not hd_head:
            raise ValueError(f'mae_input={mae_input!r} needs the MAE HD-prior head (hd_head=True)')
        self.mae_input = mae_input
        if not 0.0 <= sd_dropout < 1.0:
            raise ValueError(f'sd_dropout must be in [0, 1), got {sd_dropout}')
        self.sd_dropout = float(sd_dropout)
        self.bev_size = check_bev_divisible(grid_conf)
        self.hd_head = hd_head
        bev_channels = camera_channels + second_channels
        self.camera_bev = CameraBEVEncoder(grid_conf, image_size, camera_channels, view_hidden=view_hidden,
                                           pretrained=pretrained_image_backbone)
        self.conv_bev = conv_bev_stack(bev_channels)
        fusion_cfg = dict(DEFAULT_SD_FUSION, **(sd_fusion or {}))
        self.sd_fusion = SDMapFusion(bev_channels=bev_channels, out_channels=bev_channels, **fusion_cfg)
        heads = ('seg',) if hd_head else ('seg', 'emb', 'dir')  # with the HD head only seg feeds it
        self.bevencode = BevDecoder(bev_channels, num_classes, embed_dim, angle_class + 1, heads=heads,
                                    head_channels=decoder_channels,
                                    trunk_channels=decoder_trunk_channels)
        if hd_head:
            mae_cfg = dict(DEFAULT_MAE, **(mae or {}))
            self.mae_head = MAEHead(self.bev_size, in_channels=num_classes, num_classes=num_classes,
                                    embed_out_dim=embed_dim, direction_dim=angle_class + 1,
                                    decoder_channels=decoder_channels, decoder_trunk_channels=decoder_trunk_channels, **mae_cfg)
        self.FEATURE_NAMES = ('topdown', self.SECOND_FEATURE, 'bev_small', 'bev_out') + (
            ('seg_pre_mae',) if hd_head else ())

    def second_bev(self, inputs: dict) -> Tensor:
        """The (B, second_channels, H, W) BEV features concatenated after the camera BEV."""
        raise NotImplementedError

    def _maybe_drop_sd_map(self, sd_map: Tensor) -> Tensor:
        """In training, blank each sample's SD map with probability ``sd_dropout`` (0 = official)."""
        if not self.training or self.sd_dropout == 0.0:
            return sd_map
        keep = torch.rand(sd_map.shape[0], device=sd_map.device) >= self.sd_dropout
        return sd_map * keep.view(-1, *([1] * (sd_map.dim() - 1))).to(sd_map.dtype)

    def extract(self, inputs: dict) -> dict[str, Tensor]:
        self._require(inputs)
        topdown = self.camera_bev(inputs['imgs'], inputs['rots'], inputs['trans'])
        second = self.second_bev(inputs)
        bev_small = self.conv_bev(torch.cat([topdown, second], dim=1))
        bev_out, bev_up = self.sd_fusion(bev_small, self._maybe_drop_sd_map(inputs['sd_map']))
        if bev_up.shape[-2:] != self.bev_size:  # BEV not divisible by 8 (e.g. 100x200): back to the grid
            bev_up = F.interpolate(bev_up, size=self.bev_size, mode='bilinear', align_corners=False)
        outputs = self.bevencode(bev_up)
        features = {'topdown': topdown, self.SECOND_FEATURE: second, 'bev_small': bev_small, 'bev_out': bev_out}
        if self.hd_head:
            features['seg_pre_mae'] = outputs['seg']
            mae_in = outputs['seg'] if self.mae_input == 'logits' else torch.sigmoid(outputs['seg'])
            outputs = self.mae_head(mae_in)
        return dict(outputs, **features)
