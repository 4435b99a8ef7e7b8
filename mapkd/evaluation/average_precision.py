"""Precision/recall, AP and the per-frame vector-mAP evaluation (P-MapNet / HDMapNet)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from .chamfer import extract_instances, chamfer_matrix, iou_matrix
from .grid import BevGrid
from .matching import greedy_match
from .protocols import APProtocol, get_protocol
from .rasterize import CLASS_NAMES, NUM_CLASSES, rasterize_instances


def precision_recall(confidences: Sequence[float], is_tp: Sequence[bool], num_gt: int,
                     order: str = 'ascending') -> tuple[np.ndarray, np.ndarray]:
    """Cumulative precision and recall over predictions ranked by confidence (float32, as the
    official torch code). ``order='ascending'`` is the official quirk; the sort is stable."""
    conf = np.asarray(confidences, dtype=np.float64)
    tp = np.asarray(is_tp, dtype=bool)
    if order == 'ascending':
        rank = np.argsort(conf, kind='stable')
    elif order == 'descending':
        rank = np.argsort(-conf, kind='stable')
    else:
        raise ValueError(f'order must be "ascending" or "descending", got {order!r}')
    tp_cum = np.cumsum(tp[rank]).astype(np.float32)
    fp_cum = np.cumsum(~tp[rank]).astype(np.float32)
    precision = tp_cum / (tp_cum + fp_cum)
    with np.errstate(divide='ignore', invalid='ignore'):
        recall = tp_cum / np.float32(num_gt)  # num_gt == 0 -> NaN recall -> AP 0, as official
    return precision.astype(np.float32), recall.astype(np.float32)


def smooth_precision(precision: np.ndarray, recall: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by recall and make precision monotone (max precision at this or higher recall)."""
    order = np.argsort(recall, kind='stable')
    recall = recall[order]
    precision = np.maximum.accumulate(precision[order][::-1])[::-1]
    return precision, recall


def ap_from_curve(precision: np.ndarray, recall: np.ndarray, sampled_recalls: np.ndarray,
                  tolerance: float = 0.0) -> float:
    """Mean over the sampled recall levels of the precision at the first recall >= level (0 if
    never reached); ``tolerance`` absorbs float32 rounding of the recall (0 = official)."""
    levels = np.asarray(sampled_recalls, dtype=np.float64)
    reached = np.asarray(recall).astype(np.float64)[None, :] >= (levels - tolerance)[:, None]
    total = 0.0
    if reached.size:
        first = reached.argmax(axis=1)  # first True per level (0 where none: masked below)
        for value in np.asarray(precision)[first[reached.any(axis=1)]].tolist():
            total += value  # level by level, as the official loop adds them
    return total / len(levels)


@lru_cache(maxsize=None)
def _sampled_recalls(protocol: APProtocol) -> np.ndarray:
    """``protocol.sampled_recalls()``, computed once per protocol (read-only)."""
    levels = protocol.sampled_recalls()
    levels.setflags(write=False)
    return levels


def average_precision(confidences: Sequence[float], is_tp: Sequence[bool], num_gt: int,
                      protocol: APProtocol) -> float:
    """AP of one ranked list of predictions under ``protocol``."""
    precision, recall = precision_recall(confidences, is_tp, num_gt, protocol.confidence_order)
    precision, recall = smooth_precision(precision, recall)
    tolerance = 1e-6 if protocol.recall_sampling == 'exact' else 0.0
    return ap_from_curve(precision, recall, _sampled_recalls(protocol), tolerance)


def class_frame_ap(pred_mask: np.ndarray, pred_conf: Mapping[int, float], gt_mask: np.ndarray,
                   grid: BevGrid, protocol: APProtocol) -> np.ndarray | None:
    """AP per threshold for one class of one frame, or ``None`` if the frame has neither a
    predicted nor a GT instance of this class (then it does not count for the average)."""
    pred = extract_instances(pred_mask)
    gt = extract_instances(gt_mask)
    if len(pred) == 0 and len(gt) == 0:
        return None
    # pairs farther apart than every threshold match at none: their distances are not computed
    chamfer = chamfer_matrix(pred, gt, grid.res_x, grid.res_y, protocol.bidirectional,
                             max_distance=max(protocol.thresholds))
    iou = iou_matrix(pred_mask, pred, gt_mask, gt)
    confidences = np.array([pred_conf[int(k)] for k in pred.ids], dtype=np.float64)
    out = np.zeros(len(protocol.thresholds), dtype=np.float64)
    for t, threshold in enumerate(protocol.thresholds):
        pairs = greedy_match(chamfer, iou, threshold, protocol.iou_gate)
        matched = [i for i, _ in pairs]
        taken = set(matched)
        unmatched = [i for i in range(len(pred)) if i not in taken]
        ranked = matched + unmatched  # official list order before the (stable) sort
        out[t] = average_precision(confidences[ranked], [True] * len(matched) + [False] * len(unmatched),
                                   len(gt), protocol)
    return out


@dataclass
class FrameAP:
    """Per-frame AP sums: ``ap`` (C, T) and ``counted`` (C,) whether the class counted."""

    ap: np.ndarray
    counted: np.ndarray


def frame_ap(pred_vectors: Sequence[Mapping], gt_vectors: Sequence[Mapping], grid: BevGrid,
             protocol: APProtocol | str = 'pmapnet') -> FrameAP:
    """Rasterise one frame's predicted and GT vectors and compute AP per class and threshold."""
    protocol = get_protocol(protocol)
    pred = rasterize_instances(pred_vectors, grid, protocol.thickness)
    gt = rasterize_instances(gt_vectors, grid, protocol.thickness)
    ap = np.zeros((NUM_CLASSES, len(protocol.thresholds)), dtype=np.float64)
    counted = np.zeros(NUM_CLASSES, dtype=bool)
    for cls in range(NUM_CLASSES):
        result = class_frame_ap(pred.masks[cls], pred.confidences[cls], gt.masks[cls], grid, protocol)
        if result is not None:
            ap[cls] = result
            counted[cls] = True
    return FrameAP(ap=ap, counted=counted)


def summarize_ap(ap_sum: np.ndarray, frame_count: np.ndarray, protocol: APProtocol) -> dict:
    """Turn summed per-frame APs into the result record (class x threshold matrix, per-class AP,
    mAP). A class that no frame counted gets ``None`` and is left out of the mAP."""
    matrix: list[list[float | None]] = []
    per_class: dict[str, float | None] = {}
    for cls, name in enumerate(CLASS_NAMES):
        if frame_count[cls] > 0:
            row = [float(v) for v in ap_sum[cls] / frame_count[cls]]
            per_class[name] = float(np.mean(row))
        else:
            row = [None] * len(protocol.thresholds)
            per_class[name] = None
        matrix.append(row)
    valid = [v for v in per_class.values() if v is not None]
    return dict(
        protocol=protocol.to_dict(),
        classes=list(CLASS_NAMES),
        thresholds=list(protocol.thresholds),
        threshold_unit=protocol.unit,
        ap_matrix=matrix,
        per_class_ap=per_class,
        frames_per_class={name: int(frame_count[c]) for c, name in enumerate(CLASS_NAMES)},
        mAP=float(np.mean(valid)) if valid else None,
    )
