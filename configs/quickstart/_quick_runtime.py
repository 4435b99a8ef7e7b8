_base_ = [
    '../_base_/datasets/synthetic_quick.py',
    '../_base_/schedules/adam_10e.py',
    '../_base_/default_runtime.py',
]
# CPU-sized schedule shared by the quickstart stages (synthetic city, 100x200 BEV, 64x192 images).
# Validation runs once at the end of training (tools/quickstart.py evaluates every stage again with
# tools/test.py); Adam 5e-4 as in MapKD with a step decay at 80% of training.
max_epochs = 6
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [dict(type='MultiStepLR', milestones=[5], gamma=0.2, by_epoch=True, begin=0, end=max_epochs)]
train_dataloader = dict(batch_size=4, num_workers=2, persistent_workers=False)
val_dataloader = dict(batch_size=4, num_workers=2)
test_dataloader = dict(batch_size=4, num_workers=2)
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=max_epochs, max_keep_ckpts=1, save_last=True))
