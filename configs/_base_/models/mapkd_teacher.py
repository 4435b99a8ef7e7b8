# MapKD teacher (official PMapNet_mae_head, lidar=True = P-MapNet HD): camera + LiDAR + SD + HD prior.
grid_conf = dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15],
                 zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0])
image_size = (128, 352)
model = dict(
    type='MapKDTeacher',
    grid_conf=grid_conf,
    image_size=image_size,
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
