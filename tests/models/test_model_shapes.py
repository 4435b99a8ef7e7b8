"""Forward/backward of every model at every range (reduced widths), gradients, modes, AMP."""
from __future__ import annotations

import pytest
import torch

import mapkd.models  # noqa: F401
from mapkd.models.detectors.base import BaseMapModel
from mapkd.registry import MODELS

from small_models import RANGES, bev_hw, random_batch, small_model_cfg

MODEL_TYPES = ('HDMapNet', 'MapKDStudent', 'MapKDCoach', 'MapKDTeacher', 'HDPriorPretrainModel')
FEATURE_SHAPES = {  # name -> channels (None = same as BEV), scale
    'topdown': 1, 'lidar_feature': 1, 'sim_lidar_feature': 1, 'bev_small': 8, 'bev_out': 8, 'seg_pre_mae': 1}


@pytest.mark.parametrize('range_name', list(RANGES))
@pytest.mark.parametrize('model_type', MODEL_TYPES)
def test_forward_backward_every_range(model_type: str, range_name: str) -> None:
    torch.manual_seed(0)
    grid = RANGES[range_name]
    model = MODELS.build(small_model_cfg(model_type, grid))
    inputs, samples = random_batch(grid)
    outputs = model(inputs, samples, mode='tensor')
    height, width = bev_hw(grid)
    assert outputs['seg'].shape == (1, 4, height, width)
    assert outputs['emb'].shape == (1, 16, height, width)
    assert outputs['dir'].shape == (1, 37, height, width)
    model.check_feature_names(outputs)
    for name in model.FEATURE_NAMES:
        scale = FEATURE_SHAPES[name]
        assert outputs[name].shape[-2:] == (height // scale, width // scale), name
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_seg', 'loss_var', 'loss_dist', 'loss_dir'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    no_grad = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not no_grad, f'no gradient reaches {no_grad}'


def test_declared_features() -> None:
    assert MODELS.get('MapKDStudent').FEATURE_NAMES == ('topdown', 'bev_small')
    grid = RANGES['60x30']
    teacher = MODELS.build(small_model_cfg('MapKDTeacher', grid))
    assert teacher.FEATURE_NAMES == ('topdown', 'lidar_feature', 'bev_small', 'bev_out', 'seg_pre_mae')
    coach = MODELS.build(small_model_cfg('MapKDCoach', grid))
    assert coach.FEATURE_NAMES == ('topdown', 'sim_lidar_feature', 'bev_small', 'bev_out')
    coach_hd = MODELS.build(dict(small_model_cfg('MapKDCoach', grid), hd_head=True,
                                 mae=dict(embed_dim=32, depth=1, num_heads=2)))
    assert coach_hd.FEATURE_NAMES[-1] == 'seg_pre_mae'


def test_coach_with_hd_head_forward_backward() -> None:
    """The coach variant with the teacher's HD-prior head (official PMapNet_sdmap_C with hd_head):
    pre-MAE segmentation as a feature, task loss finite, a gradient to every trainable parameter."""
    torch.manual_seed(0)
    grid = RANGES['60x30']
    model = MODELS.build(dict(small_model_cfg('MapKDCoach', grid), hd_head=True,
                              mae=dict(embed_dim=32, depth=1, num_heads=2)))
    inputs, samples = random_batch(grid)
    outputs = model(inputs, samples, mode='tensor')
    height, width = bev_hw(grid)
    model.check_feature_names(outputs)
    assert outputs['seg_pre_mae'].shape == (1, 4, height, width)
    assert outputs['seg'].shape == (1, 4, height, width)
    assert not torch.equal(outputs['seg_pre_mae'], outputs['seg'])  # the MAE head refines the map
    total = sum(model(inputs, samples, mode='loss').values())
    assert torch.isfinite(total)
    total.backward()
    no_grad = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not no_grad, f'no gradient reaches {no_grad}'


def test_predict_returns_cpu_per_sample_dicts() -> None:
    grid = dict(RANGES['60x30'], xbound=[-15.0, 15.0, 0.15], ybound=[-7.5, 7.5, 0.15])  # BEV 100x200
    model = MODELS.build(small_model_cfg('MapKDStudent', grid)).eval()
    inputs, samples = random_batch(grid, batch=2)
    with torch.no_grad():
        predictions = model(inputs, samples, mode='predict')
    assert len(predictions) == 2
    for index, item in enumerate(predictions):
        assert item['seg_logits'].shape == (4, 100, 200) and item['seg_logits'].device.type == 'cpu'
        assert item['embedding'].shape == (16, 100, 200) and item['direction'].shape == (37, 100, 200)
        assert item['token'] == f'tok{index}'
        assert torch.equal(item['semantic'], samples['semantic'][index])
        assert item['gt_vectors'] is samples['gt_vectors'][index]


def test_bf16_autocast_forward_and_backward() -> None:
    grid = dict(RANGES['60x30'], xbound=[-15.0, 15.0, 0.15], ybound=[-7.5, 7.5, 0.15])
    for model_type in MODEL_TYPES:
        model = MODELS.build(small_model_cfg(model_type, grid))
        inputs, samples = random_batch(grid)
        with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
            losses = model(inputs, samples, mode='loss')
        total = sum(losses.values())
        assert torch.isfinite(total), model_type
        total.backward()


def test_student_follows_grid_not_hard_coded_200x400() -> None:
    grid = RANGES['240x60']
    model = MODELS.build(small_model_cfg('MapKDStudent', grid)).eval()
    inputs, _ = random_batch(grid)
    with torch.no_grad():
        outputs = model.extract(inputs)
    assert outputs['seg'].shape[-2:] == (200, 800)
    assert outputs['bev_small'].shape[-2:] == (25, 100)


def test_missing_input_is_named() -> None:
    model = MODELS.build(small_model_cfg('MapKDCoach', RANGES['60x30']))
    inputs, _ = random_batch(RANGES['60x30'])
    del inputs['sd_map']
    with pytest.raises(KeyError, match='sd_map'):
        model.extract(inputs)


def test_bad_mode_and_missing_loss() -> None:
    model = MODELS.build(dict(small_model_cfg('HDMapNet', RANGES['60x30']), loss=None))
    assert isinstance(model, BaseMapModel)
    inputs, samples = random_batch(RANGES['60x30'])
    with pytest.raises(ValueError, match='unknown mode'):
        model(inputs, samples, mode='bogus')
    with pytest.raises(RuntimeError, match='loss=None'):
        model(inputs, samples, mode='loss')


def test_data_preprocessor_moves_tensors_only() -> None:
    preprocessor = MODELS.build(dict(type='MapDataPreprocessor'))
    batch = dict(inputs=dict(imgs=torch.zeros(1, 2)),
                 data_samples=dict(semantic=torch.zeros(1, 4, 2, 2), token=['a'], gt_vectors=[[]]))
    out = preprocessor(batch)
    assert out['inputs']['imgs'].device == preprocessor.device
    assert out['data_samples']['token'] == ['a'] and out['data_samples']['gt_vectors'] == [[]]
    with pytest.raises(ValueError, match='inputs'):
        preprocessor([1, 2])


def _tiny_teacher_setup():
    from mapkd.benchmarks.common import synthetic_batch, synthetic_targets
    from mmengine.config import Config
    grid = dict(xbound=[-30.0, 30.0, 0.75], ybound=[-15.0, 15.0, 0.75], zbound=[-10.0, 10.0, 20.0],
                dbound=[4.0, 45.0, 1.0])
    cfg = Config(dict(grid_conf=grid, image_size=(64, 192), max_points=500))
    common = dict(type='MapKDTeacher', grid_conf=grid, image_size=(64, 192), camera_channels=16, lidar_channels=16,
                  lidar_width=8, decoder_channels=16, decoder_trunk_channels=(16, 16, 32),
                  mae=dict(patch_size=4, embed_dim=32, depth=1, num_heads=2, pos_embed_offset_bug=False),
                  loss=dict(type='MapTaskLoss'))
    torch.manual_seed(0)
    return common, synthetic_batch(cfg, 2, 'cpu'), synthetic_targets(cfg, 2, 'cpu')


def test_teacher_pre_mae_deep_supervision_is_opt_in():
    """``pre_mae_seg_weight`` adds a seg loss on the pre-MAE logits; 0 (default) is the official loss."""
    common, inputs, targets = _tiny_teacher_setup()
    official = MODELS.build(common)
    assert 'loss_seg_pre_mae' not in official.loss(inputs, targets)
    deep = MODELS.build(dict(common, pre_mae_seg_weight=0.5))
    deep.load_state_dict(official.state_dict())
    losses = deep.loss(inputs, targets)
    assert losses['loss_seg_pre_mae'] > 0
    losses['loss_seg_pre_mae'].backward()
    # the extra term reaches the decoder before the MAE head but not the MAE head itself
    assert deep.bevencode.conv1.weight.grad is not None and deep.bevencode.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in deep.mae_head.parameters())


def test_sd_cross_attn_norm_first_keeps_the_bev_identity_path() -> None:
    """Pre-norm layers have the official post-norm layers' parameters (checkpoints interchange), but
    the BEV tokens reach the output through a residual path: with the attention and FFN output
    projections zeroed, a pre-norm layer returns its input exactly, a post-norm layer re-normalises it."""
    from mapkd.models.fusion.sd_map_cross_attn import SDMapCrossAttn, SDMapCrossAttnLayer
    torch.manual_seed(0)
    post, pre = SDMapCrossAttn(16, 2, 2, 32, 0.0), SDMapCrossAttn(16, 2, 2, 32, 0.0, norm_first=True)
    assert post.state_dict().keys() == pre.state_dict().keys()
    pre.load_state_dict(post.state_dict())
    bev, sd, pos = torch.randn(2, 16, 3, 5), torch.randn(2, 16, 3, 5), torch.randn(2, 16, 3, 5)
    assert not torch.allclose(pre(bev, sd, pos), post(bev, sd, pos))
    layers = {flag: SDMapCrossAttnLayer(16, 2, 32, 0.0, norm_first=flag) for flag in (False, True)}
    tokens = torch.randn(15, 2, 16) * 3 + 1
    for layer in layers.values():
        with torch.no_grad():
            for proj in (layer.self_attn.out_proj, layer.multihead_attn.out_proj, layer.linear2):
                proj.weight.zero_()
                proj.bias.zero_()
    sd_tokens, pos_tokens = torch.randn(15, 2, 16), torch.randn(15, 2, 16)
    assert torch.equal(layers[True](tokens, sd_tokens, pos_tokens), tokens)
    assert layers[False](tokens, sd_tokens, pos_tokens).mean(-1).abs().max() < 1e-5  # LayerNorm'ed


def test_sd_fusion_norm_first_from_model_config() -> None:
    cfg = small_model_cfg('MapKDTeacher', RANGES['60x30'])
    cfg['sd_fusion'] = dict(cfg['sd_fusion'], norm_first=True)
    model = MODELS.build(cfg)
    assert all(layer.norm_first for layer in model.sd_fusion.sdmap_crossattn.layers)
    assert not any(layer.norm_first for layer in
                   MODELS.build(small_model_cfg('MapKDTeacher', RANGES['60x30'])).sd_fusion.sdmap_crossattn.layers)


def test_data_preprocessor_zero_inputs_ablation() -> None:
    batch = dict(inputs=dict(imgs=torch.full((1, 1, 3, 2, 2), 200, dtype=torch.uint8),
                             lidar_mask=torch.ones(1, 4), sd_map=torch.ones(1, 1, 2, 2)),
                 data_samples=dict(semantic=torch.zeros(1, 4, 2, 2)))
    plain = MODELS.build(dict(type='MapDataPreprocessor'))(batch)
    assert plain['inputs']['lidar_mask'].sum() == 4 and plain['inputs']['imgs'].abs().sum() > 0
    ablated = MODELS.build(dict(type='MapDataPreprocessor', zero_inputs=['lidar_mask', 'imgs']))(batch)
    assert ablated['inputs']['lidar_mask'].sum() == 0
    assert ablated['inputs']['imgs'].dtype == torch.float32 and ablated['inputs']['imgs'].abs().sum() == 0
    assert torch.equal(ablated['inputs']['sd_map'], batch['inputs']['sd_map'])
    with pytest.raises(ValueError, match='"lidar".*lidar_mask'):
        MODELS.build(dict(type='MapDataPreprocessor', zero_inputs=['lidar']))(batch)
    with pytest.raises(ValueError, match='list of input names'):
        MODELS.build(dict(type='MapDataPreprocessor', zero_inputs='imgs'))


def test_teacher_lidar_aux_loss_trains_the_lidar_encoder_only() -> None:
    """``lidar_aux_seg_weight`` adds a seg loss on the LiDAR BEV feature through a training-only head;
    0 (default) adds neither the head (official checkpoint layout) nor the loss."""
    common, inputs, targets = _tiny_teacher_setup()
    official = MODELS.build(common)
    assert not any(key.startswith('lidar_aux_head') for key in official.state_dict())
    assert 'loss_seg_lidar_aux' not in official.loss(inputs, targets)
    aux = MODELS.build(dict(common, lidar_aux_seg_weight=0.5))
    assert {k for k in aux.state_dict() if k.startswith('lidar_aux_head')} == {'lidar_aux_head.weight',
                                                                               'lidar_aux_head.bias'}
    losses = aux.loss(inputs, targets)
    assert 'loss_seg_pre_mae' not in losses and losses['loss_seg_lidar_aux'] > 0
    losses['loss_seg_lidar_aux'].backward()
    assert aux.lidar_encoder.conv_out[-1].weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in aux.camera_bev.parameters())
    assert all(p.grad is None for p in aux.sd_fusion.parameters())
    with pytest.raises(ValueError, match='lidar_aux_seg_weight'):
        MODELS.build(dict(common, lidar_aux_seg_weight=-1.0))


def test_sd_dropout_blanks_sd_maps_in_training_only() -> None:
    common, inputs, _ = _tiny_teacher_setup()
    model = MODELS.build(dict(common, sd_dropout=0.5))
    sd_map = torch.ones(64, 1, 4, 4)
    model.train()
    torch.manual_seed(1)
    dropped = model._maybe_drop_sd_map(sd_map)
    blank = (dropped.flatten(1).sum(1) == 0)
    assert 16 < int(blank.sum()) < 48  # about half the samples, each either blank or untouched
    assert torch.equal(dropped[~blank], sd_map[~blank])
    model.eval()
    assert torch.equal(model._maybe_drop_sd_map(sd_map), sd_map)
    official = MODELS.build(common).train()
    assert torch.equal(official._maybe_drop_sd_map(sd_map), sd_map)
    with pytest.raises(ValueError, match='sd_dropout'):
        MODELS.build(dict(common, sd_dropout=1.0))


def test_teacher_mae_input_sigmoid_feeds_probabilities_to_the_hd_prior_head() -> None:
    """``mae_input='sigmoid'`` hands the MAE head sigmoid(pre-MAE logits) (in [0, 1], like its
    pre-training maps); ``'logits'`` (default, official) hands it the raw logits."""
    common, inputs, _ = _tiny_teacher_setup()
    official = MODELS.build(common).eval()
    fixed = MODELS.build(dict(common, mae_input='sigmoid')).eval()
    fixed.load_state_dict(official.state_dict())  # no new parameters: same checkpoint layout
    seen = {}
    for name, model in (('logits', official), ('sigmoid', fixed)):
        handle = model.mae_head.register_forward_pre_hook(lambda mod, args, key=name: seen.__setitem__(key, args[0]))
        with torch.no_grad():
            out = model.extract(inputs)
        handle.remove()
        assert torch.equal(seen[name], out['seg_pre_mae'] if name == 'logits' else torch.sigmoid(out['seg_pre_mae']))
    assert torch.equal(seen['logits'].sigmoid(), seen['sigmoid'])  # same decoder, only the hand-over differs
    assert seen['logits'].min() < 0 and 0.0 <= float(seen['sigmoid'].min()) <= float(seen['sigmoid'].max()) <= 1.0
    with pytest.raises(ValueError, match='mae_input'):
        MODELS.build(dict(common, mae_input='softmax'))
