"""Engine extensions: optimizer wrappers and hooks used by the mmengine Runner."""
from .autocast_optim_wrapper import AutocastOptimWrapper
from .map_runner import MapRunner
from .show_predictions_hook import ShowPredictionsHook

__all__ = ['AutocastOptimWrapper', 'MapRunner', 'ShowPredictionsHook']
