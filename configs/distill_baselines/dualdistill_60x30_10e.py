# DualDistill baseline, adapted to map segmentation (docs/distillation.md):
# the camera-only student distilled from the frozen teacher only. task + 1.0 * DualDistill(teacher).
_base_ = ['../mapkd/student_cam_only_60x30_10e.py']
teacher_config = 'configs/mapkd/teacher_hd_finetune_60x30_10e.py'
teacher_checkpoint = 'work_dirs/teacher_hd_finetune_60x30_10e/epoch_10.pth'
model = dict(
    _delete_=True,
    type='MapDistiller',
    student={{_base_.model}},
    teachers=dict(teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint)),
    distill_losses=[
        dict(type='DualDistillLoss', teacher='teacher', weight=1.0, levels=[
            dict(student='bev_small', teacher='bev_small', student_channels=192, teacher_channels=192,
                 adapter='aoa', query_hw=(13, 25)),
            dict(student='topdown', teacher='lidar_feature', student_channels=64, teacher_channels=128,
                 adapter='conv', fp=True)],
             crd_student_feature='bev_small', crd_channels=(192, 192), teacher_head='bevencode',
             crd_target='seg_pre_mae', crd_temperature=0.1, feat_weight=1.0, crd_weight=1.0, num_heads=8),
    ],
    data_preprocessor=dict(type='MapDataPreprocessor'),
)
