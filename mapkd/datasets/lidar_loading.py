"""LiDAR: keyframe + previous sweeps merged into the keyframe's ego frame (official ``get_lidar_data``).

Each sweep is read with the devkit's ``LidarPointCloud``, points with |x| < 2.2 m and |y| < 2.2 m
(sensor frame, devkit ``remove_close``) are removed, and the sweep is moved
sensor -> ego(t) -> global -> ego(keyframe) with the devkit's ``transform_matrix``. Features are
x, y, z, intensity and the time lag in seconds. The list is padded/trimmed to ``max_points``
(trimming keeps the first points = the newest sweep) with a validity mask.
"""
from __future__ import annotations

import os.path as osp
from functools import reduce
from typing import Mapping, Sequence, Tuple

import numpy as np
from pyquaternion import Quaternion

from .errors import MissingDataFileError, UnreadableFileError


def load_sweep_points(data_root: str, sweeps: Sequence[Mapping], nsweeps: int, min_dist: float) -> np.ndarray:
    """(N, 5) float32 points of the first ``nsweeps`` entries of ``sweeps`` (keyframe first)."""
    from nuscenes.utils.data_classes import LidarPointCloud
    from nuscenes.utils.geometry_utils import transform_matrix
    if not sweeps:
        raise MissingDataFileError('sample has no LIDAR_TOP sweep')
    ref = sweeps[0]
    car_from_global = transform_matrix(ref['ego2global_translation'], Quaternion(ref['ego2global_rotation']),
                                       inverse=True)
    ref_time = 1e-6 * ref['timestamp']
    chunks = []
    for sweep in sweeps[:nsweeps]:
        path = osp.join(data_root, sweep['filename'])
        if not osp.isfile(path):
            raise MissingDataFileError(f'LiDAR sweep {path} not found')
        try:
            pc = LidarPointCloud.from_file(path)
        except ValueError as exc:  # reshape of a truncated file
            raise UnreadableFileError(f'cannot read LiDAR sweep {path}: {exc}') from exc
        pc.remove_close(min_dist)
        global_from_car = transform_matrix(sweep['ego2global_translation'],
                                           Quaternion(sweep['ego2global_rotation']), inverse=False)
        car_from_sensor = transform_matrix(sweep['sensor2ego_translation'],
                                           Quaternion(sweep['sensor2ego_rotation']), inverse=False)
        pc.transform(reduce(np.dot, [car_from_global, global_from_car, car_from_sensor]))
        lag = np.full((1, pc.nbr_points()), ref_time - 1e-6 * sweep['timestamp'])
        chunks.append(np.concatenate([pc.points, lag], 0))
    return np.concatenate(chunks, 1).T.astype(np.float32)


def pad_or_trim(points: np.ndarray, max_points: int) -> Tuple[np.ndarray, np.ndarray]:
    """Fixed-size (max_points, C) points and float32 (max_points,) mask (1 = valid)."""
    out = np.zeros((max_points, points.shape[1]), np.float32)
    n = min(len(points), max_points)
    out[:n] = points[:n]
    mask = np.zeros(max_points, np.float32)
    mask[:n] = 1.0
    return out, mask
