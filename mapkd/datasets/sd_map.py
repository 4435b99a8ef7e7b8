"""SD-map prior from OpenStreetMap road centre lines (official P-MapNet ``get_osm_geom``).

The shapefiles (``<sd_map_root>/<location>.shp``, WGS 84 lon/lat polylines) are read with pyshp,
filtered by road type and moved into the location's nuScenes map frame:

* ``'topocentric'`` (default, P-MapNet HEAD / MapKD2026): exact WGS 84 -> local ENU of the map
  origin, i.e. the nuScenes global frame itself;
* ``'mercator'`` (MapKD_new): EPSG:3857 minus the origin's Mercator coordinates, and for
  boston-seaport a scale 0.7143 followed by the affine (1.0351, 0.0014; -0.0002, 1.0326).

Per sample every line is clipped to the rotated patch, moved to the ego frame, each piece resampled
to 50 points and drawn (thickness 5) into a {-1, +1} raster.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Sequence

import numpy as np
from shapely import STRtree
from shapely.geometry import LineString

from .constants import FIXED_SD_ROAD_TYPES, MAP_ORIGINS, SD_POINTS_PER_LINE, SD_THICKNESS
from .errors import DatasetError, MissingDataFileError
from .geo import lonlat_to_enu
from .map_vectors import line_parts, patch_angle_deg, patch_polygon, sample_fixed, to_ego
from .rasterize import rasterize_polylines, sd_raster_values

ALIGNMENTS = ('topocentric', 'mercator')
_MERCATOR_R = 6378137.0
# MapKD_new's hand-fitted correction for boston-seaport (scale, then affine a, b, d, e).
_BOSTON_SCALE = 0.7143
_BOSTON_AFFINE = (1.0351, 0.0014, -0.0002, 1.0326)


def shapefile_path(sd_map_root: str, location: str) -> str:
    return osp.join(sd_map_root, f'{location}.shp')


def read_osm_lines(path: str, road_types: Sequence[str]) -> List[np.ndarray]:
    """(lon, lat) vertex arrays of the shapefile's polylines whose ``type`` is in ``road_types``."""
    import shapefile  # pyshp
    if not osp.isfile(path):
        raise MissingDataFileError(f'OSM shapefile {path} not found (see docs/data_preparation.md, "SD maps")')
    keep = set(road_types)
    try:
        reader = shapefile.Reader(path, encoding='utf-8')
    except shapefile.ShapefileException as exc:
        raise DatasetError(f'cannot read OSM shapefile {path}: {exc}') from exc
    with reader:
        fields = [f[0] for f in reader.fields[1:]]
        if 'type' not in fields:
            raise DatasetError(f'OSM shapefile {path} has no "type" field (fields: {fields})')
        lines = []
        for rec in reader.iterShapeRecords():
            if rec.record['type'] not in keep:
                continue
            for start, end in zip(rec.shape.parts, list(rec.shape.parts[1:]) + [len(rec.shape.points)]):
                pts = np.asarray(rec.shape.points[start:end], dtype=np.float64)
                if len(pts) >= 2:
                    lines.append(pts)
    return lines


def lonlat_to_map(lonlat: np.ndarray, location: str, alignment: str = 'topocentric') -> np.ndarray:
    """(N, 2) lon/lat degrees -> (N, 2) metres in the location's nuScenes map frame."""
    if location not in MAP_ORIGINS:
        raise DatasetError(f'unknown nuScenes location {location!r}; known: {sorted(MAP_ORIGINS)}')
    lat0, lon0 = MAP_ORIGINS[location]
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    if alignment == 'topocentric':
        x, y = lonlat_to_enu(lon, lat, lat0, lon0)
        return np.stack([x, y], 1)
    if alignment == 'mercator':
        def merc(lo, la):
            return (_MERCATOR_R * np.radians(lo),
                    _MERCATOR_R * np.log(np.tan(np.pi / 4 + np.radians(la) / 2)))
        x, y = merc(lon, lat)
        x0, y0 = merc(lon0, lat0)
        x, y = x - x0, y - y0
        if location == 'boston-seaport':
            a, b, d, e = _BOSTON_AFFINE
            x, y = x * _BOSTON_SCALE, y * _BOSTON_SCALE
            x, y = a * x + b * y, d * x + e * y
        return np.stack([x, y], 1)
    raise ValueError(f'sd_alignment must be one of {ALIGNMENTS}, got {alignment!r}')


class SDMapGeometry:
    """The kept OSM lines of one location in its map frame (record order), with an STRtree."""

    def __init__(self, location: str, lines_xy: Sequence[np.ndarray]):
        self.location = location
        self.lines_xy = [np.asarray(p, dtype=np.float64) for p in lines_xy]
        self.geoms = np.array([LineString(p) for p in self.lines_xy], dtype=object)
        self.tree = STRtree(self.geoms) if len(self.geoms) else None

    @classmethod
    def from_shapefile(cls, sd_map_root: str, location: str, alignment: str = 'topocentric',
                       road_types: Sequence[str] = FIXED_SD_ROAD_TYPES) -> 'SDMapGeometry':
        lines = read_osm_lines(shapefile_path(sd_map_root, location), road_types)
        return cls(location, [lonlat_to_map(p, location, alignment) for p in lines])

    def __getstate__(self):
        return {'location': self.location, 'lines_xy': self.lines_xy}

    def __setstate__(self, state):
        self.__init__(state['location'], state['lines_xy'])

    def vectors(self, translation: Sequence[float], rotation: Sequence[float], patch_size: Sequence[float],
                num_points: int = SD_POINTS_PER_LINE) -> List[np.ndarray]:
        """Ego-frame SD polylines in the patch, each piece resampled to ``num_points`` points."""
        if self.tree is None:
            return []
        center = (float(translation[0]), float(translation[1]))
        angle = patch_angle_deg(rotation)
        patch = patch_polygon(center, patch_size, angle)
        out = []
        for i in np.sort(self.tree.query(patch)):
            clipped = self.geoms[i].intersection(patch)
            if clipped.is_empty:
                continue
            for part in line_parts(to_ego(clipped, center, angle)):
                out.append(sample_fixed(part, num_points))
        return out


def sd_map_raster(vectors: Sequence[np.ndarray], patch_size: Sequence[float], canvas_size: Sequence[int],
                  thickness: int = SD_THICKNESS) -> np.ndarray:
    """float32 (1, H, W) raster: +1 on SD road centre lines (thickness px), -1 elsewhere."""
    return sd_raster_values(rasterize_polylines(vectors, patch_size, canvas_size, thickness))


def shapefile_fingerprint(sd_map_root: str, location: str) -> tuple:
    path = shapefile_path(sd_map_root, location)
    if not osp.isfile(path):
        raise MissingDataFileError(f'OSM shapefile {path} not found')
    dbf = osp.splitext(path)[0] + '.dbf'
    st = os.stat(path)
    st_dbf = os.stat(dbf) if osp.isfile(dbf) else None
    return (location, st.st_size, st.st_mtime_ns, st_dbf.st_size if st_dbf else None,
            st_dbf.st_mtime_ns if st_dbf else None)
