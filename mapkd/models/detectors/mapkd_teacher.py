"""MapKD teacher (``PMapNet_mae_head``, = P-MapNet HD): camera + LiDAR + SD prior + MAE HD-prior head."""
from __future__ import annotations

from typing import Sequence

from torch import Tensor

from mapkd.models.backbones.point_pillar_encoder import PointPillarEncoder
from mapkd.models.view_transformers.grid import DEFAULT_GRID_CONF, DEFAULT_IMAGE_SIZE
from mapkd.registry import MODELS

from .sd_prior_map_model import SDPriorMapModel


@MODELS.register_module()
class MapKDTeacher(SDPriorMapModel):
    """[camera BEV (64) ‖ PointPillars (128)] -> conv_bev -> ``bev_small`` -> SD cross attention
    (``bev_out``) -> conv_up -> BEV decoder semantic logits (``seg_pre_mae``) -> MAE head -> heads.

    Args:
        lidar_channels: PointPillars output width (128); lidar_width: its internal width (64).
        official_voxel_quirks: reproduce the official pillar index/centroid behaviour (True).
        sd_fusion: overrides of ``hidden/num_layers/nhead/dim_feedforward/dropout``.
        mae: overrides of ``patch_size/embed_dim/depth/num_heads/mlp_ratio/pos_embed_offset_bug``.
    """

    SECOND_FEATURE = 'lidar_feature'
    REQUIRED_INPUTS = ('imgs', 'trans', 'rots', 'lidar', 'lidar_mask', 'sd_map')

    def __init__(self, grid_conf: dict = DEFAULT_GRID_CONF, image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
                 camera_channels: int = 64, lidar_channels: int = 128, lidar_width: int = 64,
                 official_voxel_quirks: bool = True, view_hidden: int | None = None, sd_fusion: dict | None = None,
                 mae: dict | None = None, num_classes: int = 4, embed_dim: int = 16, angle_class: int = 36,
                 decoder_channels: int = 256, decoder_trunk_channels: Sequence[int] = (64, 128, 256),
                 pretrained_image_backbone: str | None = None, loss: dict | None = None,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(grid_conf, image_size, camera_channels, lidar_channels, view_hidden, sd_fusion, True, mae,
                         num_classes, embed_dim, angle_class, pretrained_image_backbone, loss, data_preprocessor,
                         init_cfg, decoder_channels=decoder_channels, decoder_trunk_channels=decoder_trunk_channels)
        self.lidar_encoder = PointPillarEncoder(lidar_channels, grid_conf['xbound'], grid_conf['ybound'],
                                                grid_conf['zbound'], official_voxel_quirks=official_voxel_quirks,
                                                width=lidar_width)

    def second_bev(self, inputs: dict) -> Tensor:
        return self.lidar_encoder(inputs['lidar'], inputs['lidar_mask'])
