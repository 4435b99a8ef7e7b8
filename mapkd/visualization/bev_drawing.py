"""BEV pictures: semantic rasters and vector maps, oriented with forward = right, left = up."""
from __future__ import annotations

from typing import Mapping, Sequence

import cv2
import numpy as np

from mapkd.evaluation.grid import BevGrid

from .palette import BACKGROUND_BGR, CLASS_COLORS_BGR


def semantic_to_bgr(semantic: np.ndarray) -> np.ndarray:
    """(4, H, W) multi-label or one-hot raster -> (H, W, 3) uint8 picture (row 0 = left)."""
    sem = np.asarray(semantic)
    image = np.full(sem.shape[1:] + (3,), BACKGROUND_BGR, np.uint8)
    for cls, color in enumerate(CLASS_COLORS_BGR):
        image[sem[cls + 1] > 0] = color
    return np.ascontiguousarray(image[::-1])  # raster row 0 is y_min (right side) -> bottom


def prediction_to_bgr(seg_logits: np.ndarray) -> np.ndarray:
    """(4, H, W) logits -> argmax class picture."""
    seg = np.asarray(seg_logits)
    label = seg.argmax(0)
    onehot = np.stack([label == c for c in range(seg.shape[0])])
    return semantic_to_bgr(onehot)


def vectors_to_bgr(vectors: Sequence[Mapping], grid: BevGrid, scale: int = 2, thickness: int = 2,
                   draw_points: bool = True) -> np.ndarray:
    """Polylines (ego metres) drawn on a white BEV canvas ``scale`` times the raster size."""
    H, W = grid.shape
    canvas = np.full((H * scale, W * scale, 3), BACKGROUND_BGR, np.uint8)
    for vector in vectors:
        pts = np.asarray(vector['pts'], np.float64).reshape(-1, 2)[: int(vector.get('pts_num', len(vector['pts'])))]
        if len(pts) == 0:
            continue
        pix = grid.ego_to_pixels(pts) * scale
        pix[:, 1] = H * scale - pix[:, 1]  # flip rows: left of the car is up
        pix = np.round(pix).astype(np.int32)
        color = CLASS_COLORS_BGR[int(vector['type'])]
        cv2.polylines(canvas, [pix.reshape(-1, 1, 2)], False, color, thickness, cv2.LINE_AA)
        if draw_points:
            for x, y in pix:
                cv2.circle(canvas, (int(x), int(y)), thickness + 1, color, -1, cv2.LINE_AA)
    return canvas


def draw_ego_car(image: np.ndarray, grid: BevGrid) -> np.ndarray:
    """Mark the ego car (a small black triangle pointing forward) at the ego origin."""
    h, w = image.shape[:2]
    cx = (0.0 - grid.xmin) / (grid.xmax - grid.xmin) * w
    cy = h - (0.0 - grid.ymin) / (grid.ymax - grid.ymin) * h
    size = max(4, w // 80)
    tri = np.array([[cx + size, cy], [cx - size, cy - size * 0.6], [cx - size, cy + size * 0.6]], np.int32)
    cv2.fillPoly(image, [tri], (0, 0, 0))
    return image
