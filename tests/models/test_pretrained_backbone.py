"""ImageNet EfficientNet-B0 weights: loaded strictly from a local file (efficientnet_pytorch layout,
classifier head skipped); wrong files and missing paths are clear errors. No download."""
from __future__ import annotations

import pytest
import torch

from mapkd.models.backbones.cam_encoder import CamEncoder
from mapkd.models.backbones.efficient_net_b0 import EfficientNetB0


def _imagenet_like_state(seed: int) -> dict:
    """A state dict in the released layout: the trunk's keys plus the classifier head's."""
    torch.manual_seed(seed)
    trunk = EfficientNetB0()
    for p in trunk.parameters():
        torch.nn.init.normal_(p, std=0.05)
    state = dict(trunk.state_dict())
    state.update({'_conv_head.weight': torch.randn(1280, 320, 1, 1), '_bn1.weight': torch.ones(1280),
                  '_fc.weight': torch.randn(1000, 1280), '_fc.bias': torch.zeros(1000)})
    return state


def test_camera_encoder_loads_imagenet_weights_from_a_file(tmp_path):
    state = _imagenet_like_state(0)
    path = tmp_path / 'efficientnet-b0.pth'
    torch.save(state, path)
    encoder = CamEncoder(out_channels=16, pretrained=str(path))
    loaded = encoder.trunk.state_dict()
    assert set(loaded) == {k for k in state if not k.startswith(('_conv_head.', '_bn1.', '_fc.'))}
    for key, value in loaded.items():
        assert torch.equal(value, state[key]), key
    weight = next(k for k, v in loaded.items() if v.is_floating_point() and v.numel() > 100)
    assert not torch.equal(CamEncoder(out_channels=16).trunk.state_dict()[weight], state[weight])


def test_wrong_or_missing_weights_are_clear_errors(tmp_path):
    state = _imagenet_like_state(1)
    state.pop(next(k for k in state if k.startswith('_blocks.')))
    path = tmp_path / 'truncated.pth'
    torch.save(state, path)
    with pytest.raises(ValueError, match='truncated.pth is not an efficientnet-b0 state dict: missing'):
        EfficientNetB0(pretrained=str(path))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        EfficientNetB0(pretrained=str(tmp_path / 'nope.pth'))
