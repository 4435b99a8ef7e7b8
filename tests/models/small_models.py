"""Reduced-width model configs and random inputs for fast CPU tests at the official ranges."""
from __future__ import annotations

import math

import torch

RANGES = {
    '60x30': dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15], zbound=[-10.0, 10.0, 20.0],
                  dbound=[4.0, 45.0, 1.0]),
    '120x60': dict(xbound=[-60.0, 60.0, 0.3], ybound=[-30.0, 30.0, 0.3], zbound=[-10.0, 10.0, 20.0],
                   dbound=[4.0, 45.0, 1.0]),
    '240x60': dict(xbound=[-120.0, 120.0, 0.3], ybound=[-30.0, 30.0, 0.3], zbound=[-10.0, 10.0, 20.0],
                   dbound=[4.0, 45.0, 1.0]),
}
SMALL_IMAGE = (64, 176)
SMALL_MAE = dict(embed_dim=32, depth=1, num_heads=2)
SMALL_SD = dict(hidden=16, num_layers=1, nhead=2, dim_feedforward=32)


def small_model_cfg(model_type: str, grid_conf: dict, image_size=SMALL_IMAGE) -> dict:
    cfg = dict(type=model_type, grid_conf=grid_conf, image_size=image_size, loss=dict(type='MapTaskLoss'))
    if model_type != 'HDPriorPretrainModel':
        cfg.update(camera_channels=16, view_hidden=32)
    cfg.update(decoder_channels=16)
    if model_type == 'MapKDStudent':
        cfg.update(bev_channels=24)
    if model_type == 'MapKDCoach':
        cfg.update(sim_lidar_channels=8, lss_channels=8, lss_mid_channels=16, sd_fusion=SMALL_SD)
    if model_type == 'MapKDTeacher':
        cfg.update(lidar_channels=8, lidar_width=8, sd_fusion=SMALL_SD, mae=SMALL_MAE)
    if model_type == 'HDPriorPretrainModel':
        cfg.update(mae=SMALL_MAE)
    return cfg


def bev_hw(grid_conf: dict) -> tuple[int, int]:
    return (round((grid_conf['ybound'][1] - grid_conf['ybound'][0]) / grid_conf['ybound'][2]),
            round((grid_conf['xbound'][1] - grid_conf['xbound'][0]) / grid_conf['xbound'][2]))


def random_batch(grid_conf: dict, image_size=SMALL_IMAGE, batch: int = 1, num_points: int = 2000, seed: int = 0):
    """Plausible nuScenes-like inputs: cameras around the car looking outwards, points in range."""
    gen = torch.Generator().manual_seed(seed)
    height, width = bev_hw(grid_conf)
    rots, trans = [], []
    for yaw in (55, 0, -55, 110, 180, -110):
        yaw_r = math.radians(yaw)
        # camera frame (x right, y down, z forward) -> ego (x fwd, y left, z up), rotated by yaw
        base = torch.tensor([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
        rot_z = torch.tensor([[math.cos(yaw_r), -math.sin(yaw_r), 0.0], [math.sin(yaw_r), math.cos(yaw_r), 0.0],
                              [0.0, 0.0, 1.0]])
        rots.append(rot_z @ base)
        trans.append(torch.tensor([1.0 * math.cos(yaw_r), 0.5 * math.sin(yaw_r), 1.6]))
    scale = torch.diag(torch.tensor([image_size[1] / 1600, image_size[0] / 900, 1.0]))
    intrins = torch.tensor([[1260.0, 0.0, 800.0], [0.0, 1260.0, 450.0], [0.0, 0.0, 1.0]])
    xr, yr = grid_conf['xbound'], grid_conf['ybound']
    lidar = torch.zeros(batch, num_points, 5)
    lidar[..., 0] = torch.rand(batch, num_points, generator=gen) * (xr[1] - xr[0]) + xr[0]
    lidar[..., 1] = torch.rand(batch, num_points, generator=gen) * (yr[1] - yr[0]) + yr[0]
    lidar[..., 2] = torch.rand(batch, num_points, generator=gen) * 2 - 1
    lidar[..., 3] = torch.rand(batch, num_points, generator=gen) * 50
    mask = torch.ones(batch, num_points)
    mask[:, -100:] = 0
    lidar[:, -100:] = 0
    inputs = dict(
        imgs=torch.randn(batch, 6, 3, *image_size, generator=gen),
        rots=torch.stack(rots).expand(batch, 6, 3, 3).clone(), trans=torch.stack(trans).expand(batch, 6, 3).clone(),
        intrins=intrins.expand(batch, 6, 3, 3).clone(), post_rots=scale.expand(batch, 6, 3, 3).clone(),
        post_trans=torch.zeros(batch, 6, 3), lidar=lidar, lidar_mask=mask,
        car_trans=torch.zeros(batch, 3), yaw_pitch_roll=torch.zeros(batch, 3),
        sd_map=torch.where(torch.rand(batch, 1, height, width, generator=gen) > 0.9, 1.0, -1.0),
        hd_prior=(torch.rand(batch, 4, height, width, generator=gen) > 0.5).float())
    semantic = torch.zeros(batch, 4, height, width)
    semantic[:, 0] = 1
    semantic[:, 0, height // 2 - 2:height // 2 + 2, :] = 0
    semantic[:, 1, height // 2 - 2:height // 2 + 2, :] = 1
    instance = torch.zeros(batch, height, width, dtype=torch.long)
    instance[:, height // 2 - 2:height // 2 + 2, :width // 2] = 1
    instance[:, height // 2 - 2:height // 2 + 2, width // 2:] = 2
    direction = torch.zeros(batch, 37, height, width)
    direction[:, 0] = 1
    direction[:, 0, height // 2 - 2:height // 2 + 2, :] = 0
    direction[:, 1, height // 2 - 2:height // 2 + 2, :] = 0.5
    direction[:, 19, height // 2 - 2:height // 2 + 2, :] = 0.5
    samples = dict(semantic=semantic, instance=instance, direction=direction,
                   token=[f'tok{i}' for i in range(batch)],
                   gt_vectors=[[dict(pts=torch.tensor([[0.0, 0.0], [5.0, 0.0]]), type=0)] for _ in range(batch)])
    return inputs, samples
