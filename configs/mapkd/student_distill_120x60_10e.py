# Stage 3: the camera-only student (official PMapNet_sdmap_S) distilled from the frozen teacher and coach,
# the full MapKD recipe (official train_s.py weights):
#   task + 0.5 TGPD(teacher) + 0.01 TGPD(coach) + 0.75 MSRD(teacher) + 0.01 MSRD(coach)
# 10 epochs = the MapKD README result. Output: work_dirs/student_distill_120x60_10e/epoch_10.pth
# (evaluate it with tools/test.py on this config, or export the student with scripts/extract_student.py).
_base_ = ['./student_cam_only_120x60_10e.py']
teacher_config = 'configs/mapkd/teacher_hd_finetune_120x60_10e.py'
teacher_checkpoint = 'work_dirs/teacher_hd_finetune_120x60_10e/epoch_10.pth'
coach_config = 'configs/mapkd/coach_distill_120x60_10e.py'   # a MapDistiller config: its student is the coach
coach_checkpoint = 'work_dirs/coach_distill_120x60_10e/epoch_10.pth'
tgpd = dict(type='TGPDLoss', student_feature='bev_small', teacher_feature='bev_small', in_channels=192,
            patch_size=5, embed_dim=512, temperature=0.1, attn_weight=1.0, feat_weight=1.0)
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
)
