# MapDistill baseline (MapKD table row), adapted to map segmentation (docs/distillation.md):
# the camera-only student distilled from the frozen teacher only. task + 1.0 * MapDistill(teacher).
_base_ = ['../mapkd/student_cam_only_60x30_10e.py']
teacher_config = 'configs/mapkd/teacher_hd_finetune_60x30_10e.py'
teacher_checkpoint = 'work_dirs/teacher_hd_finetune_60x30_10e/epoch_10.pth'
model = dict(
    _delete_=True,
    type='MapDistiller',
    student={{_base_.model}},
    teachers=dict(teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint)),
    distill_losses=[
        dict(type='MapDistillLoss', teacher='teacher', weight=1.0,
             student_pair=('topdown', 'bev_small'), student_pair_channels=(64, 192),
             teacher_pair=('topdown', 'lidar_feature'), teacher_pair_channels=(64, 128),
             relation_size=(12, 25), relation_dim=64,
             low_pair=('bev_small', 'bev_small'), low_channels=(192, 192),
             high_pair=('bev_small', 'bev_out'), high_channels=(192, 64),
             rel_weight=1.0, feat_weight=1.0, head_weight=1.0),
    ],
    data_preprocessor=dict(type='MapDataPreprocessor'),
)
