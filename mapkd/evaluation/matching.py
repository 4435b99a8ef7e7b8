"""Greedy Chamfer matching of predicted to GT instances (official ``line_matching_by_CD``)."""
from __future__ import annotations

import numpy as np


def greedy_match(chamfer: np.ndarray, iou: np.ndarray, threshold: float,
                 iou_gate: float = 0.0) -> list[tuple[int, int]]:
    """Match pairs by repeatedly taking the globally smallest Chamfer distance below ``threshold``.

    As in the official code, the selected pair is accepted only if its IoU is at least
    ``iou_gate``; *either way* its prediction row and GT column leave the pool (a rejected pair
    still removes both). Ties go to the first pair in row-major order. Returns the accepted
    ``(pred_index, gt_index)`` pairs in the order they were accepted.
    """
    if chamfer.shape != iou.shape:
        raise ValueError(f'chamfer {chamfer.shape} and iou {iou.shape} shapes differ')
    pairs: list[tuple[int, int]] = []
    if chamfer.size == 0:
        return pairs
    cd = np.minimum(chamfer.astype(np.float64), threshold)
    while True:
        flat = int(np.argmin(cd))
        i, j = divmod(flat, cd.shape[1])
        if cd[i, j] >= threshold:
            break
        if iou[i, j] >= iou_gate:
            pairs.append((i, j))
        cd[i, :] = threshold
        cd[:, j] = threshold
    return pairs
