"""Shapely geometry of the nuScenes map expansion layers the GT needs, with STRtrees.

The map JSON is read through ``NuScenesMap``'s tables (nodes, lines, polygons); geometries are built
here, never through the devkit's render / ``get_map_mask`` / ``get_records_in_patch`` calls that break
under shapely 2. Record order is the table order, as in the devkit's ``_get_layer_*`` loops.
"""
from __future__ import annotations

import json
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from shapely import STRtree
from shapely.geometry import LineString, Polygon

from .constants import BOUNDARY_LAYERS, DIVIDER_LAYERS, MIN_MAP_EXPANSION_VERSION, PED_CROSSING_LAYER
from .errors import MapExpansionError, MissingDataFileError


def map_expansion_path(data_root: str, location: str) -> str:
    return osp.join(data_root, 'maps', 'expansion', f'{location}.json')


def _parse_version(text: str) -> tuple:
    try:
        return tuple(int(p) for p in str(text).split('.'))
    except ValueError:
        return (0,)


def load_nuscenes_map(data_root: str, location: str):
    """``NuScenesMap`` of ``location``; clear errors for a missing file or a version < 1.3."""
    from nuscenes.map_expansion.map_api import NuScenesMap
    path = map_expansion_path(data_root, location)
    if not osp.isfile(path):
        raise MissingDataFileError(
            f'map expansion file {path} not found: download the nuScenes map expansion v1.3 '
            f'(docs/data_preparation.md) and unpack it into {osp.join(data_root, "maps")}')
    try:
        nusc_map = NuScenesMap(dataroot=data_root, map_name=location)
    except Exception as exc:  # the devkit raises a bare Exception for outdated maps
        if 'outdated map version' not in str(exc):
            raise
        with open(path) as fh:
            version = json.load(fh).get('version', '1.0')
        raise MapExpansionError(
            f'map expansion file {path} has version {version}; version >= 1.3 is required '
            '(download "Map expansion v1.3" from nuscenes.org)') from exc
    if _parse_version(nusc_map.version) < MIN_MAP_EXPANSION_VERSION:
        raise MapExpansionError(f'map expansion file {path} has version {nusc_map.version}; '
                                'version >= 1.3 is required')
    return nusc_map


class _Layer:
    """Geometries of one layer in table order, plus an STRtree over them."""

    def __init__(self, geoms: Sequence):
        self.geoms = np.array(list(geoms), dtype=object)
        self.tree = STRtree(self.geoms) if len(self.geoms) else None

    def query(self, region) -> np.ndarray:
        """Table-ordered indices of the geometries whose bounding box meets ``region``'s."""
        if self.tree is None:
            return np.zeros(0, np.int64)
        return np.sort(self.tree.query(region))


class MapGeometry:
    """Divider lines, ped-crossing polygons and road_segment/lane polygons of one location."""

    def __init__(self, nusc_map):
        self.location = nusc_map.map_name
        self.version = nusc_map.version
        nodes = {rec['token']: (rec['x'], rec['y']) for rec in nusc_map.node}
        lines = {rec['token']: rec['node_tokens'] for rec in nusc_map.line}
        polygons = {rec['token']: rec for rec in nusc_map.polygon}

        def line(token: str):
            coords = [nodes[t] for t in lines[token]]
            return LineString(coords) if len(coords) >= 2 else None

        def polygon(token: str) -> Polygon:
            rec = polygons[token]
            holes = [[nodes[t] for t in hole['node_tokens']] for hole in rec['holes']]
            return Polygon([nodes[t] for t in rec['exterior_node_tokens']], [h for h in holes if h])

        self.layers: Dict[str, _Layer] = {}
        for name in DIVIDER_LAYERS:
            geoms = [line(rec['line_token']) for rec in getattr(nusc_map, name)]
            self.layers[name] = _Layer([g for g in geoms if g is not None and not g.is_empty])
        self.layers[PED_CROSSING_LAYER] = _Layer(
            [polygon(rec['polygon_token']) for rec in getattr(nusc_map, PED_CROSSING_LAYER)])
        for name in BOUNDARY_LAYERS:
            geoms = [polygon(rec['polygon_token']) for rec in getattr(nusc_map, name)]
            # the devkit's _get_layer_polygon skips invalid polygons
            self.layers[name] = _Layer([g for g in geoms if g.is_valid])

    @classmethod
    def load(cls, data_root: str, location: str) -> 'MapGeometry':
        return cls(load_nuscenes_map(data_root, location))


def map_files_fingerprint(data_root: str, locations: Sequence[str]) -> List:
    """(name, size, mtime) of the map expansion files: part of the GT cache key."""
    out = []
    for loc in sorted(set(locations)):
        path = map_expansion_path(data_root, loc)
        if not osp.isfile(path):
            raise MissingDataFileError(f'map expansion file {path} not found')
        st = __import__('os').stat(path)
        out.append((loc, st.st_size, st.st_mtime_ns))
    return out
