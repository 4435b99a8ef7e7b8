"""Project ego-frame map polylines (on the ground, z = 0) into camera images."""
from __future__ import annotations

from typing import Mapping, Sequence

import cv2
import numpy as np

from .palette import CLASS_COLORS_BGR


def densify(pts: np.ndarray, step: float = 0.5) -> np.ndarray:
    """Resample a polyline so no segment is longer than ``step`` metres."""
    out = [pts[:1]]
    for a, b in zip(pts[:-1], pts[1:]):
        n = max(int(np.ceil(np.linalg.norm(b - a) / step)), 1)
        out.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    return np.concatenate(out)


def project_to_image(points_ego: np.ndarray, rot: np.ndarray, trans: np.ndarray, intrin: np.ndarray,
                     min_depth: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) ego points -> (N, 2) pixels and a (N,) mask of points in front of the camera.

    ``rot``/``trans`` are camera -> ego (the DATA CONTRACT's ``rots``/``trans``)."""
    cam = (points_ego - np.asarray(trans)[None]) @ np.asarray(rot)  # R^T (p - t), row vectors
    depth = cam[:, 2]
    uvw = cam @ np.asarray(intrin).T
    with np.errstate(divide='ignore', invalid='ignore'):
        uv = uvw[:, :2] / uvw[:, 2:3]
    return uv, depth > min_depth


def draw_vectors_on_camera(image: np.ndarray, vectors: Sequence[Mapping], rot: np.ndarray, trans: np.ndarray,
                           intrin: np.ndarray, thickness: int = 3) -> np.ndarray:
    """Draw ground-plane polylines into ``image`` (BGR, original resolution of ``intrin``)."""
    h, w = image.shape[:2]
    for vector in vectors:
        pts = np.asarray(vector['pts'], np.float64).reshape(-1, 2)
        if len(pts) < 2:
            continue
        dense = densify(pts)
        uv, valid = project_to_image(np.concatenate([dense, np.zeros((len(dense), 1))], 1), rot, trans, intrin)
        color = CLASS_COLORS_BGR[int(vector['type'])]
        for i in range(len(uv) - 1):  # draw only segments with both ends in front of the camera
            if valid[i] and valid[i + 1]:
                a, b = uv[i], uv[i + 1]
                if max(abs(a).max(), abs(b).max()) > 4 * (w + h):
                    continue
                cv2.line(image, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), color, thickness, cv2.LINE_AA)
    return image
