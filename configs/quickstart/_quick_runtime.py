_base_ = [
    '../_base_/datasets/synthetic_quick.py',
    '../_base_/schedules/adam_10e.py',
    '../_base_/default_runtime.py',
]
# CPU-sized schedule shared by the quickstart stages (synthetic city, 80x160 BEV, 64x192 images),
# iteration-based so that the quickstart's run time is fixed: every stage trains for `max_iters`
# iterations of batch 4 (~1.1 epochs of the 320 training samples) with Adam and a x0.2 step decay at
# 80%. MapKD uses lr 5e-4 for 10-30 epochs; this short CPU schedule uses 2e-3 (with 5e-4 no model
# leaves the all-background solution within 60-150 iterations; measured). tools/quickstart.py
# evaluates every stage with tools/test.py afterwards, so no validation runs during training.
max_iters = 90
optim_wrapper = dict(optimizer=dict(lr=2e-3))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [dict(type='MultiStepLR', milestones=[int(max_iters * 0.8)], gamma=0.2, by_epoch=False,
                        begin=0, end=max_iters)]
train_dataloader = dict(batch_size=4, num_workers=1, persistent_workers=False,
                        sampler=dict(type='InfiniteSampler', shuffle=True))
# No validation during training (mmengine's IterBasedTrainLoop would validate after the last iteration).
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = dict(batch_size=8, num_workers=1)
log_processor = dict(by_epoch=False)
default_hooks = dict(logger=dict(type='LoggerHook', interval=5),
                     checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters,
                                     max_keep_ckpts=1, save_last=True))
# BatchNorm statistics of the final weights, re-estimated over 10 training batches (40 samples) before
# the final checkpoint (mapkd/engine/precise_bn_hook.py): with EfficientNet's BN momentum 0.01 the
# running averages of a 90-iteration schedule lag far behind the features (docs/benchmarks.md,
# quickstart). 25 batches until 2026-12-07; 10 cost a third of the time.
# FrozenTargetCacheHook: a distiller with model.target_cache_dir (tools/quickstart.py sets it) saves its
# frozen targets there after training; a no-op for the other stages.
custom_hooks = [dict(type='DatasetEpochHook'), dict(type='PreciseBNHook', num_batches=10),
                dict(type='FrozenTargetCacheHook')]
# Deterministic algorithms (torch.use_deterministic_algorithms): without them two CPU runs of the same
# seed drift apart from the 3rd iteration (measured on the teacher) and, in a schedule this short, end
# 17 mIoU apart. tools/quickstart.py turns this off on CUDA, where some kernels have no deterministic form.
randomness = dict(seed=0, deterministic=True)
