# Model-only base (no grid_conf / image_size variables, so it combines with a dataset base);
# the architecture values mirror configs/_base_/models/mapkd_teacher.py. Stage configs add
# model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}}).
# MapKD teacher (official PMapNet_mae_head, lidar=True = P-MapNet HD): camera + LiDAR + SD + HD prior.
model = dict(
    type='MapKDTeacher',
    camera_channels=64,
    lidar_channels=128,
    official_voxel_quirks=True,
    view_hidden=None,
    sd_fusion=dict(hidden=64, num_layers=2, nhead=8, dim_feedforward=192, dropout=0.1),
    mae=dict(patch_size=8, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0,
             pos_embed_offset_bug=True),   # True: reproduce the official pos_embed[:, :-1] (released weights)
    pretrained_image_backbone=None,
    data_preprocessor=dict(type='MapDataPreprocessor'),
    loss=dict(type='MapTaskLoss'),
)
