"""HDMapNet camera baseline (``HDMapNet_cam``): camera BEV -> BEV decoder."""
from __future__ import annotations

from typing import Sequence

from torch import Tensor

from mapkd.models.heads.bev_decoder import BevDecoder
from mapkd.models.view_transformers.camera_bev_encoder import CameraBEVEncoder
from mapkd.models.view_transformers.grid import DEFAULT_GRID_CONF, DEFAULT_IMAGE_SIZE, check_bev_divisible
from mapkd.registry import MODELS

from .base import BaseMapModel


@MODELS.register_module()
class HDMapNet(BaseMapModel):
    """Camera-only HDMapNet: EfficientNet-B0 + view MLPs + IPM -> ``topdown`` (64 ch) -> ResNet-18 decoder.

    Args:
        grid_conf / image_size: BEV grid and network image size.
        camera_channels: camera BEV width (64).
        view_hidden: hidden width of the per-camera view MLPs (None = official layout).
        direction_from_embedding_branch: True reproduces the original Tsinghua-MARS-Lab HDMapNet
            direction head (fed by ``up1_embedded``); MapKD / P-MapNet checkpoints use False.
        num_classes / embed_dim / angle_class: heads 4 / 16 / 36+1.
        decoder_channels: width of the decoder heads (256 official).
        pretrained_image_backbone: optional path/URL of ImageNet EfficientNet-B0 weights.
    """

    FEATURE_NAMES = ('topdown',)

    def __init__(self, grid_conf: dict = DEFAULT_GRID_CONF, image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
                 camera_channels: int = 64, view_hidden: int | None = None,
                 direction_from_embedding_branch: bool = False, num_classes: int = 4, embed_dim: int = 16,
                 angle_class: int = 36, decoder_channels: int = 256, decoder_trunk_channels: Sequence[int] = (64, 128, 256), pretrained_image_backbone: str | None = None, loss: dict | None = None,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(loss=loss, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.bev_size = check_bev_divisible(grid_conf)
        self.camera_bev = CameraBEVEncoder(grid_conf, image_size, camera_channels, view_hidden=view_hidden,
                                           pretrained=pretrained_image_backbone)
        self.bevencode = BevDecoder(camera_channels, num_classes, embed_dim, angle_class + 1,
                                    direction_from_embedding_branch=direction_from_embedding_branch,
                                    head_channels=decoder_channels,
                                    trunk_channels=decoder_trunk_channels)

    def extract(self, inputs: dict) -> dict[str, Tensor]:
        self._require(inputs)
        topdown = self.camera_bev(inputs['imgs'], inputs['rots'], inputs['trans'])
        return dict(self.bevencode(topdown), topdown=topdown)
