"""Hand-made clean head outputs for vectoriser / metric tests."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from mapkd.evaluation.grid import BevGrid


def _distance_to(canvas: np.ndarray) -> np.ndarray:
    """Pixel distance of every pixel to the non-zero pixels of ``canvas``."""
    return cv2.distanceTransform((canvas == 0).astype(np.uint8), cv2.DIST_L2, 5)


def clean_head_outputs(lines: list[tuple[np.ndarray, int]], grid: BevGrid, half_width: float = 2.5,
                       angle_class: int = 36):
    """Polylines (ego metres, class 0..2) -> ideal head logits and the semantic GT.

    Segmentation logits (background 4 off the lines) peak on the centre line and fall off across the 5-px band (like a trained
    network), embeddings are one distinct vector per line, the direction logits give the forward
    and backward bins of each segment. Returns (seg (4,H,W), emb (16,H,W), dir (37,H,W),
    semantic (4,H,W)) torch tensors.
    """
    H, W = grid.shape
    seg = np.zeros((4, H, W), np.float32)
    seg[0] = 4.0   # confident background away from the lines
    emb = np.zeros((16, H, W), np.float32)
    direction = np.zeros((angle_class + 1, H, W), np.float32)
    direction[0] = 5.0
    semantic = np.zeros((4, H, W), np.float32)
    for k, (pts, cls) in enumerate(lines):
        pix = np.round(grid.ego_to_pixels(pts) - 0.5).astype(np.int32)
        centre = np.zeros((H, W), np.uint8)
        cv2.polylines(centre, [pix.reshape(-1, 1, 2)], False, 1, thickness=1)
        dist = _distance_to(centre)
        on = dist <= half_width
        seg[:, on] = 0.0
        seg[cls + 1, on] = 8.0 - 2.0 * dist[on]
        semantic[1:, on] = 0.0
        semantic[cls + 1, on] = 1.0
        emb[:, on] = 0.0
        emb[k % 16, on] = 5.0 + 5.0 * (k // 16)
        for a, b in zip(pix[:-1], pix[1:]):
            piece = np.zeros((H, W), np.uint8)
            cv2.line(piece, tuple(int(v) for v in a), tuple(int(v) for v in b), 1, thickness=1)
            sel = (_distance_to(piece) <= half_width) & on
            vec = (b - a).astype(np.float64)
            fwd = int(np.mod(np.degrees(np.arctan2(vec[1], vec[0])), 360) / (360 / angle_class) + 0.5) % angle_class
            bwd = (fwd + angle_class // 2) % angle_class
            direction[:, sel] = 0.0
            direction[fwd + 1, sel] = 5.0
            direction[bwd + 1, sel] = 4.0
    semantic[0] = (semantic[1:].sum(0) == 0).astype(np.float32)
    return (torch.from_numpy(seg), torch.from_numpy(emb), torch.from_numpy(direction),
            torch.from_numpy(semantic))
