"""HD-map prior input for MAE pre-training: the GT map with random patches masked out.

Official P-MapNet ``preprocess_map`` (mask_flag=True): binarise the overlap-filtered per-class
instance rasters, pick an n x n patch grid (n from {25, 20, 10, 8}), mask ``round(n*n*ratio)`` random
patches of the divider and ped channels and, independently, ``round(n*n*ratio_bd)`` patches of the
boundary channel, then prepend a background channel. ``mask_ratio < 0`` draws ratio ~ U(0, 0.7) and
ratio_bd ~ U(0, 0.5) per sample; otherwise both equal ``mask_ratio``.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

DEFAULT_GRID_CHOICES = (25, 20, 10, 8)


def validate_hd_prior_cfg(cfg: dict, canvas_size: Sequence[int]) -> dict:
    """Fill defaults and check the grid choices against the canvas (no zero-size patches)."""
    unknown = set(cfg) - {'mask_ratio', 'grid_choices', 'seed'}
    if unknown:
        raise ValueError(f'unknown hd_prior options {sorted(unknown)}; use mask_ratio, grid_choices, seed')
    out = dict(mask_ratio=float(cfg.get('mask_ratio', 0.5)),
               grid_choices=tuple(int(n) for n in cfg.get('grid_choices', DEFAULT_GRID_CHOICES)),
               seed=cfg.get('seed'))
    if not out['grid_choices']:
        raise ValueError('hd_prior.grid_choices must not be empty')
    for n in out['grid_choices']:
        if n < 1 or n > min(canvas_size):
            raise ValueError(f'hd_prior grid size {n} must be in [1, {min(canvas_size)}] for canvas {canvas_size}')
    if out['mask_ratio'] > 1:
        raise ValueError(f'hd_prior.mask_ratio must be <= 1 (or < 0 for random), got {out["mask_ratio"]}')
    return out


def _patch_mask(h: int, w: int, n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.ones((h, w), np.float32)
    ph, pw = h // n, w // n
    for block in rng.permutation(n * n)[:count]:
        r, c = (block // n) * ph, (block % n) * pw
        mask[r:r + ph, c:c + pw] = 0
    return mask


def make_hd_prior(instance_per_class: np.ndarray, mask_ratio: float = 0.5,
                  grid_choices: Sequence[int] = DEFAULT_GRID_CHOICES,
                  rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """float32 (4, H, W) masked GT map in {0, 1}; channel 0 = no element."""
    rng = np.random.default_rng() if rng is None else rng
    _, h, w = instance_per_class.shape
    n = int(grid_choices[rng.integers(len(grid_choices))])
    if mask_ratio < 0:
        ratio_bd, ratio = rng.uniform(0, 0.5), rng.uniform(0, 0.7)
    else:
        ratio_bd = ratio = mask_ratio
    binary = (instance_per_class != 0).astype(np.float32)
    binary[:2] *= _patch_mask(h, w, n, round(n * n * ratio), rng)
    binary[2] *= _patch_mask(h, w, n, round(n * n * ratio_bd), rng)
    out = np.empty((4, h, w), np.float32)
    out[1:] = binary
    out[0] = ~binary.any(0)
    return out
