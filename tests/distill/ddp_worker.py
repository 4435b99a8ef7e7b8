"""One process of the DDP-equivalence test (spawned by test_ddp.py)."""
from __future__ import annotations

import os

import torch

FULL_BATCH = 4


def build(seed: int = 0):
    from helpers import distiller_cfg, toy_student

    from mapkd.registry import MODELS

    torch.manual_seed(seed)
    # no BatchNorm in the student (per-rank batch statistics differ by design) and no direction
    # term (DirectionLoss normalises by the batch's lane-pixel count without a cross-rank reduce)
    return MODELS.build(distiller_cfg(student=toy_student(use_bn=False, direction_pred=False)))


def batch_slice(data: dict, start: int, stop: int) -> dict:
    def cut(value):
        return value[start:stop]
    return {'inputs': {k: cut(v) for k, v in data['inputs'].items()},
            'data_samples': {k: cut(v) for k, v in data['data_samples'].items()}}


def run_single() -> tuple[dict, dict]:
    """One optimiser step on the full batch in one process; returns (log vars, parameters)."""
    from mmengine.optim import OptimWrapper
    from toy_models import toy_batch

    model = build()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    logs = model.train_step(toy_batch(FULL_BATCH, seed=5), optim)
    return {k: float(v.detach()) for k, v in logs.items()}, {k: v.detach().clone() for k, v in model.named_parameters()}


def worker(rank: int, world: int, port: int, out_path: str) -> None:
    import mapkd.models  # noqa: F401
    from mmengine.model import MMDistributedDataParallel
    from mmengine.optim import OptimWrapper
    from mmengine.registry import init_default_scope

    init_default_scope('mapkd')
    import toy_models  # noqa: F401
    from toy_models import toy_batch

    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.distributed.init_process_group('gloo', rank=rank, world_size=world)
    try:
        torch.set_num_threads(1)
        model = build()
        frozen_params = sum(p.numel() for m in model.frozen.values() for p in m.parameters())
        # the toy student computes features (lidar_feature, bev_out) no student loss uses
        ddp = MMDistributedDataParallel(module=model, find_unused_parameters=True)
        ddp_params = sum(p.numel() for p in ddp.parameters())
        optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
        per_rank = FULL_BATCH // world
        data = batch_slice(toy_batch(FULL_BATCH, seed=5), rank * per_rank, (rank + 1) * per_rank)
        logs = ddp.train_step(data, optim)
        reduced = {}
        for key, value in logs.items():
            value = value.detach().clone()
            torch.distributed.all_reduce(value)
            reduced[key] = float(value) / world
        if rank == 0:
            torch.save({'logs': reduced, 'params': {k: v.detach().clone() for k, v in model.named_parameters()},
                        'ddp_params': ddp_params, 'model_params': sum(p.numel() for p in model.parameters()),
                        'frozen_params': frozen_params}, out_path)
    finally:
        torch.distributed.destroy_process_group()
