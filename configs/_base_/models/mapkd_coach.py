# MapKD coach (official PMapNet_sdmap_C): camera + simulated LiDAR (Lift-Splat) + SD prior.
grid_conf = dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15],
                 zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0])
image_size = (128, 352)
model = dict(
    type='MapKDCoach',
    grid_conf=grid_conf,
    image_size=image_size,
    camera_channels=64,
    sim_lidar_channels=128,
    lss_channels=64,
    lss_mid_channels=512,
    view_hidden=None,
    sd_fusion=dict(hidden=64, num_layers=2, nhead=8, dim_feedforward=192, dropout=0.1),
    hd_head=False,   # True: PMapNet_mae_head_C (coach + MAE HD-prior head)
    pretrained_image_backbone=None,
    data_preprocessor=dict(type='MapDataPreprocessor'),
    loss=dict(type='MapTaskLoss'),
)
