"""``MapMetric``: semantic mIoU and vectorised mAP of map predictions (mmengine metric)."""
from __future__ import annotations

import os.path as osp
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mapkd.registry import METRICS

from ..average_precision import frame_ap, summarize_ap
from ..grid import BevGrid
from ..protocols import get_protocol
from ..rasterize import CLASS_NAMES
from ..segmentation_iou import intersection_union, iou_from_sums
from ..submission import atomic_write_json, default_meta, write_submission
from ..vectorize import VectorizeConfig, vectorize

VALID_METRICS = ('iou', 'map')


def as_vectors(vectors: Any, where: str) -> list[dict]:
    """Normalise GT/pred vectors (pts as tensor/array/list) to dicts with numpy ``pts``."""
    if vectors is None:
        raise ValueError(f'{where}: gt_vectors is missing; the dataset must provide data_samples["gt_vectors"]')
    out = []
    for index, vector in enumerate(vectors):
        if 'pts' not in vector or 'type' not in vector:
            raise ValueError(f'{where}[{index}]: a vector needs "pts" and "type", got keys {sorted(vector)}')
        pts = vector['pts']
        pts = pts.detach().cpu().numpy() if isinstance(pts, torch.Tensor) else np.asarray(pts)
        pts = pts.astype(np.float64).reshape(-1, 2)
        out.append(dict(pts=pts, pts_num=int(vector.get('pts_num', len(pts))), type=int(vector['type']),
                        confidence_level=float(vector.get('confidence_level', 1.0))))
    return out


@METRICS.register_module()
class MapMetric(BaseMetric):
    """mIoU of the argmax segmentation and vector mAP of the HDMapNet post-processing.

    Args:
        grid_conf: dict with ``xbound``/``ybound`` ([min, max, resolution]) of the BEV rasters.
        metrics: any of ``'iou'`` and ``'map'``.
        protocol: mAP protocol, ``'pmapnet'`` (default, comparable with the MapKD / P-MapNet
            tables), ``'hdmapnet'`` or ``'corrected'`` (see ``mapkd.evaluation.protocols``).
        submission_path: if set, write the vectorised predictions there (HDMapNet format).
        result_path: if set, write the full mAP record (protocol, AP matrix, ...) there as JSON.
        submission_meta: the submission's ``meta`` flags (``vector`` is always true).
        vectorize_cfg: overrides of :class:`~mapkd.evaluation.vectorize.VectorizeConfig`.
        collect_device, prefix, collect_dir: as in mmengine's ``BaseMetric``.

    Per-sample sums (intersection, union, per-frame AP) are kept in ``self.results``, so
    mmengine's result collection makes distributed evaluation exact.
    """

    default_prefix = None

    def __init__(self, grid_conf: Mapping, metrics: Sequence[str] = ('iou', 'map'),
                 protocol: str = 'pmapnet', submission_path: str | None = None,
                 result_path: str | None = None, submission_meta: Mapping | None = None,
                 vectorize_cfg: Mapping | None = None, collect_device: str = 'cpu',
                 prefix: str | None = None, collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
        unknown = [m for m in metrics if m not in VALID_METRICS]
        if unknown or not metrics:
            raise ValueError(f'MapMetric metrics must be a non-empty subset of {VALID_METRICS}, got {metrics}')
        self.metrics = metrics
        self.grid = BevGrid.from_conf(grid_conf)
        self.protocol = get_protocol(protocol)
        self.submission_path = submission_path
        self.result_path = result_path
        self.submission_meta = dict(submission_meta) if submission_meta else default_meta()
        self.vectorize_cfg = VectorizeConfig(**dict(vectorize_cfg or {}))
        self.need_vectors = 'map' in metrics or submission_path is not None

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Reduce each prediction dict to the sums the metrics need (and its vectors)."""
        for index, sample in enumerate(data_samples):
            token = sample.get('token', f'#{len(self.results)}')
            where = f'MapMetric: sample {token}'
            for key in ('seg_logits',) + (('embedding', 'direction') if self.need_vectors else ()):
                if key not in sample:
                    raise KeyError(f'{where} has no "{key}" (keys: {sorted(sample)}); see the MODEL CONTRACT')
            record: dict = dict(token=token)
            if 'iou' in self.metrics:
                if 'semantic' not in sample:
                    raise KeyError(f'{where} has no GT "semantic" raster')
                record['intersection'], record['union'] = intersection_union(sample['seg_logits'], sample['semantic'])
            if self.need_vectors:
                vectors = vectorize(sample['seg_logits'], sample['embedding'], sample['direction'],
                                    self.grid, self.vectorize_cfg)
                record['vectors'] = vectors
            if 'map' in self.metrics:
                gt = as_vectors(sample.get('gt_vectors'), f'{where} gt_vectors')
                result = frame_ap(record['vectors'], gt, self.grid, self.protocol)
                record['ap'], record['ap_counted'] = result.ap, result.counted
            if self.submission_path is None:
                record.pop('vectors', None)
            self.results.append(record)

    def compute_metrics(self, results: list) -> dict:
        """Sum the per-sample records over the split; write submission/result files if asked."""
        metrics: dict[str, float] = {}
        if 'iou' in self.metrics:
            inter = np.sum([r['intersection'] for r in results], axis=0)
            union = np.sum([r['union'] for r in results], axis=0)
            iou = iou_from_sums(inter, union)[1:]
            for name, value in zip(CLASS_NAMES, iou):
                metrics[f'IoU/{name}'] = float(value)
            metrics['mIoU'] = float(iou.mean())
        if 'map' in self.metrics:
            ap_sum = np.sum([r['ap'] for r in results], axis=0)
            count = np.sum([r['ap_counted'] for r in results], axis=0)
            record = summarize_ap(ap_sum, count, self.protocol)
            record['num_frames'] = len(results)
            for c, name in enumerate(CLASS_NAMES):
                if record['per_class_ap'][name] is None:
                    continue
                for t, threshold in enumerate(self.protocol.thresholds):
                    metrics[f'AP/{name}@{threshold:.1f}'] = record['ap_matrix'][c][t]
                metrics[f'AP/{name}'] = record['per_class_ap'][name]
            if record['mAP'] is not None:
                metrics['mAP'] = record['mAP']
            if self.result_path:
                if 'iou' in self.metrics:
                    record['segmentation_iou'] = {k: v for k, v in metrics.items() if 'IoU' in k}
                atomic_write_json(record, self.result_path)
                print_log(f'mAP record written to {osp.abspath(self.result_path)}', logger='current')
        if self.submission_path:
            seen: dict[str, list] = {}
            for r in results:
                seen[r['token']] = r['vectors']
            write_submission(seen, self.submission_path, self.submission_meta)
            print_log(f'submission with {len(seen)} samples written to {osp.abspath(self.submission_path)}',
                      logger='current')
        return metrics
