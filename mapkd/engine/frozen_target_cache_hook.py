"""Save a ``MapDistiller``'s frozen-model targets to disk after training, for a later stage to reuse."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mapkd.registry import HOOKS


@HOOKS.register_module()
class FrozenTargetCacheHook(Hook):
    """After training, write the distiller's target cache to its ``target_cache_dir``.

    A no-op for models without a target cache directory (so configs can list it for every stage).
    """

    priority = 'LOW'

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        save = getattr(model, 'save_target_cache', None)
        if save is None:
            return
        for path in save():
            print_log(f'FrozenTargetCacheHook: frozen targets written to {path}', logger='current')
