"""Engine extensions: optimizer wrappers and hooks used by the mmengine Runner."""
from .autocast_optim_wrapper import AutocastOptimWrapper
from .dataset_epoch_hook import DatasetEpochHook
from .frozen_target_cache_hook import FrozenTargetCacheHook
from .map_runner import MapRunner
from .precise_bn_hook import PreciseBNHook
from .show_predictions_hook import ShowPredictionsHook

__all__ = ['AutocastOptimWrapper', 'DatasetEpochHook', 'FrozenTargetCacheHook', 'MapRunner', 'PreciseBNHook', 'ShowPredictionsHook']
