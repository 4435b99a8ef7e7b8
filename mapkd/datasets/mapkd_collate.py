"""``mapkd_collate``: batch a list of contract items (registered in FUNCTIONS)."""
from __future__ import annotations

from typing import Dict, List, Sequence

import torch
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS

from ..registry import FUNCTIONS


def _stack_or_list(values: List):
    if all(isinstance(v, torch.Tensor) for v in values):
        shapes = {tuple(v.shape) for v in values}
        if len(shapes) != 1:
            raise ValueError(f'cannot stack tensors of different shapes {sorted(shapes)}')
        return torch.stack(values)
    return list(values)


@FUNCTIONS.register_module()
def mapkd_collate(batch: Sequence[Dict]) -> Dict:
    """Stack every tensor of ``inputs`` and the tensor fields of ``data_samples``; keep the rest as lists.

    Returns ``{'inputs': {name: (B, ...)}, 'data_samples': {'semantic': (B, 4, H, W), ..., 'token': [...]}}``.
    Every item must carry the same keys (e.g. all or none with ``hd_prior``).
    """
    if len(batch) == 0:
        raise ValueError('mapkd_collate got an empty batch')
    out = {}
    for part in ('inputs', 'data_samples'):
        keys = list(batch[0][part])
        for i, item in enumerate(batch):
            if list(item[part]) != keys and set(item[part]) != set(keys):
                raise KeyError(f'batch item {i} has {part} keys {sorted(item[part])}, item 0 has {sorted(keys)}')
        out[part] = {k: _stack_or_list([item[part][k] for item in batch]) for k in keys}
    return out


# mmengine's Runner looks collate functions up with ``mmengine.registry.FUNCTIONS.get(type)``, which
# does not search child registries; registering there too lets configs say type='mapkd_collate'.
if MMENGINE_FUNCTIONS.get('mapkd_collate') is None:
    MMENGINE_FUNCTIONS.register_module(name='mapkd_collate', module=mapkd_collate)
