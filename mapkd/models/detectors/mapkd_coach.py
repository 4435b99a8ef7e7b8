"""MapKD coach (``PMapNet_sdmap_C``): camera + simulated LiDAR (Lift-Splat) + SD prior (+ optional HD head)."""
from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

from mapkd.models.view_transformers.grid import DEFAULT_GRID_CONF, DEFAULT_IMAGE_SIZE
from mapkd.models.view_transformers.lift_splat import LiftSplat
from mapkd.registry import MODELS

from .sd_prior_map_model import SDPriorMapModel


@MODELS.register_module()
class MapKDCoach(SDPriorMapModel):
    """[camera BEV (64) ‖ expand_to_128(LiftSplat(images))ᵀ] -> conv_bev -> SD cross attention -> decoder.

    The "simulated LiDAR" is a second EfficientNet-B0 with a softmax depth over ``dbound`` bins
    (41 for 4-45 m) lifted and sum-splatted into the BEV; no LiDAR is read.

    Args:
        sim_lidar_channels: width after ``expand_to_128`` (128); lss_channels / lss_mid_channels:
            Lift-Splat context width (64) and encoder width (512).
        hd_head: add the MAE HD-prior head (``PMapNet_mae_head_C``).
        truncate_lss_indices: official ``.long()`` cell indices in the splat (True).
    """

    SECOND_FEATURE = 'sim_lidar_feature'
    REQUIRED_INPUTS = ('imgs', 'trans', 'rots', 'intrins', 'post_rots', 'post_trans', 'sd_map')

    def __init__(self, grid_conf: dict = DEFAULT_GRID_CONF, image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
                 camera_channels: int = 64, sim_lidar_channels: int = 128, lss_channels: int = 64,
                 lss_mid_channels: int = 512, truncate_lss_indices: bool = True, view_hidden: int | None = None,
                 sd_fusion: dict | None = None, hd_head: bool = False, mae: dict | None = None, num_classes: int = 4,
                 embed_dim: int = 16, angle_class: int = 36, decoder_channels: int = 256, decoder_trunk_channels: Sequence[int] = (64, 128, 256),
                 pretrained_image_backbone: str | None = None,
                 loss: dict | None = None, data_preprocessor: dict | None = None, init_cfg: dict | None = None,
                 sd_dropout: float = 0.0) -> None:
        super().__init__(grid_conf, image_size, camera_channels, sim_lidar_channels, view_hidden, sd_fusion, hd_head,
                         mae, num_classes, embed_dim, angle_class, pretrained_image_backbone, loss, data_preprocessor,
                         init_cfg, decoder_channels=decoder_channels, decoder_trunk_channels=decoder_trunk_channels,
                         sd_dropout=sd_dropout)
        self.sim_lidar = LiftSplat(grid_conf, image_size, lss_channels, lss_mid_channels,
                                   pretrained=pretrained_image_backbone, truncate_indices=truncate_lss_indices)
        self.expand_to_128 = nn.Conv2d(lss_channels, sim_lidar_channels, kernel_size=1)

    def second_bev(self, inputs: dict) -> Tensor:
        splat = self.sim_lidar(inputs['imgs'], inputs['rots'], inputs['trans'], inputs['intrins'],
                               inputs['post_rots'], inputs['post_trans'])  # (B, C, X, Y)
        return self.expand_to_128(splat).permute(0, 1, 3, 2)
