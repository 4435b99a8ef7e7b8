"""Evaluate a whole submission against GT vectors (the engine of ``tools/eval_submission.py``)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .average_precision import class_frame_ap, summarize_ap
from .grid import BevGrid
from .protocols import APProtocol, get_protocol
from .rasterize import CLASS_NAMES, NUM_CLASSES, rasterize_instances


def evaluate_vectors(predictions: Mapping[str, Sequence[Mapping]], ground_truth: Mapping[str, Sequence[Mapping]],
                     grid: BevGrid, protocol: APProtocol | str = 'pmapnet', progress: bool = False) -> dict:
    """mAP (and the IoU of the re-rasterised maps, as the official JSON evaluation also reports)
    over every GT token; a token without predictions is scored as an empty prediction.

    Returns the result record of :func:`summarize_ap` plus ``raster_iou`` and ``num_frames``.
    """
    protocol = get_protocol(protocol)
    tokens = list(ground_truth)
    ap_sum = np.zeros((NUM_CLASSES, len(protocol.thresholds)), dtype=np.float64)
    count = np.zeros(NUM_CLASSES, dtype=np.int64)
    inter = np.zeros(NUM_CLASSES, dtype=np.int64)
    union = np.zeros(NUM_CLASSES, dtype=np.int64)
    iterator = tokens
    if progress:
        from tqdm import tqdm
        iterator = tqdm(tokens, desc=f'mAP ({protocol.name})')
    for token in iterator:
        pred = rasterize_instances(predictions.get(token, []), grid, protocol.thickness)
        gt = rasterize_instances(ground_truth[token], grid, protocol.thickness)
        for cls in range(NUM_CLASSES):
            pred_on, gt_on = pred.masks[cls] != 0, gt.masks[cls] != 0
            inter[cls] += int((pred_on & gt_on).sum())
            union[cls] += int((pred_on | gt_on).sum())
            result = class_frame_ap(pred.masks[cls], pred.confidences[cls], gt.masks[cls], grid, protocol)
            if result is not None:
                ap_sum[cls] += result
                count[cls] += 1
    record = summarize_ap(ap_sum, count, protocol)
    record['num_frames'] = len(tokens)
    record['raster_iou'] = {name: float(inter[c] / (union[c] + 1e-7)) for c, name in enumerate(CLASS_NAMES)}
    record['grid'] = dict(xbound=[grid.xmin, grid.xmax, grid.res_x], ybound=[grid.ymin, grid.ymax, grid.res_y])
    return record


def format_ap_table(record: Mapping) -> str:
    """Text table: classes x thresholds, per-class AP, mAP."""
    thresholds = record['thresholds']
    unit = record.get('threshold_unit', 'm')
    header = ['class'] + [f'AP@{t:g}{unit}' for t in thresholds] + ['AP', 'frames']
    rows = []
    for c, name in enumerate(record['classes']):
        cells = record['ap_matrix'][c]
        ap = record['per_class_ap'][name]
        rows.append([name] + ['-' if v is None else f'{v:.4f}' for v in cells]
                    + ['-' if ap is None else f'{ap:.4f}', str(record['frames_per_class'][name])])
    m = record['mAP']
    rows.append(['mAP'] + [''] * len(thresholds) + ['-' if m is None else f'{m:.4f}', ''])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    fmt = lambda r: '  '.join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()  # noqa: E731
    lines = [f'protocol: {record["protocol"]["name"]} ({record["protocol"]["chamfer"]} Chamfer, '
             f'IoU gate {record["protocol"]["iou_gate"]}, confidence {record["protocol"]["confidence_order"]}), '
             f'{record["num_frames"]} frames', fmt(header), fmt(['-' * w for w in widths])]
    lines += [fmt(r) for r in rows]
    return '\n'.join(lines)
