"""Helpers for the parity tests against ``/work/shared/spec/parity`` (official model outputs)."""
from __future__ import annotations

import importlib.util
import os.path as osp

import numpy as np
import torch

PARITY_DIR = osp.join(osp.dirname(__file__), '..', '..', '..', 'shared', 'spec', 'parity')
PARITY_DIR = osp.normpath(PARITY_DIR) if osp.isdir(osp.normpath(PARITY_DIR)) else '/work/shared/spec/parity'
TOLERANCE = 1e-4

INPUT_NAMES = {'imgs': 'imgs', 'trans': 'trans', 'rots': 'rots', 'intrins': 'intrins', 'post_trans': 'post_trans',
               'post_rots': 'post_rots', 'lidar': 'lidar_data', 'lidar_mask': 'lidar_mask', 'car_trans': 'car_trans',
               'yaw_pitch_roll': 'yaw_pitch_roll', 'sd_map': 'osm_masks'}

# our output name -> golden name
OUTPUT_NAMES = {'seg': 'semantic', 'emb': 'embedding', 'dir': 'direction', 'topdown': 'camera_bev',
                'lidar_feature': 'lidar_feature', 'sim_lidar_feature': 'sim_lidar_feature', 'bev_small': 'bev_small',
                'bev_out': 'bev_out'}
SLICES = {'s2': (slice(None), slice(None), slice(None, None, 2), slice(None, None, 2)),
          'c2s2': (slice(None), slice(None, None, 2), slice(None, None, 2), slice(None, None, 2)),
          'c4s2': (slice(None), slice(None, None, 4), slice(None, None, 2), slice(None, None, 2))}


def parity_available() -> bool:
    return osp.isfile(osp.join(PARITY_DIR, 'inputs.npz'))


def load_weights_module():
    spec = importlib.util.spec_from_file_location('parity_weights', osp.join(PARITY_DIR, 'weights.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def official_state_dict(manifest: str) -> dict:
    return load_weights_module().make_state_dict(osp.join(PARITY_DIR, 'manifests', f'{manifest}.json'), seed=0)


def parity_inputs() -> dict:
    data = np.load(osp.join(PARITY_DIR, 'inputs.npz'))
    return {ours: torch.from_numpy(np.ascontiguousarray(data[theirs])) for ours, theirs in INPUT_NAMES.items()}


def expected(name: str) -> dict:
    data = np.load(osp.join(PARITY_DIR, f'expected_{name}.npz'))
    return {key: data[key] for key in data.files if key != 'meta_json'}


def relative_error(ours: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(ours.astype(np.float64) - ref.astype(np.float64)).max() / np.abs(ref).max())


def compare_outputs(outputs: dict, golden: dict, extra: dict | None = None) -> dict[str, float]:
    """Relative error of every stored array (and chan stats) that ``outputs`` can produce."""
    tensors = {OUTPUT_NAMES[k]: v.detach().float().cpu().numpy() for k, v in outputs.items() if k in OUTPUT_NAMES}
    tensors.update(extra or {})
    errors = {}
    for key, ref in golden.items():
        if key.startswith('hook_'):
            continue
        base, _, suffix = key.partition('__')
        if base not in tensors:
            continue
        full = tensors[base]
        if suffix == '':
            errors[key] = relative_error(full, ref)
        elif suffix in SLICES:
            errors[key] = relative_error(full[SLICES[suffix]], ref)
        elif suffix.startswith('chan_'):
            stat = {'chan_mean': full.astype(np.float64).mean(axis=(0, 2, 3)),
                    'chan_std': full.astype(np.float64).std(axis=(0, 2, 3)),
                    'chan_absmax': np.abs(full.astype(np.float64)).max(axis=(0, 2, 3))}[suffix]
            scale = np.abs(golden[f'{base}__chan_absmax']).max()
            errors[key] = float(np.abs(stat - ref).max() / scale)
    return errors
