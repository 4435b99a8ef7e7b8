# Quickstart stage 3: the camera-only student distilled from the frozen teacher and coach with the
# MapKD recipe: task + 0.5 TGPD(teacher) + 0.01 TGPD(coach) + 0.75 MSRD(teacher) + 0.01 MSRD(coach).
# The student architecture and schedule are exactly those of student_baseline.py.
_base_ = ['./student_baseline.py']
teacher_config = 'configs/quickstart/teacher.py'
teacher_checkpoint = 'work_dirs/quickstart/teacher/iter_110.pth'
coach_config = 'configs/quickstart/coach_distill.py'
coach_checkpoint = 'work_dirs/quickstart/coach/iter_120.pth'
tgpd = dict(type='TGPDLoss', student_feature='bev_small', teacher_feature='bev_small', in_channels=64,
            patch_size=5, embed_dim=128, temperature=0.1, attn_weight=1.0, feat_weight=1.0)
msrd = dict(type='MSRDLoss', channels='all', confidence_thr=None)
model = dict(
    _delete_=True,
    type='MapDistiller',
    student={{_base_.model}},
    teachers=dict(teacher=dict(config=teacher_config, checkpoint=teacher_checkpoint),
                  coach=dict(config=coach_config, checkpoint=coach_checkpoint)),
    distill_losses=[
        dict(tgpd, teacher='teacher', weight=0.5),
        dict(tgpd, teacher='coach', weight=0.01),
        dict(msrd, teacher='teacher', weight=0.75),
        dict(msrd, teacher='coach', weight=0.01),
    ],
    data_preprocessor=dict(type='MapDataPreprocessor'),
    # the frozen models run once per training sample (the 1st epoch of ~1.9), not every step: the
    # pipeline has no augmentation, and on the CPU training stays bit-identical (320 samples kept,
    # ~80 MB per frozen model here; mapkd/models/distillers/target_cache.py)
    cache_targets=True,
)
