"""tools/convert_checkpoint.py: prefix handling, strictness, clear errors, atomic mmengine-loadable output."""
from __future__ import annotations

import os.path as osp

import pytest
import torch

import mapkd.models  # noqa: F401
from mapkd.cli import CLIError
from mapkd.converters import CheckpointConversionError, convert_state_dict
from mapkd.converters.cli import main
from mapkd.registry import MODELS

from parity_utils import official_state_dict, parity_available

pytestmark = pytest.mark.skipif(not parity_available(), reason='shared/spec/parity not available')


@pytest.fixture(scope='module')
def hdmapnet_official():
    return official_state_dict('HDMapNet_cam')


def test_cli_converts_prefixed_checkpoint(tmp_path, hdmapnet_official):
    src = osp.join(tmp_path, 'model9.pt')
    torch.save({'module.' + k: v for k, v in hdmapnet_official.items()}, src)
    dst = osp.join(tmp_path, 'out', 'hdmapnet.pth')
    assert main(['--arch', 'hdmapnet', src, dst]) == 0
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert ckpt['meta']['stripped_module_prefix'] is True
    assert 'camencode.trunk._fc.weight' in ckpt['meta']['dropped_keys']
    model = MODELS.build(dict(type='HDMapNet'))
    model.load_state_dict(ckpt['state_dict'], strict=True)
    key = 'camera_bev.view_fusion.hw_mat.3.2.weight'
    assert torch.equal(model.state_dict()[key], hdmapnet_official['view_fusion.hw_mat.3.2.weight'])
    assert [p for p in osp.os.listdir(osp.dirname(dst)) if p.endswith('.tmp')] == []


def test_wrong_architecture_lists_keys(tmp_path, hdmapnet_official):
    src = osp.join(tmp_path, 'hdmapnet.pt')
    torch.save(hdmapnet_official, src)
    with pytest.raises(CLIError) as info:
        main(['--arch', 'student', src, osp.join(tmp_path, 'x.pth')])
    message = str(info.value)
    assert 'missing' in message and 'feature_expand.conv1.weight' in message and 'conv_bev.0.weight' in message
    assert 'shape mismatch' in message and 'bevencode.conv1.weight' in message
    assert not osp.exists(osp.join(tmp_path, 'x.pth'))


def test_wrong_range_is_a_shape_mismatch(tmp_path, hdmapnet_official):
    src = osp.join(tmp_path, 'hdmapnet.pt')
    torch.save(hdmapnet_official, src)
    with pytest.raises(CLIError, match=r'hw_mat\.0\.0\.weight: file \(3200, 176\)'):
        main(['--arch', 'hdmapnet', '--range', '240x60', src, osp.join(tmp_path, 'x.pth')])


def test_unexpected_and_truncated_files(tmp_path, hdmapnet_official):
    model = MODELS.build(dict(type='HDMapNet'))
    extra = dict(hdmapnet_official, **{'pp.pn.pointnet.0.weight': torch.zeros(64, 15, 1)})
    with pytest.raises(CheckpointConversionError, match='unexpected .*\n.*pp.pn.pointnet.0.weight'):
        convert_state_dict(extra, 'hdmapnet', model)
    partial = {k: v for k, v in hdmapnet_official.items() if not k.startswith('bevencode.up2_direction')}
    with pytest.raises(CheckpointConversionError, match='bevencode.up2_direction.1.weight'):
        convert_state_dict(partial, 'hdmapnet', model)
    bad = osp.join(tmp_path, 'bad.pt')
    with open(bad, 'wb') as handle:
        handle.write(b'not a checkpoint')
    with pytest.raises(CLIError, match='bad.pt'):
        main(['--arch', 'hdmapnet', bad, osp.join(tmp_path, 'x.pth')])


def test_coach_grid_constants_are_checked():
    official = official_state_dict('PMapNet_sdmap_C')
    model = MODELS.build(dict(type='MapKDCoach', image_size=(128, 352)))
    state, report = convert_state_dict(official, 'coach', model)
    assert {'pp.frustum', 'pp.nx', 'pp.bevencode.conv1.weight', 'pp.reduce_to_3.weight'} <= set(report['dropped_keys'])
    official['pp.dx'] = torch.tensor([0.3, 0.3, 20.0])
    with pytest.raises(CheckpointConversionError, match='grid constants'):
        convert_state_dict(official, 'coach', model)
