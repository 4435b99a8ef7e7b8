# Quickstart ablation: the distilled student with TGPD alone (MSRD off), everything else as
# configs/quickstart/student_distill.py: task + 0.5 TGPD(teacher) + 0.01 TGPD(coach).
# Run with `tools/quickstart.py --ablations tgpd_only` (docs/benchmarks.md, quickstart results).
_base_ = ['../student_distill.py']
tgpd = dict(type='TGPDLoss', student_feature='bev_small', teacher_feature='bev_small', in_channels=64,
            patch_size=5, embed_dim=128, temperature=0.1, attn_weight=1.0, feat_weight=1.0)
model = dict(distill_losses=[dict(tgpd, teacher='teacher', weight=0.5), dict(tgpd, teacher='coach', weight=0.01)])
