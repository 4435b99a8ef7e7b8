"""Top-down ground rasters of the city: material ids and a textured colour image.

The camera renderer samples the colour raster where pixel rays hit the ground; the LiDAR
renderer samples the material raster to get intensities and whether the surface is raised
(sidewalks, lots: +0.15 m) or at road level. Raster row = (y - y0) / res, column = (x - x0) / res.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .layout import (CityLayout, MAT_CARPARK, MAT_CURB, MAT_LOT, MAT_ROAD, MAT_SIDEWALK, RAISED_MATERIALS)

SHIFT = 3   # sub-pixel bits for cv2 polygon drawing

# BGR albedo of each material (index = material id)
MATERIAL_BGR = np.array([
    (62, 98, 84),      # lot: dull green-grey ground
    (66, 68, 70),      # road asphalt
    (150, 154, 158),   # sidewalk concrete
    (185, 188, 190),   # curb stone
    (78, 80, 82),      # car-park asphalt
    (228, 232, 232),   # white paint
    (40, 185, 225),    # yellow paint (BGR)
    (215, 218, 218),   # car-park stall paint
], dtype=np.float32)
# LiDAR intensity of each material (nuScenes-like 0..255 scale)
MATERIAL_INTENSITY = np.array([14.0, 6.0, 22.0, 30.0, 8.0, 85.0, 75.0, 70.0], dtype=np.float32)


@dataclass
class GroundRaster:
    """Material ids (H, W) uint8 and colour BGRA (H, W, 4) uint8 (alpha 255 = raised surface)."""
    material: np.ndarray
    color: np.ndarray
    x0: float
    y0: float
    res: float

    def to_pixel(self, x: np.ndarray, y: np.ndarray):
        """Map-frame metres -> fractional raster (column, row), float32."""
        return ((x - self.x0) / self.res).astype(np.float32), ((y - self.y0) / self.res).astype(np.float32)


def _rings_px(geom, x0: float, y0: float, res: float) -> list:
    rings = []
    for poly in getattr(geom, 'geoms', [geom]):
        if poly.is_empty or poly.geom_type != 'Polygon':
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            px = np.stack([(xy[:, 0] - x0) / res, (xy[:, 1] - y0) / res], axis=1)
            rings.append(np.round(px * (1 << SHIFT)).astype(np.int32))
    return rings


def _fill(img: np.ndarray, geom, value, x0: float, y0: float, res: float) -> None:
    rings = _rings_px(geom, x0, y0, res)
    if rings:
        cv2.fillPoly(img, rings, value, lineType=cv2.LINE_8, shift=SHIFT)


def _texture_gain(rng: np.random.Generator, shape, res: float) -> np.ndarray:
    """Brightness gain x128 (uint8, mean ~128): large patches, smaller blotches and fine grain."""
    h, w = shape
    mid_h, mid_w = max(int(h * res / 2.5), 2), max(int(w * res / 2.5), 2)
    big = rng.standard_normal((max(mid_h // 5, 2), max(mid_w // 5, 2))).astype(np.float32)
    mid = 0.07 * cv2.resize(big, (mid_w, mid_h), interpolation=cv2.INTER_CUBIC)
    mid += 0.05 * rng.standard_normal((mid_h, mid_w)).astype(np.float32)
    gain = cv2.resize(mid, (w, h), interpolation=cv2.INTER_LINEAR)
    gain = cv2.convertScaleAbs(gain, alpha=128.0, beta=128.0)      # saturating uint8
    grain = rng.integers(0, 25, size=(h, w), dtype=np.uint8)
    return cv2.subtract(cv2.add(gain, grain), 12)


def build_ground(layout: CityLayout, res: float = 0.08) -> GroundRaster:
    """Rasterise the layout's ground materials and a textured colour image."""
    x0, y0, x1, y1 = layout.bounds
    w, h = int(np.ceil((x1 - x0) / res)), int(np.ceil((y1 - y0) / res))
    mat = np.full((h, w), MAT_LOT, dtype=np.uint8)
    for walk in layout.walkways:
        _fill(mat, walk, MAT_SIDEWALK, x0, y0, res)
    curb_rings = []
    for poly in getattr(layout.road_surface, 'geoms', [layout.road_surface]):
        curb_rings += [np.asarray(r.coords) for r in [poly.exterior, *poly.interiors]]
    for ring in curb_rings:   # curb stones: a band centred on the curb line, half covered by the road
        px = np.round(np.stack([(ring[:, 0] - x0) / res, (ring[:, 1] - y0) / res], 1) * (1 << SHIFT)).astype(np.int32)
        cv2.polylines(mat, [px], True, MAT_CURB, thickness=max(int(round(0.5 / res)), 1), shift=SHIFT)
    _fill(mat, layout.road_surface, MAT_ROAD, x0, y0, res)
    for cp in layout.carparks:
        _fill(mat, cp['polygon'], MAT_CARPARK, x0, y0, res)
    for poly, material in layout.paint:
        _fill(mat, poly, material, x0, y0, res)

    rng = np.random.default_rng([layout.seed, 3])
    gain = _texture_gain(rng, (h, w), res)
    # sidewalk slab joints every 1.5 m: darker gain on joint rows / columns of sidewalk pixels
    jx = (np.arange(w) * res) % 1.5 < 0.04
    jy = (np.arange(h) * res) % 1.5 < 0.04
    sidewalk = mat == MAT_SIDEWALK
    rows = np.nonzero(jy)[0]
    gain[rows] = np.where(sidewalk[rows], 100, gain[rows])
    cols = np.nonzero(jx)[0]
    gain[:, cols] = np.where(sidewalk[:, cols], 100, gain[:, cols])
    color = np.empty((h, w, 4), dtype=np.uint8)
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[:len(MATERIAL_BGR)] = np.clip(MATERIAL_BGR, 0, 255).astype(np.uint8)
    for ch in range(3):
        color[..., ch] = cv2.multiply(cv2.LUT(mat, lut[:, ch].copy()), gain, scale=1.0 / 128.0)
    raised_lut = np.zeros(256, dtype=np.uint8)
    raised_lut[list(RAISED_MATERIALS)] = 255
    color[..., 3] = cv2.LUT(mat, raised_lut)
    return GroundRaster(mat, color, x0, y0, res)


_RAISED = np.zeros(256, dtype=bool)
_RAISED[list(RAISED_MATERIALS)] = True


def is_raised(material: np.ndarray) -> np.ndarray:
    """Whether each material id (uint8) is a raised (kerb-height) surface."""
    return _RAISED[material]


__all__ = ['GroundRaster', 'build_ground', 'is_raised', 'MATERIAL_BGR', 'MATERIAL_INTENSITY',
           'MAT_ROAD', 'MAT_CURB', 'MAT_CARPARK', 'MAT_SIDEWALK']
