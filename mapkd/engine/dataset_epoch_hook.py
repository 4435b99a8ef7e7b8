"""Hook that tells the training dataset the current epoch (fresh HD-prior masks every epoch)."""
from __future__ import annotations

from typing import Any

from mmengine.hooks import Hook

from mapkd.registry import HOOKS


@HOOKS.register_module()
class DatasetEpochHook(Hook):
    """Call ``dataset.set_epoch(epoch)`` before every training epoch.

    ``NuScenesMapDataset`` seeds its random HD-prior masks with (seed, epoch, index), so masked
    pre-training sees new masks each epoch while staying reproducible. Datasets without
    ``set_epoch`` are left alone.
    """

    priority = 'NORMAL'

    def before_train_epoch(self, runner: Any) -> None:
        dataset = runner.train_dataloader.dataset
        while hasattr(dataset, 'dataset') and not hasattr(dataset, 'set_epoch'):
            dataset = dataset.dataset  # unwrap ConcatDataset/RepeatDataset-style wrappers
        if hasattr(dataset, 'set_epoch'):
            dataset.set_epoch(runner.epoch)
