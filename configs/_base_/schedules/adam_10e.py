# MapKD schedule: Adam lr 5e-4, StepLR(step 10 epochs, gamma 0.1), grad-clip 5, 10 epochs.
# The MapKD README result and the released teacher/coach ("model9") use 10 epochs.
max_epochs = 10
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=5e-4, weight_decay=0.0),
    clip_grad=dict(max_norm=5.0, norm_type=2),
)
param_scheduler = [
    dict(type='StepLR', step_size=10, gamma=0.1, by_epoch=True, begin=0, end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# Learning rate 5e-4 was tuned for a global batch of 8; --auto-scale-lr rescales linearly.
auto_scale_lr = dict(enable=False, base_batch_size=8)
