"""Stage and baseline configs: they parse, carry the official recipes, and each baseline runs a step."""
from __future__ import annotations

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from tiny import fake_batch, shrink_model

from mapkd.models.distillers.frozen_model import REPO_ROOT, frozen_model_config
from mapkd.registry import MODELS

STAGE_CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'mapkd', '*.py')))
BASELINE_CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'distill_baselines', '*_10e.py')))


def _weights(cfg) -> dict:
    return {(loss['type'], loss['teacher']): loss['weight'] for loss in cfg.model.distill_losses}


@pytest.mark.parametrize('path', STAGE_CONFIGS + BASELINE_CONFIGS, ids=osp.basename)
def test_config_parses_with_one_grid(path):
    cfg = Config.fromfile(path)
    model = cfg.model.student if cfg.model.type == 'MapDistiller' else cfg.model
    assert model.grid_conf == cfg.train_dataloader.dataset.grid_conf, 'model and data grids differ'
    assert cfg.optim_wrapper.optimizer.lr == 5e-4 and cfg.optim_wrapper.clip_grad.max_norm == 5.0
    assert cfg.train_dataloader.batch_size == 8
    expected_epochs = int(osp.basename(path).rsplit('_', 1)[1][:-4].rstrip('e'))
    assert cfg.train_cfg.max_epochs == expected_epochs
    if cfg.model.type == 'MapDistiller':
        for name, spec in cfg.model.teachers.items():
            assert osp.isfile(osp.join(REPO_ROOT, spec['config'])), f'{name}: {spec["config"]}'


def test_official_recipes():
    root = osp.join(REPO_ROOT, 'configs', 'mapkd')
    student = Config.fromfile(osp.join(root, 'student_distill_60x30_10e.py'))
    assert _weights(student) == {('TGPDLoss', 'teacher'): 0.5, ('TGPDLoss', 'coach'): 0.01,
                                 ('MSRDLoss', 'teacher'): 0.75, ('MSRDLoss', 'coach'): 0.01}
    coach = Config.fromfile(osp.join(root, 'coach_distill_60x30_10e.py'))
    assert _weights(coach) == {('TGPDLoss', 'teacher'): 0.8, ('MSRDLoss', 'teacher'): 0.8}
    final = Config.fromfile(osp.join(root, 'student_train_final_60x30_10e.py'))
    assert _weights(final) == {('MSRDLoss', 'teacher'): 0.75, ('MSRDLoss', 'coach'): 0.001}
    assert student.model.student.loss == dict(type='MapTaskLoss')  # 1 / 0.1 / 0.1 / 0.1 defaults
    assert student.model.student.type == 'MapKDStudent' and coach.model.student.type == 'MapKDCoach'
    # the student's coach is the coach-distillation run's student, loaded from its checkpoint
    coach_model, prefix = frozen_model_config('coach', student.model.teachers.coach)
    assert coach_model['type'] == 'MapKDCoach' and prefix == 'student.'
    finetune = Config.fromfile(osp.join(root, 'teacher_hd_finetune_60x30_10e.py'))
    assert finetune.load_from and 'mae_head' not in finetune.optim_wrapper.paramwise_cfg.custom_keys


@pytest.mark.parametrize('path', BASELINE_CONFIGS, ids=osp.basename)
def test_baseline_config_builds_and_runs_one_step(path):
    torch.manual_seed(0)
    cfg = Config.fromfile(path).model.to_dict()
    cfg = shrink_model(cfg)
    teachers = {}
    for name, spec in cfg['teachers'].items():
        model_cfg, _ = frozen_model_config(name, spec)
        teachers[name] = dict(model=shrink_model(model_cfg), checkpoint=None)
    cfg['teachers'] = teachers
    for loss in cfg['distill_losses']:   # tiny grid: 5 x 10 bev_small
        if 'query_hw' in str(loss):
            for level in loss['levels']:
                level.setdefault('query_hw', (3, 5))
                if level.get('adapter', 'aoa') == 'aoa':
                    level['query_hw'] = (3, 5)
        if loss['type'] == 'UniDistillLoss':
            loss['xbound'], loss['ybound'] = [-30.0, 30.0, 0.75], [-15.0, 15.0, 0.75]
        if loss['type'] == 'MapDistillLoss':
            loss['relation_size'] = (5, 10)
    distiller = MODELS.build(cfg)
    optim = OptimWrapper(torch.optim.Adam(distiller.parameters(), lr=5e-4))
    logs = distiller.train_step(fake_batch(), optim)
    distill_keys = [k for k in logs if k.startswith('loss_') and k not in ('loss_seg', 'loss_var', 'loss_dist', 'loss_dir')]
    assert distill_keys, logs.keys()
    for key, value in logs.items():
        assert torch.isfinite(value), key
        assert value >= 0, key
