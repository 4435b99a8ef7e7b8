"""The torch>=2.6 weights_only fix: mmengine's own objects load, anything else is refused."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mapkd.utils.checkpoint import atomic_torch_save, load_state_dict_file, register_safe_globals


class NotAllowListed:
    """A class a malicious or foreign checkpoint might carry."""

    def __init__(self):
        self.value = 1


def test_message_hub_objects_load_with_weights_only(tmp_path):
    register_safe_globals()
    buffer = HistoryBuffer()
    for v in (1.0, 2.0, 3.0):
        buffer.update(v)
    ckpt = {'state_dict': {'w': torch.ones(2)}, 'message_hub': {'log_scalars': {'loss': buffer}},
            'meta': {'seed': np.int64(3), 'arr': np.arange(3, dtype=np.float32)}}
    path = tmp_path / 'ckpt.pth'
    atomic_torch_save(ckpt, str(path))
    loaded = torch.load(path, weights_only=True)
    restored = loaded['message_hub']['log_scalars']['loss']
    assert restored.mean() == pytest.approx(2.0)
    assert restored.current() == pytest.approx(3.0)
    assert int(loaded['meta']['seed']) == 3
    assert np.array_equal(loaded['meta']['arr'], np.arange(3, dtype=np.float32))


def test_foreign_objects_are_still_refused(tmp_path):
    register_safe_globals()
    path = tmp_path / 'evil.pth'
    torch.save({'x': NotAllowListed()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with pytest.raises(ValueError, match='evil.pth'):
        load_state_dict_file(str(path))


def test_atomic_save_leaves_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / 'model.pth'
    atomic_torch_save({'a': torch.zeros(1)}, str(path))

    def broken_save(obj, handle):
        handle.write(b'partial')
        raise RuntimeError('disk full')

    monkeypatch.setattr(torch, 'save', broken_save)
    with pytest.raises(RuntimeError, match='disk full'):
        atomic_torch_save({'a': torch.ones(1)}, str(path))
    monkeypatch.undo()
    assert torch.equal(torch.load(path, weights_only=True)['a'], torch.zeros(1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['model.pth']


def test_state_dict_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_state_dict_file(str(tmp_path / 'nope.pth'))
    path = tmp_path / 'not_a_sd.pth'
    torch.save({'state_dict': {'a': 'text'}}, path)
    with pytest.raises(ValueError, match='not_a_sd.pth'):
        load_state_dict_file(str(path))
