"""Build-or-load of the cached infos, GT vectors and SD geometry (shared by dataset and create_data)."""
from __future__ import annotations

import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.logging import print_log

from .cache import read_cache, write_cache
from .constants import FIXED_SD_ROAD_TYPES
from .errors import CacheError
from .grid import BevGrid
from .map_expansion import MapGeometry, map_files_fingerprint
from .map_vectors import extract_gt_vectors, pack_vectors
from .nuscenes_infos import build_infos, load_nuscenes, resolve_split, split_scene_names, tables_fingerprint
from .sd_map import SDMapGeometry, shapefile_fingerprint

import hashlib
import logging

CACHE_DIRNAME = 'mapkd_cache'


def default_cache_dir(data_root: str) -> str:
    return osp.join(data_root, CACHE_DIRNAME)


def _load_or_build(path: str, kind: str, key, build: Callable, write: bool = True):
    try:
        return read_cache(path, kind, key)
    except CacheError as exc:
        if osp.exists(path):
            print_log(f'{exc}; rebuilding it', logger='current', level=logging.WARNING)
        else:
            print_log(f'building {kind} cache {path}', logger='current', level=logging.INFO)
    payload = build()
    if write:
        write_cache(path, kind, key, payload)
    return payload


def infos_cache_path(cache_dir: str, version: str, split: str) -> str:
    return osp.join(cache_dir, f'infos_{version}_{resolve_split(version, split)}.pkl')


def infos_key(data_root: str, version: str, split: str) -> dict:
    return dict(version=version, split=resolve_split(version, split),
                tables=tables_fingerprint(data_root, version))


def build_split_infos(data_root: str, version: str, split: str, nusc=None) -> List[Dict]:
    nusc = load_nuscenes(data_root, version) if nusc is None else nusc
    return build_infos(nusc, split_scene_names(version, split))


def load_or_build_infos(data_root: str, version: str, split: str, cache_dir: str, nusc=None) -> List[Dict]:
    return _load_or_build(infos_cache_path(cache_dir, version, split), 'infos',
                          infos_key(data_root, version, split),
                          lambda: build_split_infos(data_root, version, split, nusc))


def compute_vectors(data_root: str, infos: Sequence[Dict], grid: BevGrid,
                    geometries: Optional[Dict[str, MapGeometry]] = None, progress: bool = False) -> List[dict]:
    """Packed GT vectors of every info (map geometry loaded once per location)."""
    geometries = {} if geometries is None else geometries
    items = infos
    if progress:
        from tqdm import tqdm
        items = tqdm(infos, desc=f'GT vectors {grid.name}', unit='sample')
    out = []
    for info in items:
        loc = info['location']
        if loc not in geometries:
            geometries[loc] = MapGeometry.load(data_root, loc)
        out.append(pack_vectors(extract_gt_vectors(geometries[loc], info['ego2global_translation'],
                                                   info['ego2global_rotation'], grid.patch_size)))
    return out


def vectors_cache_path(cache_dir: str, version: str, split: str, grid: BevGrid) -> str:
    return osp.join(cache_dir, f'gt_vectors_{version}_{resolve_split(version, split)}_{grid.name}.pkl')


def vectors_key(data_root: str, version: str, split: str, grid: BevGrid, infos: Sequence[Dict]) -> dict:
    tokens = hashlib.sha256('\n'.join(i['token'] for i in infos).encode()).hexdigest()
    return dict(version=version, split=resolve_split(version, split), patch_size=list(grid.patch_size),
                tokens=tokens, maps=map_files_fingerprint(data_root, [i['location'] for i in infos]),
                sample_dist=1.0, algorithm=1)


def load_or_build_vectors(data_root: str, version: str, split: str, grid: BevGrid, infos: Sequence[Dict],
                          cache_dir: str, geometries: Optional[Dict] = None) -> List[dict]:
    return _load_or_build(vectors_cache_path(cache_dir, version, split, grid), 'gt_vectors',
                          vectors_key(data_root, version, split, grid, infos),
                          lambda: compute_vectors(data_root, infos, grid, geometries, progress=len(infos) > 200))


def sd_cache_path(cache_dir: str, location: str, alignment: str, road_types: Sequence[str]) -> str:
    tag = hashlib.sha256(','.join(sorted(road_types)).encode()).hexdigest()[:8]
    return osp.join(cache_dir, f'sd_{location}_{alignment}_{tag}.pkl')


def load_or_build_sd_geometry(sd_map_root: str, location: str, alignment: str = 'topocentric',
                              road_types: Sequence[str] = FIXED_SD_ROAD_TYPES,
                              cache_dir: Optional[str] = None) -> SDMapGeometry:
    def build():
        return SDMapGeometry.from_shapefile(sd_map_root, location, alignment, road_types)
    if cache_dir is None:
        return build()
    key = dict(location=location, alignment=alignment, road_types=sorted(road_types),
               shapefile=shapefile_fingerprint(sd_map_root, location), algorithm=1)
    return _load_or_build(sd_cache_path(cache_dir, location, alignment, road_types), 'sd_geometry', key, build)
