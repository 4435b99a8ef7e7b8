# Stage 3 as released (official train_final.py): TGPD off, task + 0.75 MSRD(teacher) + 0.001 MSRD(coach).
_base_ = ['./student_distill_60x30_10e.py']
model = dict(distill_losses=[
    dict(type='MSRDLoss', teacher='teacher', weight=0.75, channels='all'),
    dict(type='MSRDLoss', teacher='coach', weight=0.001, channels='all'),
])
