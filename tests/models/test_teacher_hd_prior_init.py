"""The teacher's MAE head starts from a stage-1a (masked GT-map completion) checkpoint, strictly."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mapkd.registry import MODELS
from mapkd.utils.setup_env import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _model_cfg(name):
    register_all_modules()
    return Config.fromfile(osp.join(ROOT, 'configs', 'quickstart', name)).model.to_dict()


def test_mae_head_is_loaded_from_the_pretrain_checkpoint_in_init_weights(tmp_path):
    torch.manual_seed(0)
    pretrain = MODELS.build(_model_cfg('hd_prior_pretrain.py'))
    path = tmp_path / 'hd_prior.pth'
    torch.save({'state_dict': pretrain.state_dict()}, path)
    cfg = _model_cfg('teacher.py')
    cfg['hd_prior_checkpoint'] = str(path)
    teacher = MODELS.build(cfg)
    before = {k: v.clone() for k, v in teacher.state_dict().items() if not k.startswith('mae_head.')}
    teacher.init_weights()
    for key, value in pretrain.mae_head.state_dict().items():
        assert torch.equal(teacher.mae_head.state_dict()[key], value), key
    # the rest of the teacher is left to its own initialisation (init_weights of a fresh model may
    # re-draw it, but nothing else is read from the file)
    assert set(before) == {k for k in teacher.state_dict() if not k.startswith('mae_head.')}


def test_missing_or_mismatched_pretrain_checkpoint_is_a_clear_error(tmp_path):
    cfg = _model_cfg('teacher.py')
    cfg['hd_prior_checkpoint'] = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='hd_prior_checkpoint .*nope.pth does not exist'):
        MODELS.build(cfg).init_weights()
    other = _model_cfg('hd_prior_pretrain.py')
    other['mae']['embed_dim'] = 64      # a head of another size
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': MODELS.build(other).state_dict()}, path)
    cfg['hd_prior_checkpoint'] = str(path)
    with pytest.raises(RuntimeError, match="does not fit the 'mae_head' model"):
        MODELS.build(cfg).init_weights()
