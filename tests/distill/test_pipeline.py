"""The whole MapKD pipeline on the synthetic city, at tiny sizes, through the real CLIs.

1a HD-prior pre-training -> 1b teacher -> merge (1b + 1a's MAE head) -> 1c head fine-tuning ->
2 coach distillation -> 3 student distillation (teacher + coach) ; camera-only baseline;
then the distilled checkpoint is evaluated with tools/test.py and its student exported.
Each stage uses the stage config from configs/mapkd/ (one epoch on 2 samples).
"""
from __future__ import annotations

import importlib.util
import os.path as osp

import torch
from tiny import TINY_GRID, TINY_IMAGE, TINY_MAE

from mapkd.models.distillers.frozen_model import REPO_ROOT

STAGES = osp.join(REPO_ROOT, 'configs', 'mapkd')


def _load_tool(relative: str):
    spec = importlib.util.spec_from_file_location(relative.replace('/', '_')[:-3], osp.join(REPO_ROOT, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stage_config(tmp, name: str, base: str, model: dict, data_root: str, extra: str = '', hd_prior: bool = False) -> str:
    dataset = dict(data_root=data_root, version='v1.0-mini', grid_conf=TINY_GRID, image_size=TINY_IMAGE,
                   max_points=2000, indices=2, split='train')
    if hd_prior:
        dataset['hd_prior'] = dict(_delete_=True, mask_ratio=0.5, seed=0)
    text = f"""_base_ = [{osp.join(STAGES, base)!r}]
experiment_name = {name!r}
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset={dataset!r})
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                       dataset=dict({dataset!r}, split='val', test_mode=True, indices=2))
test_evaluator = dict(type='MapMetric', grid_conf={TINY_GRID!r})
train_cfg = dict(max_epochs=1, val_interval=1000)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
visualizer = dict(name={name!r}, vis_backends=[dict(type='LocalVisBackend')])
model = {model!r}
{extra}
"""
    path = tmp / f'{name}.py'
    path.write_text(text)
    return str(path)


def test_full_pipeline_on_the_synthetic_city(synthetic_root, tmp_path):
    train = _load_tool('tools/train.py').main
    test = _load_tool('tools/test.py').main
    merge = _load_tool('scripts/merge_checkpoints.py').main
    extract = _load_tool('scripts/extract_student.py').main
    tiny = dict(grid_conf=TINY_GRID, image_size=TINY_IMAGE, view_hidden=8)
    work = tmp_path / 'work_dirs'

    def run(cfg_path):
        name = osp.splitext(osp.basename(cfg_path))[0]
        assert train([cfg_path, '--work-dir', str(work / name)]) == 0
        ckpt = work / name / 'epoch_1.pth'
        assert ckpt.is_file(), f'{name} wrote no checkpoint'
        return str(ckpt)

    pretrain = run(_stage_config(tmp_path, 'pretrain', 'teacher_hd_prior_pretrain_60x30_30e.py',
                                 dict(grid_conf=TINY_GRID, mae=TINY_MAE), synthetic_root, hd_prior=True))
    teacher_model = dict(tiny, mae=TINY_MAE)
    teacher = run(_stage_config(tmp_path, 'teacher', 'teacher_60x30_30e.py', teacher_model, synthetic_root))
    init = str(tmp_path / 'init.pth')
    finetune_cfg = _stage_config(tmp_path, 'finetune', 'teacher_hd_finetune_60x30_10e.py', teacher_model,
                                 synthetic_root, extra=f'load_from = {init!r}')
    assert merge([finetune_cfg, '--base', teacher, '--override', f'mae_head.={pretrain}', '--out', init]) == 0
    finetuned = run(finetune_cfg)
    before, after = torch.load(init)['state_dict'], torch.load(finetuned)['state_dict']
    assert torch.equal(before['conv_bev.0.weight'], after['conv_bev.0.weight'])  # backbone frozen (lr 0)
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith('mae_head.'))

    frozen_teacher = dict(config=finetune_cfg, checkpoint=finetuned)
    coach_cfg = _stage_config(tmp_path, 'coach', 'coach_distill_60x30_10e.py',
                              dict(student=dict(tiny, lss_mid_channels=32), teachers=dict(teacher=frozen_teacher)),
                              synthetic_root)
    coach = run(coach_cfg)
    student_cfg = _stage_config(tmp_path, 'student', 'student_distill_60x30_10e.py',
                                dict(student=tiny, teachers=dict(teacher=frozen_teacher,
                                                                 coach=dict(config=coach_cfg, checkpoint=coach))),
                                synthetic_root)
    student = run(student_cfg)
    baseline_cfg = _stage_config(tmp_path, 'baseline', 'student_cam_only_60x30_10e.py', tiny, synthetic_root)
    run(baseline_cfg)

    logs = (work / 'student').rglob('*.log')
    text = '\n'.join(p.read_text() for p in logs)
    for key in ('loss_tgpd_teacher', 'loss_tgpd_coach', 'loss_msrd_teacher', 'loss_msrd_coach', 'loss_seg'):
        assert key in text, f'{key} not logged'
    # the distilled checkpoint is evaluable directly, and its student alone with the student config
    assert test([student_cfg, student, '--work-dir', str(work / 'test_distill')]) == 0
    exported = str(tmp_path / 'student_only.pth')
    assert extract([student, exported]) == 0
    assert test([baseline_cfg, exported, '--work-dir', str(work / 'test_student')]) == 0
