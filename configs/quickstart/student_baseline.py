# Quickstart: the camera-only student trained on the task loss only (the baseline), CPU-sized.
# Same architecture as configs/mapkd/student_cam_only_60x30_10e.py with narrower layers.
_base_ = [
    '../mapkd/_base_/mapkd_student_model.py',
    './_quick_runtime.py',
]
model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}},
             camera_channels=32, bev_channels=64, decoder_channels=32,
             decoder_trunk_channels=(32, 64, 128))
