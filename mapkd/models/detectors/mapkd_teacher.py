"""MapKD teacher (``PMapNet_mae_head``, = P-MapNet HD): camera + LiDAR + SD prior + MAE HD-prior head."""
from __future__ import annotations

import os.path as osp
from typing import Sequence

from mmengine.logging import print_log
from torch import Tensor, nn

from mapkd.models.backbones.point_pillar_encoder import PointPillarEncoder
from mapkd.models.view_transformers.grid import DEFAULT_GRID_CONF, DEFAULT_IMAGE_SIZE
from mapkd.registry import MODELS
from mapkd.utils.checkpoint import load_state_dict_file, load_strict, select_prefixed

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
        pre_mae_seg_weight: weight of an extra segmentation loss (``loss_seg_pre_mae``) on the BEV
            decoder's logits *before* the MAE head (0 = official: only the MAE output is supervised).
            Officially that decoder is first trained on its own as the P-MapNet SD-prior model and the
            MAE head is pre-trained separately; a single short schedule (the CPU quickstart) stands in
            for those stages with this deep supervision. See docs/distillation.md.
        hd_prior_checkpoint: a stage-1a checkpoint (``HDPriorPretrainModel``, masked GT-map
            completion) whose ``mae_head.*`` weights replace the random MAE head in
            ``init_weights()`` (strictly; called by the runner before training). ``None`` (default):
            the full pipeline merges the heads into the stage-1c start checkpoint instead
            (``scripts/merge_checkpoints.py``); the quickstart uses this argument.
        sd_dropout: probability of blanking a training sample's SD map (0 = official); see
            :class:`SDPriorMapModel`.
        mae_input: ``'logits'`` (official) or ``'sigmoid'``: what the MAE head receives; see
            :class:`SDPriorMapModel`.
    """

    SECOND_FEATURE = 'lidar_feature'
    REQUIRED_INPUTS = ('imgs', 'trans', 'rots', 'lidar', 'lidar_mask', 'sd_map')

    def __init__(self, grid_conf: dict = DEFAULT_GRID_CONF, image_size: Sequence[int] = DEFAULT_IMAGE_SIZE,
                 camera_channels: int = 64, lidar_channels: int = 128, lidar_width: int = 64,
                 official_voxel_quirks: bool = True, view_hidden: int | None = None, sd_fusion: dict | None = None,
                 mae: dict | None = None, num_classes: int = 4, embed_dim: int = 16, angle_class: int = 36,
                 decoder_channels: int = 256, decoder_trunk_channels: Sequence[int] = (64, 128, 256),
                 pretrained_image_backbone: str | None = None, loss: dict | None = None,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None,
                 pre_mae_seg_weight: float = 0.0, hd_prior_checkpoint: str | None = None,
                 sd_dropout: float = 0.0, lidar_aux_seg_weight: float = 0.0, mae_input: str = 'logits') -> None:
        super().__init__(grid_conf, image_size, camera_channels, lidar_channels, view_hidden, sd_fusion, True, mae,
                         num_classes, embed_dim, angle_class, pretrained_image_backbone, loss, data_preprocessor,
                         init_cfg, decoder_channels=decoder_channels, decoder_trunk_channels=decoder_trunk_channels,
                         sd_dropout=sd_dropout, mae_input=mae_input)
        self.lidar_encoder = PointPillarEncoder(lidar_channels, grid_conf['xbound'], grid_conf['ybound'],
                                                grid_conf['zbound'], official_voxel_quirks=official_voxel_quirks,
                                                width=lidar_width)

        if pre_mae_seg_weight < 0:
            raise ValueError(f'pre_mae_seg_weight must be >= 0, got {pre_mae_seg_weight}')
        self.pre_mae_seg_weight = float(pre_mae_seg_weight)
        if lidar_aux_seg_weight < 0:
            raise ValueError(f'lidar_aux_seg_weight must be >= 0, got {lidar_aux_seg_weight}')
        self.lidar_aux_seg_weight = float(lidar_aux_seg_weight)
        # training-only head (not part of the official model; absent from its checkpoints when off)
        self.lidar_aux_head = (nn.Conv2d(lidar_channels, num_classes, 3, padding=1)
                               if lidar_aux_seg_weight > 0 else None)
        self.hd_prior_checkpoint = hd_prior_checkpoint

    def init_weights(self) -> None:
        """Initialise as configured, then load the pre-trained HD-prior head if one is given."""
        super().init_weights()
        if self.hd_prior_checkpoint is None:
            return
        path = self.hd_prior_checkpoint
        if not osp.isfile(path):
            raise FileNotFoundError(f'MapKDTeacher: hd_prior_checkpoint {path} does not exist')
        state = select_prefixed(load_state_dict_file(path), 'mae_head.', path)
        load_strict(self.mae_head, state, path, 'mae_head')
        print_log(f'MapKDTeacher: mae_head initialised from {path}', logger='current')

    def loss(self, inputs: dict, data_samples: dict | None) -> dict[str, Tensor]:
        """Task losses of the MAE output, plus ``loss_seg_pre_mae`` when ``pre_mae_seg_weight`` > 0
        and ``loss_seg_lidar_aux`` when ``lidar_aux_seg_weight`` > 0."""
        if self.pre_mae_seg_weight == 0 and self.lidar_aux_seg_weight == 0:
            return super().loss(inputs, data_samples)
        if self.task_loss is None or data_samples is None:
            return super().loss(inputs, data_samples)  # raises the base class's clear error
        outputs = self.extract(inputs)
        losses = self.task_loss(outputs, data_samples)
        if self.pre_mae_seg_weight > 0:
            losses['loss_seg_pre_mae'] = self.pre_mae_seg_weight * self.task_loss.seg_loss(
                outputs['seg_pre_mae'], data_samples['semantic'])
        if self.lidar_aux_head is not None:
            losses['loss_seg_lidar_aux'] = self.lidar_aux_seg_weight * self.task_loss.seg_loss(
                self.lidar_aux_head(outputs['lidar_feature']), data_samples['semantic'])
        return losses

    def second_bev(self, inputs: dict) -> Tensor:
        return self.lidar_encoder(inputs['lidar'], inputs['lidar_mask'])
