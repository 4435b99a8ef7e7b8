"""GT vectors of a split, for the JSON evaluation path (``tools/export_gt.py``,
``tools/eval_submission.py``).

GT comes from :class:`mapkd.datasets.NuScenesMapDataset` without loading images, LiDAR or SD
maps: only the sample list and its GT vectors (``dataset.gt_vectors(info)``) are read.
"""
from __future__ import annotations

from typing import Any, Mapping

from .grid import BevGrid
from .submission import write_submission

GT_META = dict(use_camera=False, use_lidar=False, use_radar=False, use_external=False, vector=True)


def build_gt_dataset(data_root: str, version: str, split: str, grid: BevGrid, cache: bool = True,
                     dataset_cfg: Mapping | None = None) -> Any:
    """A ``NuScenesMapDataset`` that serves GT only (no images, LiDAR or SD map loading).

    ``dataset_cfg`` (a config's dataset dict) takes precedence for anything but the loading flags.
    """
    from mapkd.datasets import NuScenesMapDataset

    kwargs: dict = dict(data_root=data_root, version=version, split=split,
                        grid_conf=dict(xbound=[grid.xmin, grid.xmax, grid.res_x],
                                       ybound=[grid.ymin, grid.ymax, grid.res_y]),
                        cache=cache)
    if dataset_cfg is not None:
        cfg = dict(dataset_cfg)
        cfg.pop('type', None)
        cfg.pop('pipeline', None)
        cfg.pop('hd_prior', None)
        kwargs.update({k: v for k, v in cfg.items() if k in ('data_root', 'version', 'split', 'grid_conf',
                                                               'cache', 'cache_root', 'thickness',
                                                               'angle_class', 'indices')})
    return NuScenesMapDataset(load_images=False, load_lidar=False, load_sd_map=False, test_mode=True, **kwargs)


def gt_vectors_from_dataset(dataset: Any) -> dict[str, list[dict]]:
    """``{token: [dict(pts, pts_num, type)]}`` in dataset order."""
    out: dict[str, list[dict]] = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        vectors = dataset.gt_vectors(info)
        out[info['token']] = [dict(pts=v['pts'], pts_num=int(len(v['pts'])), type=int(v['type']))
                              for v in vectors]
    return out


def write_gt_json(gt: Mapping[str, list], path: str, grid: BevGrid, source: Mapping | None = None) -> dict:
    """Write GT vectors in the submission schema without ``confidence_level``; ``meta`` also
    records the grid and where the GT came from."""
    meta = dict(GT_META, kind='ground_truth',
                grid=dict(xbound=[grid.xmin, grid.xmax, grid.res_x], ybound=[grid.ymin, grid.ymax, grid.res_y]))
    if source:
        meta['source'] = dict(source)
    return write_submission(gt, path, meta=meta, with_confidence=False)
