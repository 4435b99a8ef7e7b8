"""MapDistiller: frozen targets stay frozen, strict loading, state dict, delegation."""
from __future__ import annotations


import pytest
import torch
from helpers import distiller_cfg, toy_student
from mmengine.optim import OptimWrapper
from toy_models import toy_batch

from mapkd.models.distillers.frozen_model import build_frozen_model
from mapkd.registry import MODELS


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_frozen_models_get_no_gradient_and_do_not_change():
    torch.manual_seed(0)
    distiller = MODELS.build(distiller_cfg())
    distiller.train()  # what the runner does every epoch
    frozen = dict(distiller.frozen.items())
    before = {name: _snapshot(model) for name, model in frozen.items()}
    for model in frozen.values():
        assert not model.training
        assert all(not p.requires_grad for p in model.parameters())
        assert any(k.endswith('running_mean') for k in model.state_dict())  # BN present
    optim = OptimWrapper(torch.optim.Adam(distiller.parameters(), lr=1e-2))
    for step in range(3):
        distiller.train_step(toy_batch(seed=step), optim)
    for name, model in frozen.items():
        assert not model.training
        assert all(p.grad is None for p in model.parameters()), name
        after = model.state_dict()
        for key, value in before[name].items():
            assert torch.equal(value, after[key]), f'{name}.{key} changed'
    # ... while the student did train and its BN statistics moved
    assert distiller.student.training
    assert not torch.equal(distiller.student.cam[1].running_mean, torch.zeros(8))


def test_frozen_models_are_not_parameters_or_state_but_move_with_the_distiller():
    distiller = MODELS.build(distiller_cfg())
    names = [n for n, _ in distiller.named_parameters()]
    assert names and all(n.startswith(('student.', 'distill_losses.')) for n in names)
    keys = list(distiller.state_dict())
    assert all(k.startswith(('student.', 'distill_losses.')) for k in keys)
    assert any(k.startswith('distill_losses.0.patch_proj') for k in keys)  # TGPD projections persist
    assert all(not isinstance(m, type(distiller.student)) or m is distiller.student
               for m in distiller.modules())
    distiller.to(torch.float64)
    for model in distiller.frozen.values():
        assert next(model.parameters()).dtype == torch.float64
    distiller.eval()
    assert not distiller.student.training
    distiller.train()
    assert all(not m.training for m in distiller.frozen.values())


def test_loss_keys_tensor_and_predict_delegate_to_student():
    torch.manual_seed(0)
    distiller = MODELS.build(distiller_cfg())
    data = distiller.data_preprocessor(toy_batch(), True)
    losses = distiller(**data, mode='loss')
    for key in ('loss_seg', 'loss_var', 'loss_dist', 'loss_dir', 'loss_tgpd_teacher', 'loss_tgpd_coach',
                'loss_msrd_teacher', 'loss_msrd_coach', 'tgpd_attn_teacher', 'tgpd_feat_coach'):
        assert key in losses
        assert torch.isfinite(losses[key]) and losses[key] >= 0
    assert not losses['tgpd_attn_teacher'].requires_grad  # logged only
    out = distiller(**data, mode='tensor')
    assert torch.equal(out['seg'], distiller.student(**data, mode='tensor')['seg'])
    preds = distiller(**data, mode='predict')
    assert len(preds) == 2 and preds[0]['seg_logits'].shape == (4, 32, 64)
    assert preds[0]['token'] == 'tok0'


def test_strict_loading_names_missing_and_unexpected_keys(tmp_path):
    teacher = MODELS.build(dict(type='ToyMapModel', use_lidar=True))
    path = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict()}, path)
    loaded = build_frozen_model('teacher', dict(model=dict(type='ToyMapModel', use_lidar=True),
                                                checkpoint=str(path)))
    for key, value in teacher.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    broken = dict(teacher.state_dict())
    broken.pop('head.weight')
    broken['extra.weight'] = torch.zeros(1)
    torch.save(broken, tmp_path / 'broken.pth')
    with pytest.raises(KeyError, match=r"head\.weight.*extra\.weight"):
        build_frozen_model('teacher', dict(model=dict(type='ToyMapModel'), checkpoint=str(tmp_path / 'broken.pth')))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        build_frozen_model('teacher', dict(model=dict(type='ToyMapModel'), checkpoint=str(tmp_path / 'nope.pth')))
    with pytest.raises(KeyError, match='exactly one'):
        build_frozen_model('teacher', dict(checkpoint=None))
    with pytest.raises(KeyError, match="targets 'coach'"):
        MODELS.build(distiller_cfg(teachers=dict(teacher=dict(model=dict(type='ToyMapModel'))),
                                   losses=[dict(type='MSRDLoss', teacher='coach')]))


def test_coach_loads_from_a_distiller_checkpoint_and_config(tmp_path):
    """Stage chaining: a coach-distillation run's checkpoint (``student.*`` keys) is the coach."""
    coach_run = MODELS.build(distiller_cfg(student=toy_student()))
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': coach_run.state_dict(), 'meta': {}}, ckpt)
    config = tmp_path / 'coach_cfg.py'
    config.write_text('model = ' + repr(distiller_cfg(student=toy_student())) + '\n')
    coach = build_frozen_model('coach', dict(config=str(config), checkpoint=str(ckpt)))
    for key, value in coach_run.student.state_dict().items():
        assert torch.equal(coach.state_dict()[key], value)


def test_distiller_checkpoint_round_trip_and_student_export(tmp_path):
    from mapkd.models.distillers.student_checkpoint import export_student_checkpoint

    torch.manual_seed(0)
    distiller = MODELS.build(distiller_cfg())
    path = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': distiller.state_dict(), 'meta': {}}, path)
    again = MODELS.build(distiller_cfg())
    again.load_state_dict(torch.load(path)['state_dict'], strict=True)
    out = tmp_path / 'student.pth'
    export_student_checkpoint(str(path), str(out))
    student = MODELS.build(toy_student())
    student.load_state_dict(torch.load(out)['state_dict'], strict=True)
    batch = distiller.data_preprocessor(toy_batch(), False)
    distiller.eval(), student.eval()
    assert torch.allclose(student(**batch, mode='tensor')['seg'], distiller(**batch, mode='tensor')['seg'])


def test_student_init_copies_named_modules_from_the_frozen_model_after_init_weights():
    torch.manual_seed(0)
    cfg = distiller_cfg()
    cfg['teachers']['coach']['model'] = dict(type='ToyMapModel')
    cfg['student_init'] = dict(source='coach', modules=['cam', 'down'])
    distiller = MODELS.build(cfg)
    coach = distiller.frozen['coach']
    assert not torch.equal(distiller.student.cam[0].weight, coach.cam[0].weight)   # not yet
    distiller.init_weights()   # what the runner calls once before training
    for name in ('cam', 'down'):
        src, dst = coach.get_submodule(name).state_dict(), distiller.student.get_submodule(name).state_dict()
        assert all(torch.equal(src[k], dst[k]) for k in src), name
    assert not torch.equal(distiller.student.head.weight, coach.head.weight)     # not listed: untouched
    # copies, not shared tensors: training the student leaves the frozen model alone
    optim = OptimWrapper(torch.optim.Adam(distiller.parameters(), lr=1e-2))
    distiller.train_step(toy_batch(), optim)
    assert not torch.equal(distiller.student.cam[0].weight, coach.cam[0].weight)


@pytest.mark.parametrize('spec, message', [
    (dict(source='nobody', modules=['cam']), "student_init.source 'nobody' is not a frozen model"),
    (dict(source='teacher', modules=['camera']), "student_init module 'camera' does not exist in the student"),
    (dict(source='teacher'), 'needs exactly the keys "source" and "modules"'),
])
def test_student_init_errors_name_the_bad_value(spec, message):
    cfg = distiller_cfg()
    cfg['student_init'] = spec
    with pytest.raises(KeyError, match=message):
        MODELS.build(cfg)


def test_student_init_is_strict_per_module():
    cfg = distiller_cfg()
    cfg['teachers']['teacher']['model'] = dict(type='ToyMapModel', use_lidar=True, channels=4)
    cfg['student_init'] = dict(source='teacher', modules=['cam'])
    distiller = MODELS.build(cfg)
    with pytest.raises(RuntimeError, match="student.cam"):
        distiller.init_weights()
