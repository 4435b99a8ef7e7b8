"""Synthetic prediction dicts (MODEL CONTRACT) and a 2-process gloo worker for MapMetric tests."""
from __future__ import annotations

import json

import numpy as np
import torch

from eval_raster_helpers import clean_head_outputs
from mapkd.evaluation.grid import BevGrid

GRID_CONF = dict(xbound=[-15.0, 15.0, 0.15], ybound=[-7.5, 7.5, 0.15])


def make_samples(num: int, seed: int = 0, perfect: bool = False) -> list[dict]:
    """``num`` prediction dicts; unless ``perfect`` the predicted lines are shifted/dropped and the
    logits noisy, so IoU and AP differ between samples."""
    grid = BevGrid.from_conf(GRID_CONF)
    rng = np.random.default_rng(seed)
    samples = []
    for k in range(num):
        y0 = rng.uniform(-5.0, -3.0)
        gt_lines = [(np.array([[-13.0, y0], [13.0, y0]]), 0),
                    (np.array([[-13.0, y0 + 4.5], [2.0, y0 + 4.5]]), 0),
                    (np.array([[8.0, -6.5], [8.0, 6.5]]), 1),
                    (np.array([[-13.0, 6.0], [5.0, 6.0]]), 2)]
        pred_lines = [(pts.copy(), cls) for pts, cls in gt_lines]
        if not perfect:
            pred_lines[k % 4][0][:, 1 if k % 4 != 2 else 0] += 0.3 * (k % 3)   # shifted 0/0.3/0.6 m
            if k % 2:
                pred_lines.pop((k + 1) % 4)                                    # a missed element
        seg, emb, direction, _ = clean_head_outputs(pred_lines, grid)
        _, _, _, semantic = clean_head_outputs(gt_lines, grid)
        if not perfect:
            gen = torch.Generator().manual_seed(seed * 1000 + k)
            seg = seg + 1.0 * torch.randn(seg.shape, generator=gen)
        samples.append(dict(seg_logits=seg, embedding=emb, direction=direction, semantic=semantic,
                            token=f'token{k:03d}',
                            gt_vectors=[dict(pts=pts.astype(np.float32), type=cls) for pts, cls in gt_lines]))
    return samples


def ddp_worker(rank: int, world: int, port: int, samples: list, size: int, out_json: str, submission: str,
               collect_dir: str) -> None:
    """One rank: process the DistributedSampler shard (rank::world) of the padded ``samples``,
    evaluate ``size`` real samples, dump the metrics (rank 0)."""
    import torch.distributed as dist

    from mapkd.evaluation.metrics import MapMetric

    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world)
    try:
        metric = MapMetric(GRID_CONF, submission_path=submission, collect_dir=collect_dir)
        shard = samples[rank::world]
        for start in range(0, len(shard), 2):
            metric.process({}, shard[start:start + 2])
        metrics = metric.evaluate(size)
        if rank == 0:
            with open(out_json, 'w') as handle:
                json.dump(metrics, handle)
    finally:
        dist.destroy_process_group()
