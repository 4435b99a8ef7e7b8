"""``tools/create_data.py nuscenes``: info files, GT-vector caches and SD geometry for a nuScenes root.

Example::

    python tools/create_data.py nuscenes --root data/nuscenes --version v1.0-trainval

writes ``<root>/mapkd_cache/``: ``infos_<version>_<split>.pkl`` per split, ``gt_vectors_<version>_
<split>_<range>.pkl`` per split and range (60x30, 120x60, 240x60 by default) and
``sd_<location>_<alignment>_<types>.pkl`` per location (when ``<root>/osm/<location>.shp`` exists).
Valid caches are kept; outdated or corrupt ones are rebuilt. Training then never calls the map API.
"""
from __future__ import annotations

import argparse
import logging
import os.path as osp
from typing import Dict, Sequence

from mmengine.logging import print_log

from .constants import FIXED_SD_ROAD_TYPES, OFFICIAL_SD_ROAD_TYPES, VERSIONS
from .data_cache import (default_cache_dir, load_or_build_infos, load_or_build_sd_geometry,
                         load_or_build_vectors)
from .errors import DatasetError
from .grid import BevGrid
from .nuscenes_infos import check_version, load_nuscenes
from .sd_map import ALIGNMENTS, shapefile_path

RANGES: Dict[str, dict] = {
    '60x30': dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15]),
    '120x60': dict(xbound=[-60.0, 60.0, 0.3], ybound=[-30.0, 30.0, 0.3]),
    '240x60': dict(xbound=[-120.0, 120.0, 0.3], ybound=[-30.0, 30.0, 0.3]),
}
SPLITS = {'v1.0-trainval': ('train', 'val'), 'v1.0-mini': ('mini_train', 'mini_val'), 'v1.0-test': ('test',)}


def create_infos(root: str, version: str, ranges: Sequence[str] = tuple(RANGES), cache_dir: str = None,
                 sd_map_root: str = None, sd_alignments: Sequence[str] = ('topocentric',),
                 sd_road_types: Sequence[str] = FIXED_SD_ROAD_TYPES) -> str:
    """Build (or validate) every cache of ``root``/``version``; return the cache folder."""
    check_version(root, version)
    for name in ranges:
        if name not in RANGES:
            raise DatasetError(f'unknown range {name!r}; choose from {", ".join(RANGES)}')
    cache_dir = cache_dir or default_cache_dir(root)
    sd_map_root = sd_map_root or osp.join(root, 'osm')
    nusc = None
    geometries: Dict = {}
    locations = set()
    for split in SPLITS[version]:
        if nusc is None:
            nusc = load_nuscenes(root, version)
        infos = load_or_build_infos(root, version, split, cache_dir, nusc)
        print_log(f'{version} {split}: {len(infos)} samples', logger='current')
        if not infos:
            continue
        locations.update(i['location'] for i in infos)
        for name in ranges:
            load_or_build_vectors(root, version, split, BevGrid.from_conf(RANGES[name]), infos, cache_dir,
                                  geometries)
    for loc in sorted(locations):
        if not osp.isfile(shapefile_path(sd_map_root, loc)):
            print_log(f'no OSM shapefile {shapefile_path(sd_map_root, loc)}: SD-map cache skipped '
                      '(see docs/data_preparation.md)', logger='current', level=logging.WARNING)
            continue
        for alignment in sd_alignments:
            load_or_build_sd_geometry(sd_map_root, loc, alignment, sd_road_types, cache_dir)
    return cache_dir


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='tools/create_data.py nuscenes', description=__doc__.split('\n\n')[0])
    p.add_argument('--root', required=True, help='nuScenes root (samples/ sweeps/ maps/ v1.0-*/)')
    p.add_argument('--version', default='v1.0-trainval', help=f'one of {", ".join(VERSIONS)}')
    p.add_argument('--ranges', nargs='+', default=list(RANGES), help='BEV ranges to cache GT vectors for')
    p.add_argument('--cache-dir', default=None, help='default <root>/mapkd_cache')
    p.add_argument('--sd-map-root', default=None, help='folder of <location>.shp (default <root>/osm)')
    p.add_argument('--sd-alignment', nargs='+', default=['topocentric'], choices=ALIGNMENTS)
    p.add_argument('--official-sd-road-types', action='store_true',
                   help='reproduce the official OSM type list (drops tertiary_link and living_street)')
    return p


def main(argv: Sequence[str] = None) -> int:
    from mapkd.cli import CLIError
    args = build_parser().parse_args(argv)
    types = OFFICIAL_SD_ROAD_TYPES if args.official_sd_road_types else FIXED_SD_ROAD_TYPES
    try:
        out = create_infos(args.root, args.version, args.ranges, args.cache_dir, args.sd_map_root,
                           args.sd_alignment, types)
    except DatasetError as exc:
        raise CLIError(str(exc)) from exc
    print(f'caches written to {out}')
    return 0
