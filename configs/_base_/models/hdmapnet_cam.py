# HDMapNet camera baseline (official HDMapNet_cam), 60 m x 30 m defaults.
# Top-level configs override grid_conf / image_size (and must then also override model.grid_conf).
grid_conf = dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15],
                 zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0])
image_size = (128, 352)
model = dict(
    type='HDMapNet',
    grid_conf=grid_conf,
    image_size=image_size,
    camera_channels=64,
    view_hidden=None,                        # None = official view-MLP layout (H/5*W/5)
    direction_from_embedding_branch=False,   # True for original Tsinghua-MARS-Lab/HDMapNet checkpoints
    pretrained_image_backbone=None,          # path/URL of efficientnet-b0 ImageNet weights (optional)
    data_preprocessor=dict(type='MapDataPreprocessor'),
    loss=dict(type='MapTaskLoss'),
)
