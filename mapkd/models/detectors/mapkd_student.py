"""MapKD student (``PMapNet_sdmap_S``): camera-only HDMapNet with a 192-ch 1/8-resolution bottleneck."""
from __future__ import annotations

from typing import Sequence

import torch.nn.functional as F
from torch import Tensor

from mapkd.models.fusion.feature_expansion import FeatureExpansion
from mapkd.models.fusion.sd_map_fusion import conv_bev_stack
from mapkd.models.heads.bev_decoder import BevDecoder
from mapkd.models.view_transformers.camera_bev_encoder import CameraBEVEncoder
from mapkd.models.view_transformers.grid import DEFAULT_GRID_CONF, DEFAULT_IMAGE_SIZE, check_bev_divisible
from mapkd.registry import MODELS

from .base import BaseMapModel


@MODELS.register_module()
class MapKDStudent(BaseMapModel):
    """Camera BEV ``topdown`` (64) -> feature expansion (192) -> ``conv_bev`` -> ``bev_small`` (192, H/8, W/8)
    -> bilinear resize to the BEV size of ``grid_conf`` -> ResNet-18 decoder.

    ``bev_small`` has the teacher's and coach's shape: it is the TGPD distillation feature.
    Unlike the official student (hard-coded 200x400 resize), this works at every range.
    """

    FEATURE_NAMES = ('topdown', 'bev_small')

    def __init__(self, grid_conf: dict = DEFAULT_GRID_CONF, image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
                 camera_channels: int = 64, bev_channels: int = 192, view_hidden: int | None = None,
                 num_classes: int = 4, embed_dim: int = 16, angle_class: int = 36, decoder_channels: int = 256, decoder_trunk_channels: Sequence[int] = (64, 128, 256),
                 pretrained_image_backbone: str | None = None, loss: dict | None = None,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(loss=loss, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.bev_size = check_bev_divisible(grid_conf)
        self.camera_bev = CameraBEVEncoder(grid_conf, image_size, camera_channels, view_hidden=view_hidden,
                                           pretrained=pretrained_image_backbone)
        self.feature_expand = FeatureExpansion(camera_channels, bev_channels)
        self.conv_bev = conv_bev_stack(bev_channels)
        self.bevencode = BevDecoder(bev_channels, num_classes, embed_dim, angle_class + 1,
                                    head_channels=decoder_channels,
                                    trunk_channels=decoder_trunk_channels)

    def extract(self, inputs: dict) -> dict[str, Tensor]:
        self._require(inputs)
        topdown = self.camera_bev(inputs['imgs'], inputs['rots'], inputs['trans'])
        bev_small = self.conv_bev(self.feature_expand(topdown))
        bev = F.interpolate(bev_small, size=self.bev_size, mode='bilinear', align_corners=False)
        return dict(self.bevencode(bev), topdown=topdown, bev_small=bev_small)
