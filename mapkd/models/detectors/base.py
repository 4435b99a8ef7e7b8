"""Base class of every MapKD map model (the MODEL CONTRACT of ``docs/design.md``)."""
from __future__ import annotations

from typing import Iterable, Sequence

import torch
from mmengine.model import BaseModel
from torch import Tensor

from mapkd.models.data_preprocessors.map_data_preprocessor import MapDataPreprocessor
from mapkd.registry import MODELS

__all__ = ['BaseMapModel', 'MapDataPreprocessor', 'require_inputs']

# data_samples fields a prediction carries along so that metrics need nothing else.
PREDICT_META_KEYS = ('token', 'scene_token', 'location', 'timestamp', 'gt_vectors', 'img_paths')
HEAD_OUTPUTS = ('seg', 'emb', 'dir')


def require_inputs(inputs: dict, names: Iterable[str], model_name: str) -> None:
    """Raise a ``KeyError`` naming every input ``model_name`` needs but ``inputs`` lacks."""
    missing = [name for name in names if name not in inputs]
    if missing:
        raise KeyError(f'{model_name} needs inputs {missing}; the batch has {sorted(inputs)}')


class BaseMapModel(BaseModel):
    """A BEV map model: ``extract`` computes heads + named features, ``forward`` dispatches.

    Subclasses implement :meth:`extract` returning at least ``seg`` (B,4,H,W), ``emb``
    (B,16,H,W) and ``dir`` (B,37,H,W) raw logits plus every feature named in
    ``FEATURE_NAMES``. Distillers read features by these names.

    Args:
        loss: config of the task loss (default ``MapTaskLoss``), built from ``MODELS``;
            ``None`` builds a model that can only run ``tensor``/``predict``.
        data_preprocessor: config of the data preprocessor (default ``MapDataPreprocessor``).
        init_cfg: mmengine init config.
    """

    FEATURE_NAMES: tuple = ()
    REQUIRED_INPUTS: tuple = ('imgs', 'trans', 'rots')

    def __init__(self, loss: dict | None = None, data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='MapDataPreprocessor')
        if isinstance(data_preprocessor, dict):  # built from our registry: works without a default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.task_loss = MODELS.build(loss) if loss is not None else None

    # ------------------------------------------------------------------ contract
    def extract(self, inputs: dict) -> dict[str, Tensor]:
        """Compute ``seg``/``emb``/``dir`` and the features of ``FEATURE_NAMES``."""
        raise NotImplementedError

    def forward(self, inputs: dict, data_samples: dict | None = None, mode: str = 'tensor'):
        """``tensor`` -> extract dict; ``loss`` -> task losses; ``predict`` -> per-sample dicts."""
        if not isinstance(inputs, dict):
            raise TypeError(f'{type(self).__name__}.forward expects inputs as a dict of tensors, '
                            f'got {type(inputs).__name__}')
        if mode == 'tensor':
            return self.extract(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'unknown mode {mode!r}; use "tensor", "loss" or "predict"')

    def loss(self, inputs: dict, data_samples: dict | None) -> dict[str, Tensor]:
        """Weighted task losses ``loss_seg``, ``loss_var``, ``loss_dist``, ``loss_dir``."""
        if self.task_loss is None:
            raise RuntimeError(f'{type(self).__name__} was built with loss=None; it cannot compute losses')
        if data_samples is None:
            raise ValueError('mode="loss" needs data_samples with semantic, instance and direction GT')
        outputs = self.extract(inputs)
        return self.task_loss(outputs, data_samples)

    def predict(self, inputs: dict, data_samples: dict | None = None) -> list[dict]:
        """One dict per sample with CPU float32 ``seg_logits``/``embedding``/``direction``."""
        outputs = self.extract(inputs)
        return self.outputs_to_predictions(outputs, data_samples)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def outputs_to_predictions(outputs: dict, data_samples: dict | None) -> list[dict]:
        """Split batched head outputs into per-sample CPU dicts and attach GT/meta fields."""
        seg, emb, direction = (outputs[name].detach().float().cpu() for name in HEAD_OUTPUTS)
        batch = seg.shape[0]
        samples = data_samples or {}
        predictions = []
        for index in range(batch):
            item = dict(seg_logits=seg[index], embedding=emb[index], direction=direction[index])
            if 'semantic' in samples:
                item['semantic'] = samples['semantic'][index].detach().cpu()
            for key in PREDICT_META_KEYS:
                if key in samples:
                    item[key] = samples[key][index]
            predictions.append(item)
        return predictions

    def check_feature_names(self, outputs: dict) -> None:
        """Raise if ``extract`` forgot a head or a declared feature (used by tests)."""
        missing = [name for name in HEAD_OUTPUTS + tuple(self.FEATURE_NAMES) if name not in outputs]
        if missing:
            raise KeyError(f'{type(self).__name__}.extract did not return {missing}')

    def _require(self, inputs: dict, names: Sequence[str] | None = None) -> None:
        require_inputs(inputs, self.REQUIRED_INPUTS if names is None else names, type(self).__name__)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device
