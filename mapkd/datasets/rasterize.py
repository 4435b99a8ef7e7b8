"""GT rasters from map vectors, exactly as the official HDMapNet/P-MapNet ``preprocess_map``.

Per class (divider, ped_crossing, boundary) every vector with >= 2 points is clipped to the local
patch box, moved to canvas pixels (column = (x + W_m/2) * W/W_m, row = (y + H_m/2) * H/H_m,
truncated to int) and drawn with ``cv2`` (thickness 5):

* instance raster: one id per drawn line part, the counter runs across classes;
* filter raster: the same lines at thickness 5 + 4;
* forward / backward rasters: each segment coloured with its discrete heading class (1..36);
* overlap filter: where a higher class's filter raster is set, every lower class is zeroed.

The official code draws the forward raster as ``polylines(coords[i:])`` for every ``i`` (O(n^2));
a pixel then ends up with the colour of the last segment covering it, which is what drawing each
segment once, in order, gives too (``tests/data/test_rasterize.py`` checks the equivalence).
The instance canvas is int32 (the official uint8 canvas saturates ids above 255).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Mapping, Sequence, Tuple

import cv2
import numpy as np
import shapely
from shapely.geometry import LineString, box

from .constants import ANGLE_CLASSES, LINE_THICKNESS, NUM_CLASSES


@dataclass
class GTRasters:
    """GT rasters of one sample (shapes for an H x W canvas).

    The direction target is kept compact: ``direction_index`` holds, per pixel, the forward and the
    backward heading class (0 = no element); ``direction`` expands it to the official dense
    37-channel soft target (0.5 at each of the two classes).
    """

    semantic: np.ndarray            # uint8 (4, H, W) {0, 1}, channel 0 = no element
    instance: np.ndarray            # int64 (H, W)
    direction_index: np.ndarray     # uint8 (2, H, W) forward / backward heading class 0..angle_class
    instance_per_class: np.ndarray  # int32 (3, H, W), overlap-filtered
    angle_class: int = ANGLE_CLASSES

    @property
    def direction(self) -> np.ndarray:
        """float32 (angle_class + 1, H, W) dense direction target."""
        return direction_from_index(self.direction_index, self.angle_class)


def direction_from_index(direction_index: np.ndarray, angle_class: int = ANGLE_CLASSES) -> np.ndarray:
    """(2, H, W) forward/backward heading classes -> float32 (angle_class + 1, H, W) soft target.

    0.5 at the forward and 0.5 at the backward class of every pixel (1.0 where both are the same,
    e.g. channel 0 on the background), as the official ``preprocess_map``.
    (``mapkd.models.data_preprocessors.expand_direction_index`` is the batched torch version.)
    """
    _, canvas_h, canvas_w = direction_index.shape
    direction = np.zeros((angle_class + 1, canvas_h * canvas_w), np.float32)
    flat = np.arange(canvas_h * canvas_w)
    direction[direction_index[0].ravel(), flat] = 0.5
    direction[direction_index[1].ravel(), flat] += 0.5  # same bin twice (zero-length segment) -> 1.0
    return direction.reshape(angle_class + 1, canvas_h, canvas_w)


def local_box(patch_size: Sequence[float]):
    """The ego-frame patch box: x in [-W_m/2, W_m/2], y in [-H_m/2, H_m/2]."""
    patch_h, patch_w = patch_size
    return box(-patch_w / 2.0, -patch_h / 2.0, patch_w / 2.0, patch_h / 2.0)


def _line_parts(geom) -> List[np.ndarray]:
    """Coordinates of the line parts of a clipped geometry (points of a collection are dropped)."""
    if geom is None or geom.is_empty:
        return []
    kind = geom.geom_type
    if kind in ('LineString', 'LinearRing'):
        return [np.asarray(geom.coords)[:, :2]]
    if kind in ('MultiLineString', 'GeometryCollection'):
        parts = []
        for part in geom.geoms:
            parts.extend(_line_parts(part))
        return parts
    return []


def lines_to_canvas(lines: Sequence[np.ndarray], patch_size: Sequence[float],
                    canvas_size: Sequence[int]) -> List[List[np.ndarray]]:
    """Clip ego-frame polylines to the patch and convert them to int32 pixel (col, row) coordinates.

    Returns one list of parts per input line (a line leaving and re-entering the patch has several).
    """
    if len(lines) == 0:
        return []
    patch_h, patch_w = patch_size
    canvas_h, canvas_w = canvas_size
    scale_w = canvas_w / patch_w
    scale_h = canvas_h / patch_h
    geoms = shapely.linestrings([np.asarray(pts, dtype=np.float64) for pts in lines]) \
        if len({len(p) for p in lines}) == 1 else np.array([LineString(p) for p in lines], dtype=object)
    clipped = shapely.intersection(geoms, local_box(patch_size))
    out = []
    for geom in np.atleast_1d(clipped):
        parts = []
        for coords in _line_parts(geom):
            pix = np.empty_like(coords)
            pix[:, 0] = (coords[:, 0] + patch_w / 2.0) * scale_w
            pix[:, 1] = (coords[:, 1] + patch_h / 2.0) * scale_h
            parts.append(pix.astype(np.int32))
        out.append(parts)
    return out


def discrete_heading(vecs: np.ndarray, angle_class: int = ANGLE_CLASSES) -> np.ndarray:
    """Heading class 1..angle_class of pixel vectors (dcol, drow): round(angle / bin) mod n + 1."""
    deg = np.mod(np.degrees(np.arctan2(vecs[:, 1], vecs[:, 0])), 360)
    return (np.floor(deg / (360 / angle_class) + 0.5).astype(np.int64) % angle_class) + 1


def draw_heading_segments(canvas: np.ndarray, coords: np.ndarray, thickness: int,
                          angle_class: int = ANGLE_CLASSES) -> None:
    """Draw every segment of ``coords`` with its heading class; later segments overwrite earlier ones.

    Runs of consecutive segments with the same class are drawn as one polyline (same pixels).
    """
    if len(coords) < 2:
        return
    classes = discrete_heading(np.diff(coords, axis=0).astype(np.float64), angle_class)
    start = 0
    n_seg = len(classes)
    while start < n_seg:
        end = start
        while end + 1 < n_seg and classes[end + 1] == classes[start]:
            end += 1
        cv2.polylines(canvas, [np.ascontiguousarray(coords[start:end + 2])], False,
                      color=int(classes[start]), thickness=thickness)
        start = end + 1


def overlap_filter(masks: np.ndarray, filter_masks: np.ndarray) -> np.ndarray:
    """Zero every lower class where a higher class's filter mask is set (boundary > ped > divider)."""
    for c in range(masks.shape[0] - 1, 0, -1):
        masks[:c] *= (filter_masks[c] == 0)
    return masks


def group_vectors_by_class(vectors: Iterable[Mapping], num_classes: int = NUM_CLASSES) -> List[List[np.ndarray]]:
    """Split vectors into per-class lists of point arrays, keeping those with >= 2 points."""
    per_class: List[List[np.ndarray]] = [[] for _ in range(num_classes)]
    for vec in vectors:
        pts = np.asarray(vec['pts'])
        if len(pts) >= 2:
            per_class[int(vec['type'])].append(pts)
    return per_class


def rasterize_gt(vectors: Iterable[Mapping], patch_size: Sequence[float], canvas_size: Sequence[int],
                 thickness: int = LINE_THICKNESS, angle_class: int = ANGLE_CLASSES) -> GTRasters:
    """Semantic, instance and direction rasters of one sample's GT vectors (official definition)."""
    canvas_h, canvas_w = canvas_size
    per_class = group_vectors_by_class(vectors)
    instance = np.zeros((NUM_CLASSES, canvas_h, canvas_w), np.int32)
    filters = np.zeros((NUM_CLASSES, canvas_h, canvas_w), np.uint8)
    forward = np.zeros((NUM_CLASSES, canvas_h, canvas_w), np.uint8)   # heading classes 0..36
    backward = np.zeros((NUM_CLASSES, canvas_h, canvas_w), np.uint8)
    next_id = 1
    for cls, lines in enumerate(per_class):
        for parts in lines_to_canvas(lines, patch_size, canvas_size):
            for coords in parts:
                if len(coords) < 2:
                    continue
                cv2.polylines(instance[cls], [coords], False, color=next_id, thickness=thickness)
                next_id += 1
                cv2.polylines(filters[cls], [coords], False, color=1, thickness=thickness + 4)
                draw_heading_segments(forward[cls], coords, thickness, angle_class)
                draw_heading_segments(backward[cls], coords[::-1].copy(), thickness, angle_class)
    instance = overlap_filter(instance, filters)
    # after the filter at most one class is non-zero per pixel, so the sum never exceeds 36
    forward = overlap_filter(forward, filters).sum(0, dtype=np.intp)
    backward = overlap_filter(backward, filters).sum(0, dtype=np.intp)

    semantic = np.empty((NUM_CLASSES + 1, canvas_h, canvas_w), np.uint8)
    semantic[1:] = instance != 0
    semantic[0] = ~semantic[1:].any(0)
    direction_index = np.stack([forward, backward]).astype(np.uint8)
    return GTRasters(semantic=semantic, instance=instance.sum(0).astype(np.int64),
                     direction_index=direction_index, instance_per_class=instance, angle_class=angle_class)


def rasterize_polylines(lines: Sequence[np.ndarray], patch_size: Sequence[float], canvas_size: Sequence[int],
                        thickness: int) -> np.ndarray:
    """Binary uint8 raster of ego-frame polylines (used for the SD map); no overlap handling."""
    canvas = np.zeros(tuple(canvas_size), np.uint8)
    for parts in lines_to_canvas([p for p in lines if len(p) >= 2], patch_size, canvas_size):
        for coords in parts:
            if len(coords) >= 2:
                cv2.polylines(canvas, [coords], False, color=1, thickness=thickness)
    return canvas


def sd_raster_values(binary: np.ndarray) -> np.ndarray:
    """Map a binary SD raster to the official {-1, +1} float32 (1, H, W) input."""
    return np.where(binary[None] != 0, 1.0, -1.0).astype(np.float32)


__all__: Tuple[str, ...] = ('GTRasters', 'rasterize_gt', 'direction_from_index', 'rasterize_polylines', 'lines_to_canvas',
                            'discrete_heading', 'draw_heading_segments', 'overlap_filter', 'sd_raster_values',
                            'local_box', 'group_vectors_by_class')
