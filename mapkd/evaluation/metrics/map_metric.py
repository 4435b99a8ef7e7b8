"""``MapMetric``: semantic mIoU and vectorised mAP of map predictions (mmengine metric)."""
from __future__ import annotations

import multiprocessing
import os.path as osp
from collections import deque
from concurrent.futures import ProcessPoolExecutor
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


def _one_thread() -> None:
    """Initializer of the post-processing workers: one torch thread each (no oversubscription)."""
    torch.set_num_threads(1)


def vector_record(seg_logits: Any, embedding: Any, direction: Any, gt_vectors: Any, where: str,
                  grid: BevGrid, vectorize_cfg: VectorizeConfig, protocol: Any, need_map: bool,
                  keep_vectors: bool) -> dict:
    """Vectorise one sample and score it: ``vectors`` (if kept) and ``ap``/``ap_counted`` (if mAP).

    The same function runs in the evaluating process or in a post-processing worker, so both
    paths give the same numbers.
    """
    record: dict = {}
    vectors = vectorize(seg_logits, embedding, direction, grid, vectorize_cfg)
    if need_map:
        gt = as_vectors(gt_vectors, f'{where} gt_vectors')
        result = frame_ap(vectors, gt, grid, protocol)
        record['ap'], record['ap_counted'] = result.ap, result.counted
    if keep_vectors:
        record['vectors'] = vectors
    return record


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
        num_workers: post-processing processes. ``0`` (default) vectorises and scores each sample
            right after its batch; ``N > 0`` hands that work (single-threaded DBSCAN, connection,
            Chamfer AP) to ``N`` worker processes, so that it overlaps the next batches' forward
            passes; the numbers are the same. At most ``8 * N`` samples wait for a worker.
        collect_device, prefix, collect_dir: as in mmengine's ``BaseMetric``.

    Per-sample sums (intersection, union, per-frame AP) are kept in ``self.results``, so
    mmengine's result collection makes distributed evaluation exact.
    """

    default_prefix = None

    def __init__(self, grid_conf: Mapping, metrics: Sequence[str] = ('iou', 'map'),
                 protocol: str = 'pmapnet', submission_path: str | None = None,
                 result_path: str | None = None, submission_meta: Mapping | None = None,
                 vectorize_cfg: Mapping | None = None, num_workers: int = 0, collect_device: str = 'cpu',
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
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f'MapMetric num_workers must be an int >= 0, got {num_workers!r}')
        self.num_workers = num_workers
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque = deque()   # (record, future) in sample order, not yet resolved

    # ------------------------------------------------------------------ post-processing workers
    def _submit(self, record: dict, args: tuple) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.num_workers, mp_context=multiprocessing.get_context('spawn'),
                                             initializer=_one_thread)
        while len(self._pending) >= 8 * self.num_workers:   # bound the memory of queued rasters
            self._resolve_one()
        self._pending.append((record, self._pool.submit(vector_record, *args)))

    def _resolve_one(self) -> None:
        record, future = self._pending.popleft()
        try:
            record.update(future.result())
        except Exception as exc:
            raise RuntimeError(f'MapMetric: post-processing sample {record["token"]} failed in a worker: '
                               f'{type(exc).__name__}: {exc}') from exc

    def _drain(self) -> None:
        try:
            while self._pending:
                self._resolve_one()
        finally:
            self._pending.clear()
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None

    def evaluate(self, size: int) -> dict:
        """Wait for the post-processing workers, then reduce as mmengine's ``BaseMetric`` does."""
        self._drain()
        return super().evaluate(size)

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
            self.results.append(record)
            if not self.need_vectors:
                continue
            args = (sample['seg_logits'], sample['embedding'], sample['direction'], sample.get('gt_vectors'),
                    where, self.grid, self.vectorize_cfg, self.protocol, 'map' in self.metrics,
                    self.submission_path is not None)
            if self.num_workers == 0:
                record.update(vector_record(*args))
            else:   # numpy, not torch tensors: no shared-memory file descriptors per sample
                as_array = [np.asarray(torch.as_tensor(a).detach().cpu()) for a in args[:3]]
                self._submit(record, tuple(as_array) + args[3:])

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
