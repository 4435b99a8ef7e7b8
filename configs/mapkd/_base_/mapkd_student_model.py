# Model-only base (no grid_conf / image_size variables, so it combines with a dataset base);
# the architecture values mirror configs/_base_/models/mapkd_student.py. Stage configs add
# model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}}).
# MapKD student (official PMapNet_sdmap_S): camera only, feature expansion to 192, bev_small at 1/8.
model = dict(
    type='MapKDStudent',
    camera_channels=64,
    bev_channels=192,
    view_hidden=None,
    pretrained_image_backbone=None,
    data_preprocessor=dict(type='MapDataPreprocessor'),
    loss=dict(type='MapTaskLoss'),
)
