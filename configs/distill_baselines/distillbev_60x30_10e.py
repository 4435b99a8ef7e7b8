# DistillBEV baseline, adapted to map segmentation (docs/distillation.md):
# the camera-only student distilled from the frozen teacher only. task + 1.0 * DistillBEV(teacher).
_base_ = ['../mapkd/student_cam_only_60x30_10e.py']
teacher_config = 'configs/mapkd/teacher_hd_finetune_60x30_10e.py'
teacher_checkpoint = 'work_dirs/teacher_hd_finetune_60x30_10e/epoch_10.pth'
model = dict(
    _delete_=True,
    type='MapDistiller',
    student={{_base_.model}},
    teachers=dict(teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint)),
    distill_losses=[
        dict(type='DistillBEVLoss', teacher='teacher', weight=1.0, scales=[
            dict(student='bev_small', teacher='bev_small', student_channels=192, teacher_channels=192),
            dict(student='topdown', teacher='lidar_feature', student_channels=64, teacher_channels=128)],
             adapter_layers=2, fg_weight=1.0, bg_weight=1.0, fp_weight=1.0, fp_thr=0.5, attn_temperature=0.5),
    ],
    data_preprocessor=dict(type='MapDataPreprocessor'),
)
