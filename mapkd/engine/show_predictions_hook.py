"""Hook that writes visualisations of test predictions (``tools/test.py --show-dir``)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from mmengine.hooks import Hook

from mapkd.registry import HOOKS


@HOOKS.register_module()
class ShowPredictionsHook(Hook):
    """Save one picture per test sample (cameras, GT BEV, predicted BEV, vectors) to ``out_dir``."""

    priority = 'LOW'

    def __init__(self, out_dir: str, max_samples: Optional[int] = None) -> None:
        self.out_dir = out_dir
        self.max_samples = max_samples
        self._written = 0

    def after_test_iter(self, runner: Any, batch_idx: int, data_batch: Any = None,
                        outputs: Optional[Sequence[dict]] = None) -> None:
        from mapkd.visualization import save_predictions

        if outputs is None:
            return
        if self.max_samples is not None:
            remaining = self.max_samples - self._written
            if remaining <= 0:
                return
            outputs = list(outputs)[:remaining]
        dataset = runner.test_dataloader.dataset
        grid_conf = runner.cfg.get('grid_conf')
        save_predictions(list(outputs), dataset, self.out_dir, grid_conf)
        self._written += len(outputs)
