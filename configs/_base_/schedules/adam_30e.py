# The MapKD scripts' default: 30 epochs, StepLR(10, 0.1).
_base_ = ['./adam_10e.py']
max_epochs = 30
param_scheduler = [
    dict(type='StepLR', step_size=10, gamma=0.1, by_epoch=True, begin=0, end=max_epochs),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
