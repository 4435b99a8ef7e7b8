# Stage 1a: masked HD-prior pre-training of the teacher's MAE head (P-MapNet train_HDPrior_pretrain.py):
# the head learns to complete GT maps with 50 % of the BEV patches masked (inputs['hd_prior']).
# Output: work_dirs/teacher_hd_prior_pretrain_120x60_30e/epoch_30.pth (mae_head.* keys).
_base_ = [
    './_base_/hd_prior_pretrain_model.py',
    '../_base_/datasets/nus_120x60.py',
    '../_base_/schedules/adam_30e.py',
    '../_base_/default_runtime.py',
]
hd_prior = dict(_delete_=True, mask_ratio=0.5, seed=0)  # grid_choices: the dataset default (P-MapNet's)
train_dataloader = dict(batch_size=8, dataset=dict(hd_prior=hd_prior, load_lidar=False, load_sd_map=False))
val_dataloader = dict(dataset=dict(hd_prior=hd_prior, load_lidar=False, load_sd_map=False))
test_dataloader = val_dataloader
model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}})
