"""MapRunner's deterministic mode: deterministic algorithms on, NaN-filling of new tensors off, same losses."""
from __future__ import annotations

import pytest
import torch
from mmengine.config import Config

from mapkd.engine.launch import build_runner


@pytest.fixture
def restore_determinism():
    saved = (torch.are_deterministic_algorithms_enabled(), torch.utils.deterministic.fill_uninitialized_memory)
    yield
    torch.use_deterministic_algorithms(saved[0])
    torch.utils.deterministic.fill_uninitialized_memory = saved[1]


def _runner(synthetic_root: str, tmp_path, deterministic: bool):
    cfg = Config.fromfile('configs/quickstart/student_baseline.py')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.randomness = dict(seed=0, deterministic=deterministic)
    cfg.train_dataloader.dataset.update(data_root=synthetic_root, version='v1.0-mini',
                                        cache_root=str(tmp_path / 'cache'))
    cfg.train_dataloader.update(batch_size=1, num_workers=0)
    return build_runner(cfg)


def _two_step_losses(runner) -> list[float]:
    model = runner.model
    model.train()
    optim_wrapper = runner.build_optim_wrapper(runner.cfg.optim_wrapper)
    batches = iter(runner.build_dataloader(runner.cfg.train_dataloader))
    return [model.train_step(next(batches), optim_wrapper)['loss'].item() for _ in range(2)]


def test_deterministic_runner_does_not_nan_fill(synthetic_root, tmp_path, restore_determinism):
    torch.utils.deterministic.fill_uninitialized_memory = True
    _runner(synthetic_root, tmp_path, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.utils.deterministic.fill_uninitialized_memory is False


def test_nan_fill_does_not_change_the_training_losses(synthetic_root, tmp_path, restore_determinism):
    runs = []
    for fill in (False, True):
        runner = _runner(synthetic_root, tmp_path / str(fill), deterministic=True)
        torch.utils.deterministic.fill_uninitialized_memory = fill
        runs.append(_two_step_losses(runner))
    assert all(torch.isfinite(torch.tensor(losses)).all() for losses in runs)
    assert runs[0] == runs[1]
