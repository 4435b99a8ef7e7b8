_base_ = ['./student_cam_only_60x30_10e.py']
max_epochs = 30
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [dict(type='StepLR', step_size=10, gamma=0.1, by_epoch=True, begin=0, end=max_epochs)]
