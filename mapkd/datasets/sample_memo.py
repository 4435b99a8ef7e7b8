"""Decoded samples kept in the memory of one process and shared with the processes it forks.

The quickstart trains and evaluates six stages on the same 560 samples; each stage (and each of its
PreciseBN and evaluation passes) would decode the same JPEGs, LiDAR sweeps and map rasters again,
about 0.06 CPU-s per sample. With ``memoize_dataset`` the quickstart process decodes every sample
once before it forks the stage tools (``mapkd/utils/forked_tool.py``); the children and their
DataLoader workers inherit the items copy-on-write, and ``NuScenesMapDataset.load_item`` returns a
copy of the stored item whenever its dataset has the same item-defining arguments
(``NuScenesMapDataset.item_signature``) and draws no HD-prior masks (those are random per epoch).

Items are deterministic functions of the files and of those arguments, so a memoised item is
identical to a freshly read one (tests/data/test_sample_memo.py); the memo never outlives the
process tree that built it.
"""
from __future__ import annotations

from typing import Dict, Hashable, Optional, Tuple

import torch

_ITEMS: Dict[Tuple[Hashable, str], dict] = {}


def _copy(value):
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if hasattr(value, 'copy') and not isinstance(value, (str, bytes)):   # numpy arrays
        return value.copy()
    return value


def lookup(signature: Hashable, token: str) -> Optional[dict]:
    """A private copy of the item stored for (signature, sample token), or None."""
    item = _ITEMS.get((signature, token))
    return None if item is None else _copy(item)


def memoize_dataset(dataset) -> int:
    """Read every item of ``dataset`` (a NuScenesMapDataset) into the memo; returns how many were added.

    A dataset that draws HD-prior masks cannot be memoised (its items change every epoch).
    """
    if getattr(dataset, 'hd_prior', None) is not None:
        raise ValueError('a dataset with hd_prior masks cannot be memoised: its items are random per epoch')
    signature = dataset.item_signature
    added = 0
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        key = (signature, info['token'])
        if key not in _ITEMS:
            _ITEMS[key] = dataset.read_item(info, idx)
            added += 1
    return added


def memo_size() -> int:
    """Number of items in this process's memo."""
    return len(_ITEMS)


def clear() -> None:
    """Forget every memoised item."""
    _ITEMS.clear()
