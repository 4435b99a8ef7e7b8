# Quickstart stage 0 (the official stage 1a, CPU-sized): masked HD-prior pre-training of the teacher's
# MAE head on GT maps alone (50 % of the BEV patches masked; no images, LiDAR or SD map are loaded).
# The teacher starts its mae_head from this checkpoint (configs/quickstart/teacher.py,
# hd_prior_checkpoint). Same MAE head as the quickstart teacher; same 90-iteration schedule.
_base_ = [
    '../mapkd/_base_/hd_prior_pretrain_model.py',
    './_quick_runtime.py',
]
hd_prior = dict(_delete_=True, mask_ratio=0.5, seed=0)
_no_sensors = dict(hd_prior=hd_prior, load_images=False, load_lidar=False, load_sd_map=False)
train_dataloader = dict(dataset=_no_sensors)
test_dataloader = dict(dataset=_no_sensors)
model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}},
             decoder_channels=32, decoder_trunk_channels=(32, 64, 128),
             mae=dict(patch_size=4, embed_dim=96, depth=2, num_heads=4, pos_embed_offset_bug=False))
