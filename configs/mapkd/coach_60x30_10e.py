# The coach trained with the task loss only (official train_corssattn.py; the released coach's layout).
_base_ = [
    './_base_/mapkd_coach_model.py',
    '../_base_/datasets/nus_60x30.py',
    '../_base_/schedules/adam_10e.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=8)
model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}})
