"""``save_predictions``: pictures of model predictions, called by ``tools/test.py --show-dir``."""
from __future__ import annotations

import os.path as osp
import weakref
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from pyquaternion import Quaternion

from .sample_figure import visualize_sample

_TOKEN_INDEX: 'weakref.WeakKeyDictionary[Any, dict]' = weakref.WeakKeyDictionary()


def _token_index(dataset: Any) -> dict[str, int]:
    """token -> dataset index, built once per dataset object."""
    try:
        cached = _TOKEN_INDEX.get(dataset)
    except TypeError:  # not weak-referenceable
        cached = None
    if cached is None:
        cached = {dataset.get_data_info(i)['token']: i for i in range(len(dataset))}
        try:
            _TOKEN_INDEX[dataset] = cached
        except TypeError:
            pass
    return cached


def _calibration_from_info(info: Mapping, data_root: str) -> tuple[dict, list[str]]:
    """Camera calibration (DATA CONTRACT names) and image paths from a NuScenesMapDataset info."""
    rots, trans, intrins, paths = [], [], [], []
    for cam in info['cams']:
        rots.append(Quaternion(cam['sensor2ego_rotation']).rotation_matrix)
        trans.append(cam['sensor2ego_translation'])
        intrins.append(cam['intrinsic'])
        paths.append(osp.join(data_root, cam['filename']))
    inputs = dict(rots=np.asarray(rots, np.float64), trans=np.asarray(trans, np.float64),
                  intrins=np.asarray(intrins, np.float64))
    return inputs, paths


def sample_inputs_for(dataset: Any, token: str) -> tuple[dict, list[str] | None, dict]:
    """(inputs with calibration, image paths, data_samples or {}) of ``token`` in ``dataset``;
    reads only the info (no image/LiDAR loading) when the dataset provides camera infos."""
    index = _token_index(dataset).get(token)
    if index is None:
        raise KeyError(f'sample token {token!r} is not in the dataset given to save_predictions')
    info = dataset.get_data_info(index)
    if 'cams' in info:
        inputs, paths = _calibration_from_info(info, getattr(dataset, 'data_root', '') or '')
        return inputs, paths, {}
    item = dataset[index]
    return item['inputs'], item['data_samples'].get('img_paths'), item['data_samples']


def save_predictions(outputs: Sequence[Mapping], dataset: Any, out_dir: str, grid_conf: Mapping | None,
                     max_samples: int | None = None) -> list[str]:
    """Write ``<out_dir>/<token>.png`` for each prediction dict (MODEL CONTRACT ``predict`` output).

    Args:
        outputs: per-sample dicts with ``seg_logits``, ``embedding``, ``direction``, ``token`` and
            the GT fields the model carries along (``semantic``, ``gt_vectors``, ``img_paths``).
        dataset: the dataset the predictions come from (for camera calibration / images).
        out_dir: output folder.
        grid_conf: dict with ``xbound``/``ybound``; ``None`` -> the dataset's ``grid``.
        max_samples: write at most this many pictures.
    Returns: the written paths.
    """
    if grid_conf is None:
        grid = getattr(dataset, 'grid', None)
        if grid is None or not hasattr(grid, 'xbound'):
            raise ValueError('save_predictions needs grid_conf (the config has none and the dataset has no grid)')
        grid_conf = dict(xbound=list(grid.xbound), ybound=list(grid.ybound))
    written = []
    for output in list(outputs)[: max_samples if max_samples is not None else None]:
        token = output.get('token')
        if token is None:
            raise KeyError(f'save_predictions: a prediction has no "token" (keys: {sorted(output)})')
        inputs, paths, samples = sample_inputs_for(dataset, token)
        data_sample = dict(samples)
        for key in ('semantic', 'gt_vectors', 'img_paths', 'token'):
            if key in output:
                data_sample[key] = output[key]
        if not data_sample.get('img_paths') and paths:
            data_sample['img_paths'] = paths
        if 'gt_vectors' not in data_sample and hasattr(dataset, 'gt_vectors'):
            data_sample['gt_vectors'] = dataset.gt_vectors(dataset.get_data_info(_token_index(dataset)[token]))
        if isinstance(data_sample.get('semantic'), torch.Tensor):
            data_sample['semantic'] = data_sample['semantic'].cpu()
        written.append(visualize_sample(inputs, data_sample, output, osp.join(out_dir, f'{token}.png'), grid_conf))
    return written
