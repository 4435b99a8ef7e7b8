"""Moves a collated MapKD batch onto the model's device."""
from __future__ import annotations

from typing import Any

import torch
from mmengine.model import BaseDataPreprocessor

from mapkd.registry import MODELS


@MODELS.register_module()
class MapDataPreprocessor(BaseDataPreprocessor):
    """Device transfer for ``mapkd_collate`` batches.

    ``data = {'inputs': {name: Tensor}, 'data_samples': {name: Tensor | list}}``. Every tensor
    of ``inputs`` and every *top-level* tensor of ``data_samples`` (semantic, instance,
    direction) is moved to the model's device; lists (tokens, ``gt_vectors``, paths) are kept
    as they are, on the CPU. No normalisation happens here: the dataset already normalises.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        if not isinstance(data, dict) or 'inputs' not in data:
            raise ValueError('MapDataPreprocessor expects a dict with keys "inputs" and '
                             f'"data_samples", got {type(data).__name__} '
                             f'with keys {list(data) if isinstance(data, dict) else None}')
        inputs = data['inputs']
        if not isinstance(inputs, dict):
            raise ValueError(f'MapDataPreprocessor: "inputs" must be a dict of tensors, '
                             f'got {type(inputs).__name__}')
        moved_inputs = {name: self._to_device(value) for name, value in inputs.items()}
        samples = data.get('data_samples')
        if isinstance(samples, dict):
            samples = {name: self._to_device(value) if isinstance(value, torch.Tensor) else value
                       for name, value in samples.items()}
        return {'inputs': moved_inputs, 'data_samples': samples}

    def _to_device(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return value.to(self.device, non_blocking=self._non_blocking)
        return value
