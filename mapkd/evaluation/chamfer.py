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

    def boxes(self) -> np.ndarray:
        """(K, 4) pixel bounding box (row min, row max, col min, col max) of each instance."""
        out = np.empty((len(self.ids), 4), dtype=np.int64)
        for values, col in ((self.rows, 0), (self.cols, 2)):
            out[:, col] = np.iinfo(np.int64).max
            out[:, col + 1] = np.iinfo(np.int64).min
            np.minimum.at(out[:, col], self.index, values)
            np.maximum.at(out[:, col + 1], self.index, values)
        return out


def extract_instances(mask: np.ndarray) -> Instances:
    """Group the non-zero pixels of an (H, W) instance-id canvas by id."""
    rows, cols = np.nonzero(mask)
    values = mask[rows, cols]
    ids, index = np.unique(values, return_inverse=True)
    return Instances(ids=ids, index=index.reshape(-1), rows=rows, cols=cols)


def _mean_box_distance(src: Instances, dst: Instances, res_x: float, res_y: float) -> np.ndarray:
    """(len(src), len(dst)): mean over the pixels of src instance i of their metric distance to the
    bounding box of dst instance j. Every pixel of j lies in that box, so this is a lower bound
    of the directed Chamfer distance (cheap: no nearest-neighbour search)."""
    box = dst.boxes()
    rows, cols = src.rows[:, None], src.cols[:, None]
    gap_rows = np.maximum(0, np.maximum(box[:, 0] - rows, rows - box[:, 1]))
    gap_cols = np.maximum(0, np.maximum(box[:, 2] - cols, cols - box[:, 3]))
    dist = np.hypot(gap_rows * res_y, gap_cols * res_x)
    pair = src.index[:, None] * len(dst) + np.arange(len(dst))  # (pixel, j) -> flat (i, j)
    sums = np.bincount(pair.ravel(), weights=dist.ravel(), minlength=len(src) * len(dst))
    return sums.reshape(len(src), len(dst)) / src.sizes()[:, None]


def _directed_mean_nn(src: Instances, dst: Instances, res_x: float, res_y: float,
                      skip: np.ndarray | None = None) -> np.ndarray:
    """(len(src), len(dst)): mean over the pixels of src instance i of the distance to the
    nearest pixel of dst instance j; ``inf`` where ``skip[i, j]`` (not computed)."""
    src_xy = src.coords(res_x, res_y)
    dst_xy = dst.coords(res_x, res_y)
    counts = src.sizes().astype(np.float64)
    out = np.full((len(src), len(dst)), np.inf, dtype=np.float64)
    for j in range(len(dst)):
        if skip is None:
            wanted, pixels = np.ones(len(src), dtype=bool), slice(None)
        else:
            # each pixel's nearest distance and each instance's sum do not depend on the other
            # pixels queried, so querying only the wanted instances' pixels gives the same bits
            wanted = ~skip[:, j]
            if not wanted.any():
                continue
            pixels = wanted[src.index]
        tree = cKDTree(dst_xy[dst.index == j])
        dist, _ = tree.query(src_xy[pixels], k=1)
        sums = np.bincount(src.index[pixels], weights=dist, minlength=len(src))
        out[wanted, j] = sums[wanted] / counts[wanted]
    return out


def chamfer_matrix(pred: Instances, gt: Instances, res_x: float, res_y: float,
                   bidirectional: bool, max_distance: float | None = None) -> np.ndarray:
    """(P, G) Chamfer distances in metres.

    One-directional (P-MapNet): mean over prediction pixels of the nearest GT pixel.
    Symmetric (HDMapNet): the mean of both directed distances.
    With ``max_distance``, pairs whose Chamfer distance is provably larger (by a lower bound from
    the instances' bounding boxes) are not computed and get ``inf``: enough for matching with
    thresholds <= ``max_distance``, and much faster.
    """
    if len(pred) == 0 or len(gt) == 0:
        return np.zeros((len(pred), len(gt)), dtype=np.float64)
    skip = None
    if max_distance is not None:
        bound = _mean_box_distance(pred, gt, res_x, res_y)
        if bidirectional:
            bound = (bound + _mean_box_distance(gt, pred, res_x, res_y).T) / 2.0
        # the margin covers the rounding of the distances and their means (<< 1e-9 relative)
        skip = bound > float(max_distance) * (1 + 1e-9) + 1e-12
    pred_to_gt = _directed_mean_nn(pred, gt, res_x, res_y, skip)
    if not bidirectional:
        return pred_to_gt
    gt_to_pred = _directed_mean_nn(gt, pred, res_x, res_y, None if skip is None else skip.T).T
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
