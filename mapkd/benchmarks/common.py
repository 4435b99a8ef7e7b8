"""Shared pieces of the benchmarks: config loading, model building, synthetic batches, timing."""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import time
from typing import Callable, Optional

import torch
from mmengine.config import Config, DictAction

from mapkd.cli import CLIError
from mapkd.utils.machine import describe_machine

# nuScenes-like camera yaw angles (deg, left positive) in the official CAMS order.
CAMERA_YAWS_DEG = (55.0, 0.0, -55.0, 110.0, 180.0, -110.0)


def add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='model config')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    parser.add_argument('--out', help='also write the results as JSON to this file')


def load_cfg(path: str, options: dict) -> Config:
    from mapkd.engine.launch import load_config
    from mapkd.utils.setup_env import register_all_modules
    cfg = load_config(path, options, 'none', 0, None)
    # models built outside a Runner (e.g. a MapDistiller's data preprocessor, which mmengine's
    # BaseModel builds from its own registry) resolve their types in the mapkd scope
    register_all_modules(init_default_scope=True)
    return cfg


def grid_shape(cfg: Config) -> tuple[int, int]:
    """BEV (H, W) of a config's ``grid_conf``."""
    grid = cfg.get('grid_conf')
    if grid is None:
        raise CLIError('the config defines no grid_conf')
    width = int(round((grid['xbound'][1] - grid['xbound'][0]) / grid['xbound'][2]))
    height = int(round((grid['ybound'][1] - grid['ybound'][0]) / grid['ybound'][2]))
    return height, width


def build_model(cfg: Config, device: str, part: Optional[str] = None) -> torch.nn.Module:
    """Build ``cfg.model`` (or its ``part``, e.g. 'student' of a distiller) in eval mode."""
    from mapkd.registry import MODELS
    model_cfg = cfg.model
    if part is not None:
        model_cfg = cfg.model[part]
    return MODELS.build(model_cfg).to(device).eval()


def camera_rig(batch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """rots (B,6,3,3) camera->ego, trans (B,6,3), intrins (B,6,3,3) of a 1600x900 nuScenes-like rig."""
    rots = []
    base = torch.tensor([[0., 0., 1.], [-1., 0., 0.], [0., -1., 0.]])  # cam (x right, y down, z fwd) -> ego
    for yaw in CAMERA_YAWS_DEG:
        a = math.radians(yaw)
        rz = torch.tensor([[math.cos(a), -math.sin(a), 0.], [math.sin(a), math.cos(a), 0.], [0., 0., 1.]])
        rots.append(rz @ base)
    rots = torch.stack(rots)
    trans = torch.stack([torch.tensor([1.5 * math.cos(math.radians(y)), 0.5 * math.sin(math.radians(y)), 1.6])
                         for y in CAMERA_YAWS_DEG])
    intrins = torch.tensor([[1266.4, 0., 816.3], [0., 1266.4, 491.5], [0., 0., 1.]]).expand(6, 3, 3)
    return rots.expand(batch, 6, 3, 3).clone(), trans.expand(batch, 6, 3).clone(), intrins.expand(batch, 6, 3, 3).clone()


def synthetic_batch(cfg: Config, batch: int, device: str, seed: int = 0) -> dict:
    """A batch of inputs in the DATA CONTRACT shapes (random images and points, real-looking rig)."""
    gen = torch.Generator().manual_seed(seed)
    height, width = grid_shape(cfg)
    img_h, img_w = cfg.get('image_size', (128, 352))
    grid = cfg.grid_conf
    max_points = int(cfg.get('max_points', 81920))
    rots, trans, intrins = camera_rig(batch)
    post_rots = torch.diag(torch.tensor([img_w / 1600.0, img_h / 900.0, 1.0])).expand(batch, 6, 3, 3).clone()
    pts = torch.rand(batch, max_points, 5, generator=gen)
    pts[..., 0] = pts[..., 0] * (grid['xbound'][1] - grid['xbound'][0]) + grid['xbound'][0]
    pts[..., 1] = pts[..., 1] * (grid['ybound'][1] - grid['ybound'][0]) + grid['ybound'][0]
    pts[..., 2] = pts[..., 2] * 3 - 2
    pts[..., 3] *= 255
    pts[..., 4] *= 0.1
    inputs = dict(
        imgs=torch.randn(batch, 6, 3, img_h, img_w, generator=gen), trans=trans, rots=rots,
        intrins=intrins, post_trans=torch.zeros(batch, 6, 3), post_rots=post_rots,
        lidar=pts, lidar_mask=torch.ones(batch, max_points), car_trans=torch.zeros(batch, 3),
        yaw_pitch_roll=torch.zeros(batch, 3),
        sd_map=torch.where(torch.rand(batch, 1, height, width, generator=gen) > 0.9, 1.0, -1.0),
        hd_prior=(torch.rand(batch, 4, height, width, generator=gen) > 0.8).float(),
    )
    return {k: v.to(device) for k, v in inputs.items()}


def synthetic_targets(cfg: Config, batch: int, device: str, seed: int = 1) -> dict:
    """Random GT in the DATA CONTRACT shapes (for training-step timing)."""
    gen = torch.Generator().manual_seed(seed)
    height, width = grid_shape(cfg)
    labels = torch.randint(0, 4, (batch, height, width), generator=gen)
    semantic = torch.nn.functional.one_hot(labels, 4).permute(0, 3, 1, 2).float()
    instance = torch.where(labels > 0, torch.randint(1, 20, (batch, height, width), generator=gen), 0)
    direction = torch.zeros(batch, 37, height, width)
    direction[:, 0] = 1.0
    return dict(semantic=semantic.to(device), instance=instance.to(device), direction=direction.to(device))


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_fn(fn: Callable[[], object], device: str, warmup: int, iters: int) -> float:
    """Mean wall time of ``fn`` in milliseconds after ``warmup`` calls (device-synchronised)."""
    for _ in range(warmup):
        fn()
    sync(device)
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    sync(device)
    return (time.perf_counter() - start) * 1000.0 / iters


def peak_memory_mb(device: str) -> float:
    """Peak GPU memory allocated (CUDA) or peak resident set size of this process (CPU), MiB."""
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine_description(device: str) -> str:
    """The GPU, or the CPU model, cores, kernel level and torch threads (mapkd/utils/machine.py)."""
    return describe_machine(device)


def amp_dtype(device: str) -> torch.dtype:
    return torch.float16 if device.startswith('cuda') else torch.bfloat16


def write_json(path: Optional[str], payload: dict) -> None:
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, path)
