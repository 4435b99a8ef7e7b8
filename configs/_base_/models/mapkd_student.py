# MapKD student (official PMapNet_sdmap_S): camera only, feature expansion to 192, bev_small at 1/8.
grid_conf = dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15],
                 zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0])
image_size = (128, 352)
model = dict(
    type='MapKDStudent',
    grid_conf=grid_conf,
    image_size=image_size,
    camera_channels=64,
    bev_channels=192,
    view_hidden=None,
    pretrained_image_backbone=None,
    data_preprocessor=dict(type='MapDataPreprocessor'),
    loss=dict(type='MapTaskLoss'),
)
