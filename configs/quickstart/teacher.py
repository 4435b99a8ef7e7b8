# Quickstart stage 1: the teacher (camera + LiDAR + SD prior + HD-prior MAE head), CPU-sized.
# Same architecture as configs/mapkd/teacher_60x30_30e.py with narrower layers and a 2-block ViT.
_base_ = [
    '../mapkd/_base_/mapkd_teacher_model.py',
    './_quick_runtime.py',
]
model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}},
             camera_channels=32, lidar_channels=32, lidar_width=16, decoder_channels=32,
             decoder_trunk_channels=(32, 64, 128),
             sd_fusion=dict(hidden=32, nhead=4, dim_feedforward=96),
             mae=dict(patch_size=4, embed_dim=96, depth=2, num_heads=4, pos_embed_offset_bug=False),
             # stands in for P-MapNet's separate SD-prior training stage in this single short schedule
             # (without it the teacher's pre-MAE decoder is unsupervised and the teacher trails the
             # camera-only baseline after 90 iterations: measured 16.8 vs 31.9 mIoU)
             pre_mae_seg_weight=1.0,
             # the official stage 1a: the MAE head starts from masked GT-map completion
             # (configs/quickstart/hd_prior_pretrain.py; tools/quickstart.py passes the checkpoint of
             # its run). From scratch, 90 iterations leave the head worse than no head: seed 2 teacher,
             # divider IoU 54.7 before the head and 35.3 after it.
             hd_prior_checkpoint='work_dirs/quickstart/hd_prior/iter_90.pth',
             # Quickstart only: a segmentation loss on the LiDAR BEV feature alone (a training-only 3x3
             # conv head). Without it the teacher of some seeds never starts to read its LiDAR in this
             # short schedule and predicts from the SD prior alone (seeds 3 and 4: 32 mIoU, unchanged
             # with the LiDAR zeroed; seed 4 with this loss: 44.8). docs/benchmarks.md, quickstart.
             lidar_aux_seg_weight=1.0,
             # the MAE head reads the decoder's probabilities, not its raw logits (the official
             # distribution gap: it is pre-trained on {0, 1} masked maps). With raw logits the
             # seed-0 teacher's head dropped every divider (divider IoU 0.0 at its output, 68.3 at
             # its input, 93.2 from the LiDAR feature alone). docs/benchmarks.md, quickstart.
             mae_input='sigmoid')
# The teacher trains 110 iterations (the coach 120, the students 150): with the LiDAR loss, seed 4 reaches 34.7 mIoU
# at 90 iterations and 44.8 at 150; every later stage depends on the teacher. 150 until 2026-12-07,
# cut to fit the quickstart into 30 minutes on a slow 2-core VM (docs/benchmarks.md, quickstart).
max_iters = 110
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [dict(type='MultiStepLR', milestones=[int(max_iters * 0.8)], gamma=0.2, by_epoch=False,
                        begin=0, end=max_iters)]
default_hooks = dict(checkpoint=dict(interval=max_iters))
