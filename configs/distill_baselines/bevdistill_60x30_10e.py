# BEVDistill baseline (MapKD table row), adapted to map segmentation (docs/distillation.md):
# the camera-only student distilled from the frozen teacher only. task + 1.0 * BEVDistill(teacher).
_base_ = ['../mapkd/student_cam_only_60x30_10e.py']
teacher_config = 'configs/mapkd/teacher_hd_finetune_60x30_10e.py'
teacher_checkpoint = 'work_dirs/teacher_hd_finetune_60x30_10e/epoch_10.pth'
model = dict(
    _delete_=True,
    type='MapDistiller',
    student={{_base_.model}},
    teachers=dict(teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint)),
    distill_losses=[
        dict(type='BEVDistillLoss', teacher='teacher', weight=1.0, student_feature='bev_small',
             teacher_feature='bev_small', student_channels=192, teacher_channels=192, sigma=1.0, tau=0.07,
             dense_weight=1.0, instance_weight=0.1),
    ],
    data_preprocessor=dict(type='MapDataPreprocessor'),
)
