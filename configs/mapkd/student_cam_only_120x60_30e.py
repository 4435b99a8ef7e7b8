# Camera-only baseline student at 120x60, 30 epochs, StepLR(10, 0.1) (same schedule as the 30e distillation).
_base_ = ['./student_cam_only_120x60_10e.py']
max_epochs = 30
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [dict(type='StepLR', step_size=10, gamma=0.1, by_epoch=True, begin=0, end=max_epochs)]
