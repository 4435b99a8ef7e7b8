# Stage 2: the coach (camera + simulated LiDAR + SD prior, official PMapNet_sdmap_C) distilled from the
# frozen teacher (official train_C.py): task + 0.8 TGPD(teacher) + 0.8 MSRD(teacher).
# 10 epochs (the released coach is "model9"); coach_distill_120x60_30e.py has train_C.py's default 30.
# Output: work_dirs/coach_distill_120x60_10e/epoch_10.pth (keys student.* = the coach).
_base_ = ['./coach_120x60_10e.py']
teacher_config = 'configs/mapkd/teacher_hd_finetune_120x60_10e.py'
teacher_checkpoint = 'work_dirs/teacher_hd_finetune_120x60_10e/epoch_10.pth'
model = dict(
    _delete_=True,
    type='MapDistiller',
    student={{_base_.model}},
    teachers=dict(teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint)),
    distill_losses=[
        dict(type='TGPDLoss', teacher='teacher', weight=0.8, student_feature='bev_small',
             teacher_feature='bev_small', in_channels=192, patch_size=5, temperature=0.1),
        dict(type='MSRDLoss', teacher='teacher', weight=0.8, channels='all'),
    ],
    data_preprocessor=dict(type='MapDataPreprocessor'),
)
