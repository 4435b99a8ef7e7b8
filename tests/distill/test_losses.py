"""Every distillation loss: finite, >= 0, and it pulls the student toward the target."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import TOY_LOSSES, distiller_cfg
from toy_models import toy_batch

from mapkd.models.distillers.region_utils import gaussian_blur, instance_scale
from mapkd.models.distillers.uni_distill_loss import resample_polyline
from mapkd.registry import MODELS


def _only(distiller, batch, key):
    losses = distiller(**batch, mode='loss')
    return losses[key], losses


@pytest.mark.parametrize('loss_type', sorted(TOY_LOSSES))
def test_loss_is_finite_non_negative_and_decreases(loss_type):
    torch.manual_seed(0)
    distiller = MODELS.build(distiller_cfg(losses=[copy.deepcopy(TOY_LOSSES[loss_type])]))
    distiller.train()
    with torch.no_grad():  # confident targets: soft-label BCE terms then have a low entropy floor
        distiller.frozen['teacher'].head.weight.mul_(30)
    loss = distiller.distill_losses[0]
    key = loss.log_key
    batch = distiller.data_preprocessor(toy_batch(seed=1), True)
    floor = 0.0
    if loss_type == 'MSRDLoss':  # soft-label BCE bottoms out at the target's entropy, not at 0
        targets = distiller.extract_targets(batch['inputs'])['teacher']
        floor = loss(targets, targets, batch['data_samples'])[key].item()
    optim = torch.optim.Adam(distiller.parameters(), lr=3e-3)
    history = []
    for _ in range(25):
        value, losses = _only(distiller, batch, key)
        for name, term in losses.items():
            assert torch.isfinite(term).all(), f'{name} not finite'
            assert term.item() >= 0, f'{name} = {term.item()} < 0'
        history.append(value.item())
        optim.zero_grad()
        value.backward()  # the distillation term alone: no task loss
        optim.step()
    assert history[-1] - floor < 0.8 * (history[0] - floor), \
        f'{loss_type}: {history[0]:.4f} -> {history[-1]:.4f} (floor {floor:.4f})'


def test_msrd_matches_the_official_formula_and_is_nan_safe():
    torch.manual_seed(0)
    loss = MODELS.build(dict(type='MSRDLoss', teacher='teacher', weight=0.75))
    batch = toy_batch(seed=3)['data_samples']
    student = torch.randn(2, 4, 32, 64, requires_grad=True)
    target = torch.randn(2, 4, 32, 64)
    value = loss({'seg': student}, {'seg': target}, batch)['loss_msrd_teacher']
    # official: index the GT-foreground pixels, all 4 channels, BCE mean
    mask = batch['semantic'][:, 0] != 1
    s = student.permute(0, 2, 3, 1)[mask]
    t = torch.sigmoid(target.permute(0, 2, 3, 1)[mask])
    assert torch.allclose(value, 0.75 * F.binary_cross_entropy_with_logits(s, t))
    fg = MODELS.build(dict(type='MSRDLoss', teacher='teacher', channels='foreground'))
    value_fg = fg({'seg': student}, {'seg': target}, batch)['loss_msrd_teacher']
    assert torch.allclose(value_fg, F.binary_cross_entropy_with_logits(s[:, 1:], t[:, 1:]))
    confident = MODELS.build(dict(type='MSRDLoss', teacher='teacher', confidence_thr=0.9))
    keep = torch.maximum(t, 1 - t) >= 0.9
    expected = F.binary_cross_entropy_with_logits(s[keep], t[keep])
    assert torch.allclose(confident({'seg': student}, {'seg': target}, batch)['loss_msrd_teacher'], expected)
    # no foreground at all: 0, finite, differentiable
    empty = toy_batch(seed=3, empty=True)['data_samples']
    zero = loss({'seg': student}, {'seg': target}, empty)['loss_msrd_teacher']
    assert zero.item() == 0.0
    zero.backward()
    assert torch.isfinite(student.grad).all()


def test_tgpd_zero_on_identical_features_and_projections_are_frozen():
    torch.manual_seed(0)
    loss = MODELS.build(dict(type='TGPDLoss', teacher='teacher', in_channels=16, patch_size=2))
    feature = torch.randn(2, 16, 4, 8)
    same = loss.compute({'bev_small': feature}, {'bev_small': feature.clone()}, {})
    assert same['attn'].abs().item() < 1e-5 and same['feat'].item() == 0.0
    student = torch.randn(2, 16, 4, 8, requires_grad=True)
    out = loss({'bev_small': student}, {'bev_small': feature}, {})
    out['loss_tgpd_teacher'].backward()
    assert loss.patch_proj.weight.grad is None and loss.token_proj.weight.grad is None   # random, frozen
    assert student.grad.abs().sum() > 0
    assert loss.embed(feature).shape == (2, 1 + 2 * 4, 512)  # token + 8 patches
    with pytest.raises(ValueError, match='not divisible by patch_size 3'):
        MODELS.build(dict(type='TGPDLoss', teacher='teacher', in_channels=16, patch_size=3)).embed(feature)
    # official default geometry: 25 x 50 with 5 x 5 patches -> 50 patches + token
    default = MODELS.build(dict(type='TGPDLoss', teacher='teacher'))
    assert default.embed(torch.randn(1, 192, 25, 50)).shape == (1, 51, 512)


def test_tgpd_trained_projections_collapse_and_frozen_ones_do_not():
    """Trained projections drive the attention KL to ~0 without the student's features changing at
    all (the loss then distils nothing); frozen ones leave that to the student's features."""
    torch.manual_seed(0)
    student = torch.randn(4, 16, 4, 8)                                     # unrelated patches
    target = torch.randn(4, 16, 1, 1) + 0.3 * torch.randn(4, 16, 4, 8)     # patches alike: structured map

    def kl_after_training(trainable_projections, train_student):
        torch.manual_seed(1)
        loss = MODELS.build(dict(type='TGPDLoss', teacher='teacher', in_channels=16, patch_size=2, embed_dim=32,
                                 trainable_projections=trainable_projections, feat_weight=0.0))
        feature = student.clone().requires_grad_(train_student)
        params = [p for p in loss.parameters() if p.requires_grad] + ([feature] if train_student else [])
        optim = torch.optim.Adam(params, lr=0.05)
        start = loss.compute({'bev_small': feature}, {'bev_small': target}, {})['attn'].item()
        for _ in range(150):
            optim.zero_grad()
            loss.compute({'bev_small': feature}, {'bev_small': target}, {})['attn'].backward()
            optim.step()
        with torch.no_grad():
            end = loss.compute({'bev_small': feature}, {'bev_small': target}, {})['attn'].item()
        return start, end

    start, end = kl_after_training(True, train_student=False)
    assert start > 1.0 and end < 1e-3 * start          # "matched" with the student's features untouched
    assert not any(p.requires_grad for p in MODELS.build(
        dict(type='TGPDLoss', teacher='teacher', in_channels=16, patch_size=2)).parameters())
    start_s, end_s = kl_after_training(False, train_student=True)
    assert start_s == start and end_s < 0.2 * start_s  # only the student's features can lower it


def test_region_helpers():
    instance = torch.zeros(1, 16, 16, dtype=torch.long)
    instance[0, 0:2, 0:8] = 1      # 16 px -> 4 cells of 2x2
    instance[0, 8:10, 0:16] = 2    # 32 px -> 8 cells
    scale = instance_scale(instance, (8, 8))
    assert torch.isclose(scale[0, 0, 0, 0], torch.tensor(1 / 2.0))
    assert torch.isclose(scale[0, 0, 4, 0], torch.tensor(1 / 8 ** 0.5))
    assert scale[0, 0, 7, 7] == 0
    mask = torch.zeros(1, 1, 9, 9)
    mask[0, 0, 4, 4] = 1
    blurred = gaussian_blur(mask, 1.0)
    assert blurred[0, 0, 4, 4] == 1 and 0 < blurred[0, 0, 4, 5] < 1 and blurred[0, 0, 0, 0] < 1e-3
    pts = resample_polyline(np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0]]), 5)
    assert np.allclose(pts, [[0, 0], [1, 0], [2, 0], [2, 1], [2, 2]])
