# Quickstart ablation: the distilled student with MSRD alone (TGPD off), everything else as
# configs/quickstart/student_distill.py: task + 0.75 MSRD(teacher) + 0.01 MSRD(coach). This is the
# loss set of the official released script (train_final.py: 0.75 / 0.001 MSRD, no TGPD).
# Run with `tools/quickstart.py --ablations msrd_only` (docs/benchmarks.md, quickstart results).
_base_ = ['../student_distill.py']
msrd = dict(type='MSRDLoss', channels='all', confidence_thr=None)
model = dict(distill_losses=[dict(msrd, teacher='teacher', weight=0.75), dict(msrd, teacher='coach', weight=0.01)])
