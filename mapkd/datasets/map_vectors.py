"""GT map vectors in the ego frame (official ``VectorizedLocalMap.gen_vectorized_samples``).

* divider: road_divider then lane_divider lines clipped to the rotated patch;
* ped_crossing: the two longest edges of every ped_crossing polygon, clipped;
* boundary: outline of union(road_segment, lane) polygons clipped to the patch, exteriors clockwise
  then interiors counter-clockwise, cut by the patch box inset by 0.2 m and line-merged.

Every piece is resampled every 1 m (``np.arange(0, length, 1)``, the end point is not added).
The STRtree only pre-selects candidates; the clipping itself is the official one, in table order.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np
import shapely
from pyquaternion import Quaternion
from shapely import affinity, ops
from shapely.geometry import LineString, MultiLineString, MultiPolygon, box

from .constants import (BOUNDARY_INSET_M, BOUNDARY_LAYERS, DIVIDER_LAYERS, PED_CROSSING_LAYER,
                        SAMPLE_DIST_M)
from .map_expansion import MapGeometry


def patch_angle_deg(rotation: Sequence[float]) -> float:
    """Ego yaw in degrees from a (w, x, y, z) quaternion, as the official ``quaternion_yaw``."""
    q = Quaternion(rotation)
    v = np.dot(q.rotation_matrix, np.array([1, 0, 0]))
    return float(np.arctan2(v[1], v[0]) / np.pi * 180)


def patch_polygon(center_xy: Sequence[float], patch_size: Sequence[float], angle_deg: float):
    """The rotated patch (devkit ``get_patch_coord``): box of (patch_h, patch_w) rotated about its centre."""
    x, y = float(center_xy[0]), float(center_xy[1])
    patch_h, patch_w = patch_size
    patch = box(x - patch_w / 2.0, y - patch_h / 2.0, x + patch_w / 2.0, y + patch_h / 2.0)
    return affinity.rotate(patch, angle_deg, origin=(x, y), use_radians=False)


def to_ego(geom, center_xy: Sequence[float], angle_deg: float):
    """Map frame -> ego frame: rotate by -yaw about the ego, then translate the ego to the origin."""
    x, y = float(center_xy[0]), float(center_xy[1])
    geom = affinity.rotate(geom, -angle_deg, origin=(x, y), use_radians=False)
    return affinity.affine_transform(geom, [1.0, 0.0, 0.0, 1.0, -x, -y])


def line_parts(geom) -> List[LineString]:
    """Non-empty LineString parts of a clipping result (points of a collection are dropped)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type in ('LineString', 'LinearRing'):
        return [LineString(geom.coords)]
    if geom.geom_type in ('MultiLineString', 'GeometryCollection'):
        out: List[LineString] = []
        for part in geom.geoms:
            out.extend(line_parts(part))
        return out
    return []


def sample_every(line: LineString, dist: float = SAMPLE_DIST_M) -> np.ndarray:
    """Points every ``dist`` metres from the start (official ``sample_pts_from_line``, fixed_num=-1)."""
    distances = np.arange(0, line.length, dist)
    return shapely.get_coordinates(shapely.line_interpolate_point(line, distances)).reshape(-1, 2)


def sample_fixed(line: LineString, num: int) -> np.ndarray:
    """``num`` points evenly spaced along the line, both ends included (SD map)."""
    distances = np.linspace(0, line.length, num)
    return shapely.get_coordinates(shapely.line_interpolate_point(line, distances)).reshape(-1, 2)


def _clip_layer_lines(layer, patch, center_xy, angle_deg) -> List:
    out = []
    for i in layer.query(patch):
        clipped = layer.geoms[i].intersection(patch)
        if not clipped.is_empty:
            out.append(to_ego(clipped, center_xy, angle_deg))
    return out


def _ped_crossing_edges(layer, patch, center_xy, angle_deg) -> List:
    out = []
    for i in layer.query(patch):
        xy = np.asarray(layer.geoms[i].exterior.coords)[:, :2]
        lengths = np.square(xy[1:] - xy[:-1]).sum(1)
        for k in np.argsort(lengths, kind='stable')[-2:]:
            edge = LineString(xy[k:k + 2]).intersection(patch)
            if not edge.is_empty:
                out.append(to_ego(edge, center_xy, angle_deg))
    return out


def _polygon_parts(geom) -> List:
    if geom.is_empty:
        return []
    if geom.geom_type == 'Polygon':
        return [geom]
    if geom.geom_type in ('MultiPolygon', 'GeometryCollection'):
        out = []
        for part in geom.geoms:
            out.extend(_polygon_parts(part))
        return out
    return []


def _boundary_lines(geometry: MapGeometry, patch, center_xy, angle_deg, patch_size) -> List:
    unions = []
    for name in BOUNDARY_LAYERS:
        layer = geometry.layers[name]
        polys = []
        for i in layer.query(patch):
            clipped = layer.geoms[i].intersection(patch)
            if not clipped.is_empty:
                polys.append(to_ego(clipped, center_xy, angle_deg))
        unions.append(ops.unary_union(polys))
    union = ops.unary_union(unions)
    polygons = _polygon_parts(union)
    if not polygons:
        return []
    union = MultiPolygon(polygons)
    patch_h, patch_w = patch_size
    max_x, max_y = patch_w / 2, patch_h / 2
    inner = box(-max_x + BOUNDARY_INSET_M, -max_y + BOUNDARY_INSET_M,
                max_x - BOUNDARY_INSET_M, max_y - BOUNDARY_INSET_M)
    rings = [(p.exterior, True) for p in union.geoms]
    rings += [(ring, False) for p in union.geoms for ring in p.interiors]
    out = []
    for ring, clockwise in rings:
        coords = list(ring.coords)
        if ring.is_ccw == clockwise:  # exteriors clockwise, interiors counter-clockwise
            coords = coords[::-1]
        lines = LineString(coords).intersection(inner)
        if isinstance(lines, MultiLineString):
            lines = ops.linemerge(lines)
        out.append(lines)
    return out


def extract_gt_vectors(geometry: MapGeometry, translation: Sequence[float], rotation: Sequence[float],
                       patch_size: Sequence[float], sample_dist: float = SAMPLE_DIST_M) -> List[dict]:
    """GT vectors of one ego pose: list of dict(pts=float64 (N, 2) ego metres, type=0|1|2).

    Order: road_divider, lane_divider, ped_crossing, boundary (exteriors, then interiors), as the
    official code, so instance ids agree. Pieces with fewer than 2 sampled points are dropped (the
    official rasteriser and metrics ignore them too).
    """
    center = (float(translation[0]), float(translation[1]))
    angle = patch_angle_deg(rotation)
    patch = patch_polygon(center, patch_size, angle)
    groups = []
    for name in DIVIDER_LAYERS:
        groups.append((0, _clip_layer_lines(geometry.layers[name], patch, center, angle)))
    groups.append((1, _ped_crossing_edges(geometry.layers[PED_CROSSING_LAYER], patch, center, angle)))
    groups.append((2, _boundary_lines(geometry, patch, center, angle, patch_size)))
    vectors = []
    for cls, geoms in groups:
        for geom in geoms:
            for part in line_parts(geom):
                pts = sample_every(part, sample_dist)
                if len(pts) >= 2:
                    vectors.append(dict(pts=pts, type=cls))
    return vectors


def yaw_pitch_roll(rotation: Sequence[float]) -> np.ndarray:
    """(yaw, pitch, roll) radians of a (w, x, y, z) quaternion (pyquaternion convention)."""
    return np.asarray(Quaternion(rotation).yaw_pitch_roll, dtype=np.float64)


__all__ = ('extract_gt_vectors', 'patch_angle_deg', 'patch_polygon', 'to_ego', 'sample_every',
           'sample_fixed', 'line_parts', 'yaw_pitch_roll')


def pack_vectors(vectors: Sequence[dict]) -> dict:
    """Compact storage of one sample's vectors: float32 points, per-vector lengths and types."""
    if not vectors:
        return dict(pts=np.zeros((0, 2), np.float32), lengths=np.zeros(0, np.int32), types=np.zeros(0, np.int8))
    return dict(pts=np.concatenate([v['pts'] for v in vectors]).astype(np.float32),
                lengths=np.asarray([len(v['pts']) for v in vectors], np.int32),
                types=np.asarray([v['type'] for v in vectors], np.int8))


def unpack_vectors(packed: dict) -> List[dict]:
    """Inverse of :func:`pack_vectors`: list of dict(pts=float32 (N, 2), type=int)."""
    out = []
    start = 0
    for n, t in zip(packed['lengths'].tolist(), packed['types'].tolist()):
        out.append(dict(pts=packed['pts'][start:start + n], type=int(t)))
        start += n
    return out
