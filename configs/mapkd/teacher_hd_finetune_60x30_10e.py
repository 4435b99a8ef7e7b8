# Stage 1c: HD-prior head fine-tuning (P-MapNet freeze_backbone): start from the stage-1b teacher with
# its mae_head replaced by the stage-1a pre-trained head, train only mae_head.
# Make the initial checkpoint first (strict, every key accounted for):
#   python scripts/merge_checkpoints.py configs/mapkd/teacher_hd_finetune_60x30_10e.py \
#       --base work_dirs/teacher_60x30_30e/epoch_30.pth \
#       --override mae_head.=work_dirs/teacher_hd_prior_pretrain_60x30_30e/epoch_30.pth \
#       --out work_dirs/teacher_hd_finetune_60x30_10e/init.pth
# Output (the frozen teacher of stages 2 and 3): work_dirs/teacher_hd_finetune_60x30_10e/epoch_10.pth
_base_ = ['./teacher_60x30_30e.py']
max_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [dict(type='StepLR', step_size=10, gamma=0.1, by_epoch=True, begin=0, end=max_epochs)]
load_from = 'work_dirs/teacher_hd_finetune_60x30_10e/init.pth'
# Everything but mae_head gets lr 0 (Adam then leaves it unchanged), as freeze_backbone in P-MapNet;
# like the official script the backbone stays in train mode (its BN statistics keep updating).
_frozen = dict(lr_mult=0.0, decay_mult=0.0)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={
    'camera_bev': _frozen, 'lidar_encoder': _frozen, 'conv_bev': _frozen, 'sd_fusion': _frozen,
    'bevencode': _frozen}))
