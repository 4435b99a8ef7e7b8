"""PreciseBNHook: the BatchNorm running statistics become the plain average of the batch statistics
of the final weights; only the trained model is touched (never a distiller's frozen models)."""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch
from helpers import distiller_cfg
from toy_models import toy_batch

from mapkd.engine import PreciseBNHook
from mapkd.registry import HOOKS, MODELS


def fake_runner(model, batches):
    return SimpleNamespace(model=model, train_dataloader=batches, logger=logging.getLogger('precise_bn_test'))


def batch_statistics(model, batches):
    """Per-batch (mean, unbiased var) of the first BatchNorm's input, computed independently."""
    captured = []
    bn = model.student.cam[1] if hasattr(model, 'student') else model.cam[1]
    handle = bn.register_forward_hook(lambda mod, args, out: captured.append(args[0].detach()))
    model.train()
    with torch.no_grad():
        for data in batches:
            model(**model.data_preprocessor(data, True), mode='tensor')
    handle.remove()
    means = torch.stack([x.mean((0, 2, 3)) for x in captured])
    variances = torch.stack([x.transpose(0, 1).flatten(1).var(1, unbiased=True) for x in captured])
    return bn, means.mean(0), variances.mean(0)


def test_running_statistics_are_the_average_over_the_batches():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='ToyMapModel'))
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.momentum = 0.01
    batches = [toy_batch(batch=2, seed=s) for s in range(5)]
    bn, mean, var = batch_statistics(model, batches[:3])
    bn.reset_running_stats()  # stale statistics, as after a short schedule with a small momentum
    model.eval()
    hook = HOOKS.build(dict(type='PreciseBNHook', num_batches=3))
    hook.recompute(fake_runner(model, batches))
    torch.testing.assert_close(bn.running_mean, mean, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(bn.running_var, var, rtol=1e-5, atol=1e-6)
    assert bn.momentum == 0.01 and not model.training  # settings and mode restored


def test_distiller_frozen_models_are_untouched():
    torch.manual_seed(0)
    distiller = MODELS.build(distiller_cfg())
    frozen_before = {name: {k: v.clone() for k, v in m.state_dict().items()} for name, m in distiller.frozen.items()}
    student_bn = distiller.student.cam[1]
    before = student_bn.running_mean.clone()
    distiller.train()
    PreciseBNHook(num_batches=2).recompute(fake_runner(distiller, [toy_batch(seed=s) for s in range(2)]))
    assert not torch.equal(student_bn.running_mean, before)
    for name, model in distiller.frozen.items():
        assert not model.training
        for key, value in model.state_dict().items():
            assert torch.equal(value, frozen_before[name][key]), f'{name}.{key} changed'


def test_bad_batch_count():
    with pytest.raises(ValueError, match='num_batches must be >= 1'):
        PreciseBNHook(num_batches=0)
