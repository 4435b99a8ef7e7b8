"""Checkpoint I/O that works with torch >= 2.6 (``weights_only=True`` by default).

mmengine 0.10.7 calls ``torch.load(path)`` without ``weights_only``. Since torch 2.6 that
means the restricted unpickler, which refuses the few non-tensor objects mmengine itself
writes into a checkpoint (the message hub's ``HistoryBuffer`` and the numpy arrays/scalars
inside it). We do not fall back to unsafe loading: we allow-list exactly those classes with
``torch.serialization.add_safe_globals`` so that ``--resume`` and ``load_from`` keep working
and any other pickled object in a file is still refused.

Checkpoint writes are made atomic (write to a temporary file in the same folder, fsync,
rename), so an interrupted save never leaves a truncated ``epoch_N.pth`` behind.
"""
from __future__ import annotations

import os
import os.path as osp
import tempfile
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

_REGISTERED = False


def mmengine_safe_globals() -> list:
    """The classes/functions an mmengine Runner checkpoint needs beyond tensors and builtins."""
    from mmengine.logging.history_buffer import HistoryBuffer

    numpy_core = np.core.multiarray  # numpy<2 layout; pickles reference these names
    safe: list = [HistoryBuffer, numpy_core._reconstruct, numpy_core.scalar, np.ndarray, np.dtype]
    # Every concrete numpy dtype class (np.dtypes.Float64DType, ...) that may appear in a pickle.
    for name in dir(np.dtypes):
        obj = getattr(np.dtypes, name)
        if isinstance(obj, type) and issubclass(obj, np.dtype):
            safe.append(obj)
    return safe


def _history_buffer_getstate(self) -> dict:
    # The instance may carry a copy of the class-level ``_statistics_methods`` dict; pickling it
    # stores ``getattr(HistoryBuffer, 'min')`` etc., i.e. the builtin ``getattr``, which must never
    # be allow-listed. The methods are restored from the class on load instead.
    state = dict(self.__dict__)
    state.pop('_statistics_methods', None)
    return state


def _history_buffer_setstate(self, state: dict) -> None:
    self.__dict__.update(state)
    self._set_default_statistics()


def make_history_buffer_picklable_safely() -> None:
    """Make mmengine's ``HistoryBuffer`` pickle as plain data (numpy arrays and ints)."""
    from mmengine.logging.history_buffer import HistoryBuffer

    HistoryBuffer.__getstate__ = _history_buffer_getstate
    HistoryBuffer.__setstate__ = _history_buffer_setstate


def register_safe_globals() -> None:
    """Allow-list mmengine's checkpoint objects for ``torch.load(weights_only=True)``."""
    global _REGISTERED
    if _REGISTERED:
        return
    make_history_buffer_picklable_safely()
    torch.serialization.add_safe_globals(mmengine_safe_globals())
    _REGISTERED = True


def atomic_torch_save(obj: Any, filename: str) -> None:
    """``torch.save`` to a temporary file beside ``filename``, then rename it into place."""
    folder = osp.dirname(osp.abspath(filename))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix='.' + osp.basename(filename) + '.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, filename)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def atomic_save_checkpoint(checkpoint: dict, filename: str, file_client_args: dict | None = None,
                           backend_args: dict | None = None) -> None:
    """Drop-in for ``mmengine.runner.checkpoint.save_checkpoint`` that writes local files atomically.

    Remote URIs (``s3://``, ``pavi://`` ...) are delegated to mmengine unchanged.
    """
    from mmengine.runner import checkpoint as mm_ckpt

    if '://' in filename or file_client_args is not None or backend_args is not None:
        mm_ckpt.save_checkpoint(checkpoint, filename, file_client_args=file_client_args,
                                backend_args=backend_args)
        return
    atomic_torch_save(checkpoint, filename)


def patch_mmengine_checkpointing() -> None:
    """Install the safe-globals allow-list and atomic local checkpoint writes into mmengine."""
    register_safe_globals()
    from mmengine.runner import runner as mm_runner

    mm_runner.save_checkpoint = atomic_save_checkpoint


def load_state_dict_file(path: str) -> dict:
    """Load a checkpoint file safely (``weights_only=True``) and return its state dict.

    Accepts mmengine checkpoints (``{'state_dict': ...}``), ``{'model': ...}`` and bare
    state dicts. Raises ``FileNotFoundError``/``ValueError`` naming the file on bad input.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    register_safe_globals()
    try:
        obj = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:  # re-raised with the file name: torch's message alone names no file
        raise ValueError(f'cannot load checkpoint {path}: {exc}') from exc
    if isinstance(obj, dict) and 'state_dict' in obj and isinstance(obj['state_dict'], dict):
        obj = obj['state_dict']
    elif isinstance(obj, dict) and 'model' in obj and isinstance(obj['model'], dict):
        obj = obj['model']
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f'{path} does not contain a state dict of tensors')
    return obj


def select_prefixed(state_dict: Mapping, prefix: str | None, path: str) -> dict:
    """Keep the keys starting with ``prefix`` (stripped); all keys when ``prefix`` is None."""
    if not prefix:
        return dict(state_dict)
    selected = {key[len(prefix):]: value for key, value in state_dict.items() if key.startswith(prefix)}
    if not selected:
        sample = sorted(state_dict)[:5]
        raise KeyError(f'checkpoint {path} has no key starting with {prefix!r} (first keys: {sample})')
    return selected


def load_strict(model: nn.Module, state_dict: Mapping, path: str, name: str) -> None:
    """``load_state_dict(strict=True)`` with the missing / unexpected keys named in the error."""
    expected = set(model.state_dict())
    given = set(state_dict)
    missing, unexpected = sorted(expected - given), sorted(given - expected)
    if missing or unexpected:
        raise KeyError(f'checkpoint {path} does not match the {name!r} model: '
                       f'{len(missing)} missing key(s) {missing[:10]}, '
                       f'{len(unexpected)} unexpected key(s) {unexpected[:10]}')
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:  # shape mismatch: add the file and model name
        raise RuntimeError(f'checkpoint {path} does not fit the {name!r} model: {exc}') from exc
