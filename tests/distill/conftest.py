"""Fixtures of the distillation tests: mapkd scope, toy distiller configs."""
from __future__ import annotations

import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True, scope='session')
def mapkd_scope():
    import mapkd.models  # noqa: F401  (registers every model part)
    from mmengine.registry import init_default_scope

    init_default_scope('mapkd')
    import toy_models  # noqa: F401  (registers ToyMapModel)
    yield


@pytest.fixture(autouse=True)
def single_torch_thread():
    """One intra-op thread: on a shared 2-core machine the default oversubscribes (10-20x slower)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
