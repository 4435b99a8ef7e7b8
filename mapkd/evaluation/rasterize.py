"""Re-rasterise vector map elements into per-class instance-id canvases (for mAP).

Behaviour follows the official ``rasterize_map`` (HDMapNet / P-MapNet): each class gets its own
canvas; every polyline with ``pts_num >= 2`` is clipped to the BEV patch, converted to pixel
coordinates (truncated towards zero, as ``np.int32`` does) and drawn with ``cv2.polylines`` in
the class's drawing order, later lines overwriting earlier ones. A clipped line that falls apart
into several pieces gives one instance per piece.

Fixed on purpose (see docs/evaluation.md, "Deviations from the official code"):
- the confidence is recorded per drawn instance id, so it stays aligned with the ids when a
  clipped line becomes a MultiLineString or a piece has fewer than 2 points (the official list
  is appended once per input line and drifts);
- canvases are int32, so ids above 255 do not saturate and merge;
- clip results that are points or geometry collections are handled (pieces that are lines are
  drawn, the rest skipped) instead of crashing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import cv2
import numpy as np
from shapely.geometry import LineString, box
from shapely.geometry.base import BaseGeometry

from .grid import BevGrid

NUM_CLASSES = 3
CLASS_NAMES = ('divider', 'ped_crossing', 'boundary')


@dataclass
class InstanceRaster:
    """Per-class instance-id canvases (C, H, W) int32 and each id's confidence per class."""

    masks: np.ndarray
    confidences: list[dict[int, float]] = field(default_factory=list)


def _line_pieces(geom: BaseGeometry) -> list[LineString]:
    """LineString parts of a clip result, in shapely's order."""
    if geom.is_empty:
        return []
    if geom.geom_type == 'LineString':
        return [geom]
    if geom.geom_type in ('MultiLineString', 'GeometryCollection'):
        pieces: list[LineString] = []
        for part in geom.geoms:
            pieces.extend(_line_pieces(part))
        return pieces
    return []  # Point / MultiPoint: nothing to draw


def rasterize_instances(vectors: Iterable[Mapping], grid: BevGrid, thickness: int = 5,
                        num_classes: int = NUM_CLASSES) -> InstanceRaster:
    """Draw ``vectors`` (dicts with ``pts`` (N,2) ego metres, ``pts_num``, ``type``, optional
    ``confidence_level``) into instance-id canvases. Ids start at 1 in each class."""
    H, W = grid.shape
    patch = box(grid.xmin, grid.ymin, grid.xmax, grid.ymax)
    per_class: list[list[tuple[np.ndarray, float]]] = [[] for _ in range(num_classes)]
    for vector in vectors:
        pts_num = int(vector.get('pts_num', len(vector['pts'])))
        if pts_num < 2:
            continue
        cls = int(vector['type'])
        if not 0 <= cls < num_classes:
            raise ValueError(f'vector type {cls} outside 0..{num_classes - 1}')
        pts = np.asarray(vector['pts'], dtype=np.float64).reshape(-1, 2)[:pts_num]
        per_class[cls].append((pts, float(vector.get('confidence_level', 1.0))))

    masks = np.zeros((num_classes, H, W), dtype=np.int32)
    confidences: list[dict[int, float]] = []
    for cls in range(num_classes):
        canvas = masks[cls]
        ids: dict[int, float] = {}
        next_id = 1
        for pts, confidence in per_class[cls]:
            clipped = LineString(pts).intersection(patch)
            for piece in _line_pieces(clipped):
                pix = grid.ego_to_pixels(np.asarray(piece.coords)[:, :2]).astype(np.int32)
                if len(pix) < 2:
                    continue
                cv2.polylines(canvas, [pix.reshape(-1, 1, 2)], False, color=int(next_id),
                              thickness=int(thickness))
                ids[next_id] = confidence
                next_id += 1
        confidences.append(ids)
    return InstanceRaster(masks=masks, confidences=confidences)
