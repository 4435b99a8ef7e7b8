"""Masked HD-map prior pre-training of the MAE head (P-MapNet ``hdmapnet_pretrain``)."""
from __future__ import annotations

from typing import Sequence

from torch import Tensor

from mapkd.models.heads.mae_head import MAEHead
from mapkd.models.view_transformers.grid import DEFAULT_GRID_CONF, DEFAULT_IMAGE_SIZE, check_bev_divisible
from mapkd.registry import MODELS

from .base import BaseMapModel
from .sd_prior_map_model import DEFAULT_MAE


@MODELS.register_module()
class HDPriorPretrainModel(BaseMapModel):
    """MAE head trained to complete masked GT maps: ``inputs['hd_prior']`` (B, 4, H, W) -> heads.

    The masking itself (random BEV patches of the GT rasters) happens in the data pipeline;
    the head's weights (``mae_head.*``) load directly into the teacher's ``mae_head``.
    """

    FEATURE_NAMES = ()
    REQUIRED_INPUTS = ('hd_prior',)

    def __init__(self, grid_conf: dict = DEFAULT_GRID_CONF, image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
                 mae: dict | None = None, num_classes: int = 4, embed_dim: int = 16, angle_class: int = 36,
                 decoder_channels: int = 256, decoder_trunk_channels: Sequence[int] = (64, 128, 256),
                 loss: dict | None = None, data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(loss=loss, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.bev_size = check_bev_divisible(grid_conf)
        self.mae_head = MAEHead(self.bev_size, in_channels=num_classes, num_classes=num_classes,
                                embed_out_dim=embed_dim, direction_dim=angle_class + 1,
                                decoder_channels=decoder_channels, decoder_trunk_channels=decoder_trunk_channels, **dict(DEFAULT_MAE, **(mae or {})))

    def extract(self, inputs: dict) -> dict[str, Tensor]:
        self._require(inputs)
        return self.mae_head(inputs['hd_prior'])
