"""PreciseBN: recompute BatchNorm running statistics of the trained model before it is saved.

BatchNorm layers keep exponential moving averages of the batch statistics for eval mode. With a
small momentum (EfficientNet-B0 uses 0.01, as efficientnet_pytorch) and a short schedule, the
averages lag far behind the features of the final weights: the model is right in train mode and
wrong in eval mode (measured on the quickstart: a distilled student with divider IoU 0.39 with
batch statistics had 0.00 with its running statistics; recomputed, 0.54). This hook re-estimates
the statistics of the final weights as a plain average over ``num_batches`` training batches
(forward only, no gradients, BatchNorm layers in train mode and every other layer - dropout,
drop-connect - in eval mode; "precise BN", Wu & Johnson, *Rethinking "Batch" in BatchNorm*, 2021),
averages them over DDP ranks and runs before the checkpoint hook, so the saved checkpoint has them.
Only the trained model is touched: a ``MapDistiller``'s frozen teacher/coach are not submodules.
"""
from __future__ import annotations

from typing import Any, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from torch.nn.modules.batchnorm import _BatchNorm

from mapkd.registry import HOOKS


@HOOKS.register_module()
class PreciseBNHook(Hook):
    """Recompute BatchNorm statistics over ``num_batches`` training batches after the last iteration/epoch.

    Args:
        num_batches: training batches to average over (forward passes without gradients).
    """

    priority = 'ABOVE_NORMAL'  # before CheckpointHook (VERY_LOW) saves the final weights

    def __init__(self, num_batches: int = 25) -> None:
        if int(num_batches) < 1:
            raise ValueError(f'PreciseBNHook: num_batches must be >= 1, got {num_batches}')
        self.num_batches = int(num_batches)

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop) and self.is_last_train_iter(runner):
            self.recompute(runner)

    def after_train_epoch(self, runner: Any) -> None:
        if isinstance(runner.train_loop, EpochBasedTrainLoop) and self.is_last_train_epoch(runner):
            self.recompute(runner)

    def recompute(self, runner: Any) -> None:
        """Replace every BatchNorm's running mean/var by their average over training batches."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        norms = [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]
        if not norms:
            return
        was_training = model.training
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the forward passes below
        # BatchNorm layers use batch statistics; everything else (dropout, EfficientNet's drop-connect)
        # stays in eval mode, so the statistics are those of the features the eval-mode model sees
        model.eval()
        for m in norms:
            m.train()
        seen = 0
        with torch.no_grad():
            for data in runner.train_dataloader:
                data = model.data_preprocessor(data, True)
                model(**data, mode='tensor')
                seen += 1
                if seen == self.num_batches:
                    break
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
            if get_world_size() > 1:
                all_reduce(m.running_mean, op='mean')
                all_reduce(m.running_var, op='mean')
        model.train(was_training)
        runner.logger.info(f'PreciseBNHook: recomputed the statistics of {len(norms)} BatchNorm layers '
                           f'over {seen} training batches')
