# Stage 1b: the teacher (camera + LiDAR + SD prior + HD-prior MAE head, official PMapNet_mae_head),
# trained end to end with the task loss. Output: work_dirs/teacher_60x30_30e/epoch_30.pth.
# (The released P-MapNet HD configs also train this model from scratch; see docs/distillation.md.)
_base_ = [
    './_base_/mapkd_teacher_model.py',
    '../_base_/datasets/nus_60x30.py',
    '../_base_/schedules/adam_30e.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=8)
model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}})
