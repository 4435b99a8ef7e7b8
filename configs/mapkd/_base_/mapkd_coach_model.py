# Model-only base (no grid_conf / image_size variables, so it combines with a dataset base);
# the architecture values mirror configs/_base_/models/mapkd_coach.py. Stage configs add
# model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}}).
# MapKD coach (official PMapNet_sdmap_C): camera + simulated LiDAR (Lift-Splat) + SD prior.
model = dict(
    type='MapKDCoach',
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
