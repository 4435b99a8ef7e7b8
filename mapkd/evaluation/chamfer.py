"""Chamfer-distance and pixel-IoU matrices between rasterised instances of one class."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree


@dataclass
class Instances:
    """Pixels of the instances of one instance-id canvas, grouped by id (ids ascending)."""

    ids: np.ndarray  # (K,) instance ids in ascending order (the official key order)
    index: np.ndarray  # (N,) position in ``ids`` of each foreground pixel
    rows: np.ndarray  # (N,)
    cols: np.ndarray  # (N,)

    def __len__(self) -> int:
        return len(self.ids)

    def coords(self, res_x: float, res_y: float) -> np.ndarray:
        """(N, 2) metric coordinates (row * res_y, col * res_x) of every pixel."""
        return np.stack([self.rows * res_y, self.cols * res_x], axis=1).astype(np.float64)

    def sizes(self) -> np.ndarray:
        return np.bincount(self.index, minlength=len(self.ids))


def extract_instances(mask: np.ndarray) -> Instances:
    """Group the non-zero pixels of an (H, W) instance-id canvas by id."""
    rows, cols = np.nonzero(mask)
    values = mask[rows, cols]
    ids, index = np.unique(values, return_inverse=True)
    return Instances(ids=ids, index=index.reshape(-1), rows=rows, cols=cols)


def _directed_mean_nn(src: Instances, dst: Instances, res_x: float, res_y: float) -> np.ndarray:
    """(len(src), len(dst)): mean over the pixels of src instance i of the distance to the
    nearest pixel of dst instance j."""
    src_xy = src.coords(res_x, res_y)
    dst_xy = dst.coords(res_x, res_y)
    counts = src.sizes().astype(np.float64)
    out = np.empty((len(src), len(dst)), dtype=np.float64)
    for j in range(len(dst)):
        tree = cKDTree(dst_xy[dst.index == j])
        dist, _ = tree.query(src_xy, k=1)
        out[:, j] = np.bincount(src.index, weights=dist, minlength=len(src)) / counts
    return out


def chamfer_matrix(pred: Instances, gt: Instances, res_x: float, res_y: float,
                   bidirectional: bool) -> np.ndarray:
    """(P, G) Chamfer distances in metres.

    One-directional (P-MapNet): mean over prediction pixels of the nearest GT pixel.
    Symmetric (HDMapNet): the mean of both directed distances.
    """
    if len(pred) == 0 or len(gt) == 0:
        return np.zeros((len(pred), len(gt)), dtype=np.float64)
    pred_to_gt = _directed_mean_nn(pred, gt, res_x, res_y)
    if not bidirectional:
        return pred_to_gt
    gt_to_pred = _directed_mean_nn(gt, pred, res_x, res_y).T
    return (pred_to_gt + gt_to_pred) / 2.0


def iou_matrix(pred_mask: np.ndarray, pred: Instances, gt_mask: np.ndarray, gt: Instances) -> np.ndarray:
    """(P, G) pixel IoU between every predicted and GT instance (the official IoU gate)."""
    if len(pred) == 0 or len(gt) == 0:
        return np.zeros((len(pred), len(gt)), dtype=np.float64)
    gt_pos = np.zeros(gt_mask.shape, dtype=np.int64)  # 0 = no GT, k+1 = GT instance k
    gt_pos[gt.rows, gt.cols] = gt.index + 1
    overlap = gt_pos[pred.rows, pred.cols]
    hit = overlap > 0
    inter = np.zeros((len(pred), len(gt)), dtype=np.float64)
    np.add.at(inter, (pred.index[hit], overlap[hit] - 1), 1.0)
    union = pred.sizes()[:, None] + gt.sizes()[None, :] - inter
    return inter / (union + 1e-7)
