"""Config builders shared by the distillation tests."""
from __future__ import annotations

import copy

SMALL = 16  # channels of the toy bev_small


def toy_student(use_bn: bool = True, **loss_kwargs) -> dict:
    return dict(type='ToyMapModel', use_bn=use_bn, loss=dict(type='MapTaskLoss', **loss_kwargs))


def mapkd_losses() -> list:
    """The official student recipe (train_s.py weights) at toy sizes."""
    return [dict(type='TGPDLoss', teacher='teacher', weight=0.5, in_channels=SMALL, patch_size=2),
            dict(type='TGPDLoss', teacher='coach', weight=0.01, in_channels=SMALL, patch_size=2),
            dict(type='MSRDLoss', teacher='teacher', weight=0.75),
            dict(type='MSRDLoss', teacher='coach', weight=0.01)]


def distiller_cfg(losses=None, student=None, teachers=None) -> dict:
    return dict(type='MapDistiller',
                student=student or toy_student(),
                teachers=teachers or dict(teacher=dict(model=dict(type='ToyMapModel', use_lidar=True)),
                                          coach=dict(model=dict(type='ToyMapModel'))),
                distill_losses=copy.deepcopy(losses if losses is not None else mapkd_losses()))


# One toy-size config per distillation loss (ToyMapModel features: topdown 8ch 32x64,
# bev_small 16ch 4x8, lidar_feature 16ch 32x64, bev_out 8ch 4x8, bev_up 16ch 32x64).
TOY_LOSSES = {
    'TGPDLoss': dict(type='TGPDLoss', teacher='teacher', in_channels=SMALL, patch_size=2),
    'MSRDLoss': dict(type='MSRDLoss', teacher='teacher'),
    'BEVDistillLoss': dict(type='BEVDistillLoss', teacher='teacher', student_channels=SMALL,
                           teacher_channels=SMALL),
    'UniDistillLoss': dict(type='UniDistillLoss', teacher='teacher', xbound=[-30.0, 30.0, 0.15],
                           ybound=[-15.0, 15.0, 0.15], student_channels=SMALL, teacher_channels=SMALL),
    'MapDistillLoss': dict(type='MapDistillLoss', teacher='teacher', student_pair=('topdown', 'bev_small'),
                           teacher_pair=('topdown', 'lidar_feature'), student_pair_channels=(8, SMALL),
                           teacher_pair_channels=(8, SMALL), relation_size=(4, 8), relation_dim=8,
                           low_channels=(SMALL, SMALL), high_pair=('bev_up', 'bev_up'),
                           high_channels=(SMALL, SMALL)),
    'DistillBEVLoss': dict(type='DistillBEVLoss', teacher='teacher', scales=[
        dict(student='bev_small', teacher='bev_small', student_channels=SMALL, teacher_channels=SMALL),
        dict(student='bev_up', teacher='bev_up', student_channels=SMALL, teacher_channels=SMALL)]),
    'DualDistillLoss': dict(type='DualDistillLoss', teacher='teacher', levels=[
        dict(student='bev_small', teacher='bev_small', student_channels=SMALL, teacher_channels=SMALL,
             query_hw=(2, 4)),
        dict(student='bev_up', teacher='bev_up', student_channels=SMALL, teacher_channels=SMALL,
             adapter='conv', fp=True)],
        crd_student_feature='bev_up', crd_channels=(SMALL, SMALL), teacher_head='decode'),
}
