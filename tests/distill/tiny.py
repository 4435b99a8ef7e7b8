"""Shrink real MapKD configs to CPU-test sizes (grid, images, MAE, LSS) and fake batches for them."""
from __future__ import annotations

import copy

import torch

TINY_GRID = dict(xbound=[-30.0, 30.0, 0.75], ybound=[-15.0, 15.0, 0.75],
                 zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0])   # 40 x 80 BEV, bev_small 5 x 10
TINY_IMAGE = (32, 96)
TINY_MAE = dict(patch_size=8, embed_dim=32, depth=1, num_heads=2, mlp_ratio=2.0)
MAP_MODELS = ('MapKDStudent', 'MapKDCoach', 'MapKDTeacher', 'HDPriorPretrainModel', 'HDMapNet')


def shrink_model(model: dict) -> dict:
    """A copy of a map-model config at tiny sizes (same channel widths, so the losses still fit)."""
    model = copy.deepcopy(dict(model))
    if model.get('type') == 'MapDistiller':
        model['student'] = shrink_model(model['student'])
        return model
    if model.get('type') not in MAP_MODELS:
        raise ValueError(f'shrink_model: unexpected model type {model.get("type")}')
    model['grid_conf'] = copy.deepcopy(TINY_GRID)
    if model['type'] != 'HDPriorPretrainModel':
        model['image_size'] = TINY_IMAGE
        model['view_hidden'] = 8
    if model['type'] in ('MapKDTeacher', 'HDPriorPretrainModel') or model.get('hd_head'):
        model['mae'] = dict(TINY_MAE)
    if model['type'] == 'MapKDCoach':
        model['lss_mid_channels'] = 32
    return model


def fake_batch(batch: int = 1, seed: int = 0) -> dict:
    """A collated batch of the data contract at TINY_GRID / TINY_IMAGE with one divider per sample."""
    gen = torch.Generator().manual_seed(seed)
    height, width = 40, 80
    eye = torch.eye(3).expand(batch, 6, 3, 3).clone()
    inputs = dict(imgs=torch.randn(batch, 6, 3, *TINY_IMAGE, generator=gen), trans=torch.randn(batch, 6, 3, generator=gen),
                  rots=eye.clone(), intrins=eye * 50, post_trans=torch.zeros(batch, 6, 3), post_rots=eye.clone(),
                  lidar=torch.randn(batch, 500, 5, generator=gen) * 10, lidar_mask=torch.ones(batch, 500),
                  car_trans=torch.zeros(batch, 3), yaw_pitch_roll=torch.zeros(batch, 3),
                  sd_map=-torch.ones(batch, 1, height, width))
    semantic = torch.zeros(batch, 4, height, width)
    semantic[:, 1, 19:22, 10:70] = 1
    semantic[:, 3, 5:8, 0:80] = 1
    semantic[:, 0] = (semantic[:, 1:].sum(1) == 0).float()
    instance = torch.zeros(batch, height, width, dtype=torch.long)
    instance[:, 19:22, 10:70] = 1
    instance[:, 5:8, :] = 2
    direction = torch.zeros(batch, 37, height, width)
    direction[:, 0] = 1
    vectors = [[dict(pts=[[-22.5, 0.0], [22.5, 0.0]], type=0), dict(pts=[[-30.0, -10.5], [30.0, -10.5]], type=2)]
               for _ in range(batch)]
    samples = dict(semantic=semantic, instance=instance, direction=direction, gt_vectors=vectors,
                   token=[f't{i}' for i in range(batch)])
    return dict(inputs=inputs, data_samples=samples)
