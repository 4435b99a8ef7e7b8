"""DDP with 2 CPU processes (gloo) == one process on the same global batch."""
from __future__ import annotations

import socket

import pytest
import torch
import torch.multiprocessing as mp
from ddp_worker import run_single, worker


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not torch.distributed.is_available(), reason='torch.distributed not available')
def test_ddp_two_processes_match_one_process(tmp_path):
    out = tmp_path / 'rank0.pt'
    mp.spawn(worker, args=(2, _free_port(), str(out)), nprocs=2, join=True)
    result = torch.load(out)
    single_logs, single_params = run_single()
    # the frozen models are not parameters of the DDP-wrapped module
    assert result['ddp_params'] == result['model_params']
    assert result['frozen_params'] > 0
    for key in ('loss', 'loss_seg', 'loss_tgpd_teacher', 'loss_tgpd_coach', 'loss_msrd_teacher', 'loss_msrd_coach'):
        assert result['logs'][key] == pytest.approx(single_logs[key], rel=1e-4, abs=1e-6), key
    # same update: DDP's averaged gradient equals the global-batch gradient
    for name, value in single_params.items():
        assert torch.allclose(result['params'][name], value, atol=1e-5), name
