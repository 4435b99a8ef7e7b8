"""MapMetric: keys and values, submission round trip, single- vs 2-process evaluation."""
from __future__ import annotations

import json
import socket

import numpy as np
import pytest
import torch.multiprocessing as mp

from eval_metric_helpers import GRID_CONF, ddp_worker, make_samples
from mapkd.evaluation import BevGrid, evaluate_vectors, load_vectors_json
from mapkd.evaluation.metrics import MapMetric
from mapkd.registry import METRICS


def run_metric(samples, **kwargs) -> dict:
    metric = MapMetric(GRID_CONF, **kwargs)
    for start in range(0, len(samples), 2):
        metric.process({}, samples[start:start + 2])
    return metric.compute_metrics(metric.results)


def test_perfect_predictions_score_one():
    metrics = run_metric(make_samples(2, perfect=True))
    for name in ('divider', 'ped_crossing', 'boundary'):
        assert metrics[f'IoU/{name}'] == pytest.approx(1.0, abs=1e-6)
    assert metrics['mIoU'] == pytest.approx(1.0, abs=1e-6)
    # the single straight crossing / boundary are vectorised exactly (the dividers cross the
    # crossing and are cut by it in the segmentation, so they are not a perfect case)
    for name in ('ped_crossing', 'boundary'):
        assert metrics[f'AP/{name}'] == pytest.approx(1.0)
        for t in ('0.5', '1.0', '1.5'):
            assert metrics[f'AP/{name}@{t}'] == pytest.approx(1.0)
    per_class = [metrics[f'AP/{n}'] for n in ('divider', 'ped_crossing', 'boundary')]
    assert metrics['mAP'] == pytest.approx(np.mean(per_class))


def test_registered_and_iou_only_mode():
    metric = METRICS.build(dict(type='MapMetric', grid_conf=GRID_CONF, metrics=['iou']))
    sample = make_samples(1)[0]
    metric.process({}, [dict(seg_logits=sample['seg_logits'], semantic=sample['semantic'], token='t')])
    out = metric.compute_metrics(metric.results)
    assert set(out) == {'IoU/divider', 'IoU/ped_crossing', 'IoU/boundary', 'mIoU'}
    assert 0.0 < out['mIoU'] < 1.0


def test_submission_written_and_reevaluated_identically(tmp_path):
    samples = make_samples(4)
    sub_path, res_path = tmp_path / 'submission.json', tmp_path / 'map.json'
    metrics = run_metric(samples, submission_path=str(sub_path), result_path=str(res_path))
    sub = load_vectors_json(str(sub_path))
    assert sub['meta']['vector'] is True and sorted(sub['results']) == [s['token'] for s in samples]
    gt = {s['token']: [dict(pts=v['pts'], pts_num=len(v['pts']), type=v['type']) for v in s['gt_vectors']]
          for s in samples}
    record = evaluate_vectors(sub['results'], gt, BevGrid.from_conf(GRID_CONF), 'pmapnet')
    assert record['mAP'] == pytest.approx(metrics['mAP'], abs=1e-9)
    saved = json.loads(res_path.read_text())
    assert saved['mAP'] == pytest.approx(metrics['mAP']) and saved['protocol']['name'] == 'pmapnet'
    assert 0.0 < metrics['mAP'] < 1.0


def test_missing_prediction_field_is_a_clear_error():
    sample = make_samples(1)[0]
    sample.pop('embedding')
    with pytest.raises(KeyError, match='token000.*embedding'):
        MapMetric(GRID_CONF).process({}, [sample])
    with pytest.raises(ValueError, match='metrics must be'):
        MapMetric(GRID_CONF, metrics=['chamfer'])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_process_evaluation_equals_single_process(tmp_path):
    samples = make_samples(5, seed=1)   # odd count: the sampler pads rank 1, collection truncates
    single_sub = tmp_path / 'single.json'
    single = run_metric(samples, submission_path=str(single_sub))
    out_json, ddp_sub = tmp_path / 'ddp_metrics.json', tmp_path / 'ddp.json'
    padded = samples + samples[:1]     # what DistributedSampler hands out with 2 ranks
    mp.spawn(ddp_worker, args=(2, _free_port(), padded, len(samples), str(out_json), str(ddp_sub),
                                  str(tmp_path / 'collect')), nprocs=2, join=True)
    distributed = json.loads(out_json.read_text())
    assert distributed.keys() == single.keys()
    for key, value in single.items():
        assert distributed[key] == pytest.approx(value, abs=1e-12), key
    assert json.loads(ddp_sub.read_text()) == json.loads(single_sub.read_text())


def test_post_processing_workers_give_the_same_numbers_and_submission(tmp_path):
    """num_workers > 0 moves vectorisation + AP into worker processes; nothing may change."""
    samples = make_samples(12, seed=3)
    inline_sub, pooled_sub = tmp_path / 'inline.json', tmp_path / 'pooled.json'
    inline = MapMetric(GRID_CONF, submission_path=str(inline_sub))
    pooled = MapMetric(GRID_CONF, submission_path=str(pooled_sub), num_workers=2)
    for metric in (inline, pooled):
        for start in range(0, len(samples), 2):
            metric.process({}, samples[start:start + 2])
    # with 2 workers at most 16 samples wait: all 12 are still queued, in order, without results
    assert len(pooled._pending) == 12 and 'ap' not in pooled.results[0]
    inline_metrics, pooled_metrics = inline.evaluate(len(samples)), pooled.evaluate(len(samples))
    assert pooled_metrics == inline_metrics and 0.0 < inline_metrics['mAP'] < 1.0
    assert pooled._pool is None and not pooled._pending   # workers shut down after the evaluation
    assert json.loads(pooled_sub.read_text()) == json.loads(inline_sub.read_text())


def test_post_processing_worker_errors_name_the_sample():
    bad = make_samples(1)[0]
    bad['gt_vectors'] = [dict(pts=np.zeros((2, 2)), type=7)]   # no such class
    metric = MapMetric(GRID_CONF, num_workers=1)
    metric.process({}, [bad])
    with pytest.raises(RuntimeError, match='sample token000 failed in a worker'):
        metric.evaluate(1)
    assert metric._pool is None
    with pytest.raises(ValueError, match='num_workers'):
        MapMetric(GRID_CONF, num_workers=-1)
