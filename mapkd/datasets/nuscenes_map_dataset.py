"""NuScenesMapDataset: nuScenes-format samples -> the MapKD data contract (docs/design.md)."""
from __future__ import annotations

import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from pyquaternion import Quaternion

from ..registry import DATASETS
from .constants import ANGLE_CLASSES, FIXED_SD_ROAD_TYPES, LINE_THICKNESS, SD_THICKNESS
from . import sample_memo
from .data_cache import (build_split_infos, default_cache_dir, load_or_build_infos,
                         load_or_build_sd_geometry, load_or_build_vectors)
from .errors import DatasetError
from .grid import BevGrid
from .hd_prior import make_hd_prior, validate_hd_prior_cfg
from .image_loading import blank_camera_image, load_camera_image
from .lidar_loading import load_sweep_points, pad_or_trim
from .map_expansion import MapGeometry
from .map_vectors import extract_gt_vectors, pack_vectors, unpack_vectors, yaw_pitch_roll
from .nuscenes_infos import check_version, resolve_split
from .rasterize import rasterize_gt
from .sd_map import ALIGNMENTS, sd_map_raster

DEFAULT_GRID_CONF = dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15],
                         zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0])


@DATASETS.register_module()
class NuScenesMapDataset(BaseDataset):
    """HD-map samples of a nuScenes-format dataset (real nuScenes or the synthetic city).

    Each item is ``dict(inputs=..., data_samples=...)`` as in the DATA CONTRACT. With ``cache=True``
    the infos, GT vectors (per range) and SD geometry come from ``<cache_root>`` (default
    ``<data_root>/mapkd_cache``, built by ``tools/create_data.py`` or on first use); with
    ``cache=False`` they are computed from the tables and the map API. Both give identical items.

    Args (besides mmengine's): ``split`` 'train' | 'val' | 'mini_train' | 'mini_val' | 'test' ...;
    ``hd_prior`` None or dict(mask_ratio=0.5 | <0 for random, grid_choices=(25, 20, 10, 8), seed=None);
    with a seed the mask of sample i in epoch e is drawn from ``default_rng([seed, e, i])``
    (``set_epoch``). ``sd_road_types`` defaults to the intended OSM type list; pass
    ``constants.OFFICIAL_SD_ROAD_TYPES`` to reproduce the official one. ``load_lidar=False`` gives
    empty (0, 5) points; ``load_sd_map=False`` gives an all -1 SD raster.

    Compact dtypes (``docs/design.md``): images are uint8 RGB (``normalize_images=True`` gives the
    normalised float32 images instead), ``semantic`` is uint8 and the direction target is
    ``direction_index`` uint8 (2, H, W); ``MapDataPreprocessor`` turns them into the float
    tensors the models and losses use, on the model's device.
    """

    METAINFO = dict(classes=('divider', 'ped_crossing', 'boundary'))

    def __init__(self, data_root: str, version: str = 'v1.0-trainval', split: str = 'train',
                 grid_conf: Optional[dict] = None, image_size: Sequence[int] = (128, 352),
                 nsweeps: int = 3, max_points: int = 81920, min_dist: float = 2.2,
                 load_images: bool = True, load_lidar: bool = True, load_sd_map: bool = True,
                 hd_prior: Optional[dict] = None, sd_map_root: Optional[str] = None,
                 sd_alignment: str = 'topocentric', sd_road_types: Optional[Sequence[str]] = None,
                 cache: bool = True, cache_root: Optional[str] = None, reduced_decode: bool = True,
                 normalize_images: bool = False,
                 thickness: int = LINE_THICKNESS, sd_thickness: int = SD_THICKNESS,
                 angle_class: int = ANGLE_CLASSES, pipeline: Sequence = (), test_mode: bool = False,
                 indices=None, serialize_data: bool = True, lazy_init: bool = False, max_refetch: int = 1000,
                 **kwargs):
        if kwargs:
            raise TypeError(f'NuScenesMapDataset got unknown arguments {sorted(kwargs)}')
        check_version(data_root, version)
        self.version = version
        self.split = resolve_split(version, split)
        self.grid = BevGrid.from_conf(grid_conf or DEFAULT_GRID_CONF)
        self.image_size = (int(image_size[0]), int(image_size[1]))
        if nsweeps < 1:
            raise ValueError(f'nsweeps must be >= 1, got {nsweeps}')
        self.nsweeps, self.max_points, self.min_dist = int(nsweeps), int(max_points), float(min_dist)
        self.load_images, self.load_lidar, self.load_sd_map = load_images, load_lidar, load_sd_map
        self.hd_prior = None if hd_prior is None else validate_hd_prior_cfg(dict(hd_prior), self.grid.canvas_size)
        if sd_alignment not in ALIGNMENTS:
            raise ValueError(f'sd_alignment must be one of {ALIGNMENTS}, got {sd_alignment!r}')
        self.sd_map_root = sd_map_root or osp.join(data_root, 'osm')
        self.sd_alignment = sd_alignment
        self.sd_road_types = tuple(sd_road_types or FIXED_SD_ROAD_TYPES)
        self.use_cache = cache
        self.cache_dir = cache_root or default_cache_dir(data_root)
        self.reduced_decode = reduced_decode
        self.normalize_images = bool(normalize_images)
        self.thickness, self.sd_thickness, self.angle_class = thickness, sd_thickness, angle_class
        self.epoch = 0
        self._map_geometries: Dict[str, MapGeometry] = {}
        self._sd_geometries: Dict = {}
        super().__init__(ann_file='', data_root=data_root, pipeline=list(pipeline), test_mode=test_mode,
                         indices=indices, serialize_data=serialize_data, lazy_init=lazy_init,
                         max_refetch=max_refetch)

    # ------------------------------------------------------------------ loading of the sample list
    def load_data_list(self) -> List[dict]:
        if not self.use_cache:
            return build_split_infos(self.data_root, self.version, self.split)
        infos = load_or_build_infos(self.data_root, self.version, self.split, self.cache_dir)
        vectors = load_or_build_vectors(self.data_root, self.version, self.split, self.grid, infos,
                                        self.cache_dir, self._map_geometries)
        for info, packed in zip(infos, vectors):
            info['gt_vectors'] = packed
        if self.load_sd_map:
            for loc in sorted({i['location'] for i in infos}):
                self._sd_geometry(loc)
        return infos

    def set_epoch(self, epoch: int) -> None:
        """Epoch used to seed the HD-prior masks (when ``hd_prior.seed`` is set)."""
        self.epoch = int(epoch)

    def index_of(self, token: str) -> int:
        """Index of a sample token; a clear error if the token is not in this split."""
        for i in range(len(self)):
            if self.get_data_info(i)['token'] == token:
                return i
        raise DatasetError(f'sample token {token!r} is not in the {self.version} {self.split} split '
                           f'of {self.data_root}')

    # ------------------------------------------------------------------ lazily loaded map resources
    def _map_geometry(self, location: str) -> MapGeometry:
        if location not in self._map_geometries:
            self._map_geometries[location] = MapGeometry.load(self.data_root, location)
        return self._map_geometries[location]

    def _sd_geometry(self, location: str):
        if location not in self._sd_geometries:
            self._sd_geometries[location] = load_or_build_sd_geometry(
                self.sd_map_root, location, self.sd_alignment, self.sd_road_types,
                self.cache_dir if self.use_cache else None)
        return self._sd_geometries[location]

    # ------------------------------------------------------------------ one sample
    def gt_vectors(self, info: dict) -> List[dict]:
        """GT vectors of an info (from the cache, or computed; both float32-rounded identically)."""
        packed = info.get('gt_vectors')
        if packed is None:
            packed = pack_vectors(extract_gt_vectors(self._map_geometry(info['location']),
                                                     info['ego2global_translation'],
                                                     info['ego2global_rotation'], self.grid.patch_size))
        return unpack_vectors(packed)

    def _load_cameras(self, info: dict) -> Dict[str, torch.Tensor]:
        imgs, post_rots, post_trans, trans, rots, intrins = [], [], [], [], [], []
        for cam in info['cams']:
            path = osp.join(self.data_root, cam['filename'])
            if self.load_images:
                img, post_rot, post_tran = load_camera_image(path, self.image_size, self.reduced_decode,
                                                             self.normalize_images)
            else:
                img = blank_camera_image(self.image_size, self.normalize_images)
                post_rot = np.diag([self.image_size[1] / cam['width'], self.image_size[0] / cam['height'], 1.0])
                post_tran = np.zeros(3)
            imgs.append(img)
            post_rots.append(post_rot)
            post_trans.append(post_tran)
            trans.append(cam['sensor2ego_translation'])
            rots.append(Quaternion(cam['sensor2ego_rotation']).rotation_matrix)
            intrins.append(cam['intrinsic'])

        def t(x):
            return torch.from_numpy(np.ascontiguousarray(np.stack(x), dtype=np.float32))
        return dict(imgs=torch.from_numpy(np.stack(imgs)), trans=t(trans), rots=t(rots), intrins=t(intrins),
                    post_trans=t(post_trans), post_rots=t(post_rots))

    def _hd_prior_rng(self, idx: int) -> Optional[np.random.Generator]:
        seed = self.hd_prior['seed']
        if seed is None:
            return np.random.default_rng(np.random.randint(0, 2 ** 31 - 1))
        return np.random.default_rng([int(seed), self.epoch, int(idx)])

    @property
    def item_signature(self) -> tuple:
        """Everything besides the sample that decides an item (without HD-prior masks): two datasets with
        the same signature give identical items for a sample token (used by ``sample_memo``)."""
        return (osp.abspath(self.data_root), self.version, self.split, self.grid.xbound, self.grid.ybound,
                self.image_size, self.nsweeps, self.max_points, self.min_dist, self.load_images,
                self.load_lidar, self.load_sd_map, osp.abspath(self.sd_map_root), self.sd_alignment,
                self.sd_road_types, self.reduced_decode, self.normalize_images, self.thickness,
                self.sd_thickness, self.angle_class)

    def load_item(self, info: dict, idx: int) -> dict:
        """The contract item of one info (before ``pipeline``); from the process's sample memo when it
        holds this sample for this dataset's ``item_signature`` (``mapkd/datasets/sample_memo.py``)."""
        if self.hd_prior is None:
            item = sample_memo.lookup(self.item_signature, info['token'])
            if item is not None:
                return item
        return self.read_item(info, idx)

    def read_item(self, info: dict, idx: int) -> dict:
        """The contract item of one info, read from the data files."""
        inputs = self._load_cameras(info)
        if self.load_lidar:
            points = load_sweep_points(self.data_root, info['sweeps'], self.nsweeps, self.min_dist)
            lidar, mask = pad_or_trim(points, self.max_points)
        else:
            lidar, mask = np.zeros((0, 5), np.float32), np.zeros(0, np.float32)
        inputs['lidar'] = torch.from_numpy(lidar)
        inputs['lidar_mask'] = torch.from_numpy(mask)
        inputs['car_trans'] = torch.tensor(info['ego2global_translation'], dtype=torch.float32)
        inputs['yaw_pitch_roll'] = torch.from_numpy(yaw_pitch_roll(info['ego2global_rotation']).astype(np.float32))

        vectors = self.gt_vectors(info)
        rasters = rasterize_gt(vectors, self.grid.patch_size, self.grid.canvas_size, self.thickness,
                               self.angle_class)
        if self.load_sd_map:
            sd_vectors = self._sd_geometry(info['location']).vectors(
                info['ego2global_translation'], info['ego2global_rotation'], self.grid.patch_size)
            sd = sd_map_raster(sd_vectors, self.grid.patch_size, self.grid.canvas_size, self.sd_thickness)
        else:
            sd = np.full((1,) + tuple(self.grid.canvas_size), -1.0, np.float32)
        inputs['sd_map'] = torch.from_numpy(sd)
        if self.hd_prior is not None:
            inputs['hd_prior'] = torch.from_numpy(make_hd_prior(
                rasters.instance_per_class, self.hd_prior['mask_ratio'], self.hd_prior['grid_choices'],
                self._hd_prior_rng(idx)))
        data_samples = dict(
            semantic=torch.from_numpy(rasters.semantic), instance=torch.from_numpy(rasters.instance),
            direction_index=torch.from_numpy(rasters.direction_index), token=info['token'],
            scene_token=info['scene_token'], location=info['location'], timestamp=int(info['timestamp']),
            gt_vectors=[dict(pts=v['pts'], type=v['type']) for v in vectors],
            img_paths=[osp.join(self.data_root, c['filename']) for c in info['cams']])
        return dict(inputs=inputs, data_samples=data_samples)

    def prepare_data(self, idx: int) -> dict:
        return self.pipeline(self.load_item(self.get_data_info(idx), idx))
