"""Task losses: hand-computed values, parity with a plain loop reference, gradients, AMP."""
import math

import pytest
import torch
import torch.nn.functional as F

from mapkd.models.losses import DirectionLoss, DiscriminativeLoss, MapTaskLoss, SegmentationBCELoss
from mapkd.registry import MODELS


# ----------------------------------------------------------------------------- references
def loop_discriminative(embedding, instance, delta_v, delta_d):
    """Straightforward per-sample / per-instance loop following the official formula."""
    batch, dim = embedding.shape[:2]
    var_total, dist_total = 0.0, 0.0
    for b in range(batch):
        ids = [int(i) for i in torch.unique(instance[b]) if int(i) != 0]
        if not ids:
            continue
        means = []
        for i in ids:
            pix = embedding[b][:, instance[b] == i]                      # (D, n)
            mu = pix.mean(dim=1)
            means.append(mu)
            d = torch.sqrt(((pix - mu[:, None]) ** 2).sum(0))
            var_total += float((torch.clamp(d - delta_v, min=0) ** 2).mean()) / len(ids)
        if len(ids) > 1:
            acc = 0.0
            for a in range(len(ids)):
                for c in range(len(ids)):
                    if a != c:
                        dist = float(torch.sqrt(((means[a] - means[c]) ** 2).sum()))
                        acc += max(delta_d - dist, 0.0) ** 2
            dist_total += acc / (len(ids) * (len(ids) - 1)) / 2
    return var_total / batch, dist_total / batch


def loop_direction(logits, target):
    probs = torch.softmax(logits.double(), 1)
    t = target.double()
    bce = -(t * torch.clamp(torch.log(probs), min=-100) + (1 - t) * torch.clamp(torch.log(1 - probs), min=-100))
    mask = (1 - t[:, 0]).unsqueeze(1)
    return float((bce * mask).sum() / (mask.sum() * logits.shape[1] + 1e-6))


def random_batch(batch=2, h=12, w=10, dim=16, classes=37, instances=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(batch, dim, h, w, generator=g) * 2
    inst = torch.randint(0, instances + 1, (batch, h, w), generator=g)
    seg = torch.randn(batch, 4, h, w, generator=g)
    sem = (torch.rand(batch, 4, h, w, generator=g) > 0.6).float()
    dirl = torch.randn(batch, classes, h, w, generator=g) * 3
    dir_gt = torch.zeros(batch, classes, h, w)
    labels = torch.randint(0, classes, (2, batch, h, w), generator=g)
    for lab in labels:                     # forward + backward one-hots, normalised, as the data does
        dir_gt += F.one_hot(lab, classes).permute(0, 3, 1, 2).float()
    dir_gt = dir_gt / dir_gt.sum(1, keepdim=True)
    return emb, inst, seg, sem, dirl, dir_gt


# ----------------------------------------------------------------------------- segmentation
def test_segmentation_hand_value():
    logits = torch.zeros(1, 4, 1, 2)
    target = torch.zeros(1, 4, 1, 2)
    target[0, 0, 0, 0] = 1.0
    target[0, 2, 0, 1] = 1.0
    loss = SegmentationBCELoss(pos_weight=2.13)(logits, target)
    expected = (2 * 2.13 * math.log(2) + 6 * math.log(2)) / 8
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_segmentation_matches_weighted_bce_formula():
    _, _, seg, sem, _, _ = random_batch()
    loss = SegmentationBCELoss(2.13)(seg, sem)
    s = torch.sigmoid(seg.double())
    ref = -(2.13 * sem * torch.log(s) + (1 - sem) * torch.log(1 - s)).mean()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)


def test_segmentation_shape_mismatch_is_clear():
    with pytest.raises(ValueError, match='same shape'):
        SegmentationBCELoss()(torch.zeros(1, 4, 2, 2), torch.zeros(1, 4, 2, 3))


# ----------------------------------------------------------------------------- discriminative
def test_discriminative_hand_value_two_instances_and_empty_sample():
    # sample 0: instance 1 = embeddings (0,0), (2,0) -> mean (1,0), each at distance 1;
    #           instance 2 = (1,1) alone; background pixel ignored.
    emb = torch.zeros(2, 2, 1, 4)
    emb[0, :, 0, 0] = torch.tensor([0.0, 0.0])
    emb[0, :, 0, 1] = torch.tensor([2.0, 0.0])
    emb[0, :, 0, 2] = torch.tensor([1.0, 1.0])
    emb[0, :, 0, 3] = torch.tensor([50.0, -7.0])
    inst = torch.tensor([[[1, 1, 2, 0]], [[0, 0, 0, 0]]])
    var, dist = DiscriminativeLoss(embed_dim=2, delta_v=0.5, delta_d=3.0)(emb, inst)
    # var: instance 1 -> relu(1-0.5)^2 = 0.25, instance 2 -> 0; / L=2 -> 0.125; / batch 2
    assert var.item() == pytest.approx(0.125 / 2)
    # dist: ||(1,0)-(1,1)|| = 1 -> relu(3-1)^2 = 4 twice = 8; / (2*1) / 2 = 2; / batch 2
    assert dist.item() == pytest.approx(2.0 / 2)


def test_discriminative_single_instance_has_no_push_term():
    emb = torch.tensor([[[[0.0, 3.0]], [[0.0, 0.0]]]])  # (1, 2, 1, 2): (0,0), (3,0); mean (1.5,0)
    inst = torch.tensor([[[4, 4]]])
    var, dist = DiscriminativeLoss(embed_dim=2)(emb, inst)
    assert var.item() == pytest.approx((1.5 - 0.5) ** 2)
    assert dist.item() == 0.0


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_discriminative_matches_loop_reference(seed):
    emb, inst, *_ = random_batch(batch=3, seed=seed, instances=4 + seed)
    inst[1] = torch.where(inst[1] > 0, inst[1] * 7, inst[1])  # sparse, non-contiguous ids
    var, dist = DiscriminativeLoss(16, 0.5, 3.0)(emb, inst)
    ref_var, ref_dist = loop_discriminative(emb.double(), inst, 0.5, 3.0)
    assert var.item() == pytest.approx(ref_var, rel=1e-5)
    assert dist.item() == pytest.approx(ref_dist, rel=1e-5)
    assert dist.item() > 0  # close random means: the push term is active


def test_discriminative_zero_instance_keeps_graph():
    emb = torch.randn(2, 16, 4, 4, requires_grad=True)
    var, dist = DiscriminativeLoss()(emb, torch.zeros(2, 4, 4, dtype=torch.long))
    assert var.item() == 0.0 and dist.item() == 0.0
    (var + dist).backward()
    assert emb.grad is not None and torch.all(emb.grad == 0)


def test_discriminative_gradient_pulls_towards_mean():
    emb = torch.zeros(1, 2, 1, 2)
    emb[0, 0, 0, 1] = 4.0
    emb.requires_grad_(True)
    var, _ = DiscriminativeLoss(embed_dim=2)(emb, torch.ones(1, 1, 2, dtype=torch.long))
    var.backward()
    # descending the gradient moves the two points towards each other
    assert emb.grad[0, 0, 0, 0] < 0 < emb.grad[0, 0, 0, 1]


def test_discriminative_bad_input():
    loss = DiscriminativeLoss(embed_dim=16)
    with pytest.raises(ValueError, match='embedding must be'):
        loss(torch.zeros(1, 8, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match='instance GT must be'):
        loss(torch.zeros(1, 16, 2, 2), torch.zeros(1, 3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match='integer ids'):
        loss(torch.zeros(1, 16, 2, 2), torch.zeros(1, 2, 2))


# ----------------------------------------------------------------------------- direction
def test_direction_hand_value():
    logits = torch.zeros(1, 3, 1, 2)                  # softmax = 1/3 everywhere
    target = torch.tensor([[[[0.0, 1.0]], [[0.5, 0.0]], [[0.5, 0.0]]]])  # px0 lane, px1 background
    loss = DirectionLoss(angle_class=2)(logits, target)
    ch0 = -math.log(2 / 3)
    ch12 = -(0.5 * math.log(1 / 3) + 0.5 * math.log(2 / 3))
    assert loss.item() == pytest.approx((ch0 + 2 * ch12) / (1 * 3 + 1e-6), rel=1e-6)


def test_direction_half_mask_pixels_count_half():
    logits = torch.randn(1, 3, 1, 1)
    target = torch.tensor([[[[0.5]], [[0.5]], [[0.0]]]])    # only one direction known -> mask 0.5
    loss = DirectionLoss(angle_class=2)(logits, target)
    assert loss.item() == pytest.approx(loop_direction(logits, target), rel=1e-5)


def test_direction_matches_official_formula_random():
    *_, dirl, dir_gt = random_batch()
    dir_gt[:, :, :4] = 0
    dir_gt[:, 0, :4] = 1                                      # some background rows
    loss = DirectionLoss(36)(dirl, dir_gt)
    assert loss.item() == pytest.approx(loop_direction(dirl, dir_gt), rel=1e-5)


def test_direction_no_lane_pixels_is_zero_and_finite():
    logits = torch.randn(2, 37, 3, 3, requires_grad=True)
    target = torch.zeros(2, 37, 3, 3)
    target[:, 0] = 1
    loss = DirectionLoss()(logits, target)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(logits.grad).all()


def test_direction_saturated_logits_are_finite():
    *_, dirl, dir_gt = random_batch(batch=1)
    loss = DirectionLoss()(dirl * 1e4, dir_gt)
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(loop_direction(dirl * 1e4, dir_gt), rel=1e-4)


def test_direction_bad_shape():
    with pytest.raises(ValueError, match=r'\(B, 37, H, W\)'):
        DirectionLoss()(torch.zeros(1, 36, 2, 2), torch.zeros(1, 36, 2, 2))


# ----------------------------------------------------------------------------- wrapper
def _outputs_and_samples(seed=0, requires_grad=False):
    emb, inst, seg, sem, dirl, dir_gt = random_batch(seed=seed)
    outputs = {'seg': seg, 'emb': emb, 'dir': dirl}
    if requires_grad:
        outputs = {k: v.clone().requires_grad_(True) for k, v in outputs.items()}
    samples = {'semantic': sem, 'instance': inst, 'direction': dir_gt, 'token': ['a', 'b']}
    return outputs, samples


def test_map_task_loss_weights_and_keys():
    outputs, samples = _outputs_and_samples()
    losses = MapTaskLoss()(outputs, samples)
    assert set(losses) == {'loss_seg', 'loss_var', 'loss_dist', 'loss_dir'}
    var, dist = DiscriminativeLoss()(outputs['emb'], samples['instance'])
    assert losses['loss_seg'].item() == pytest.approx(SegmentationBCELoss()(outputs['seg'], samples['semantic']).item())
    assert losses['loss_var'].item() == pytest.approx(0.1 * var.item())
    assert losses['loss_dist'].item() == pytest.approx(0.1 * dist.item())
    assert losses['loss_dir'].item() == pytest.approx(0.1 * DirectionLoss()(outputs['dir'], samples['direction']).item())

    hd = MapTaskLoss(weights=dict(var=1.0, dist=1.0, dir=0.2))(outputs, samples)
    assert hd['loss_var'].item() == pytest.approx(var.item())
    assert hd['loss_dir'].item() == pytest.approx(2 * losses['loss_dir'].item())


def test_map_task_loss_disable_terms_needs_no_emb_or_dir():
    outputs, samples = _outputs_and_samples()
    losses = MapTaskLoss(instance_seg=False, direction_pred=False)(
        {'seg': outputs['seg']}, {'semantic': samples['semantic']})
    assert losses['loss_var'].item() == losses['loss_dist'].item() == losses['loss_dir'].item() == 0.0
    assert losses['loss_seg'].item() > 0


def test_map_task_loss_gradients_flow_to_all_heads():
    outputs, samples = _outputs_and_samples(requires_grad=True)
    losses = MapTaskLoss()(outputs, samples)
    sum(losses.values()).backward()
    for name, tensor in outputs.items():
        assert tensor.grad is not None and torch.isfinite(tensor.grad).all(), name
        assert tensor.grad.abs().sum() > 0, name


def test_map_task_loss_errors_and_registry():
    with pytest.raises(ValueError, match='unknown weight'):
        MapTaskLoss(weights=dict(direction=0.2))
    outputs, samples = _outputs_and_samples()
    with pytest.raises(KeyError, match="'instance'"):
        MapTaskLoss()(outputs, {'semantic': samples['semantic'], 'direction': samples['direction']})
    built = MODELS.build(dict(type='MapTaskLoss', weights=dict(seg=2.0)))
    assert isinstance(built, MapTaskLoss) and built.weights['seg'] == 2.0
    for name in ('SegmentationBCELoss', 'DiscriminativeLoss', 'DirectionLoss'):
        assert MODELS.get(name) is not None


def test_map_task_loss_bf16_autocast_cpu_is_finite_and_close():
    outputs, samples = _outputs_and_samples(seed=3)
    bf16 = {k: v.to(torch.bfloat16).requires_grad_(True) for k, v in outputs.items()}
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = MapTaskLoss()(bf16, samples)
    for name, value in losses.items():
        assert value.dtype == torch.float32, name
        assert torch.isfinite(value), name
    sum(losses.values()).backward()
    assert all(torch.isfinite(t.grad.float()).all() for t in bf16.values())
    reference = MapTaskLoss()({k: v.detach().float() for k, v in bf16.items()}, samples)
    for name in losses:
        assert losses[name].item() == pytest.approx(reference[name].item(), rel=1e-5), name


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_map_task_loss_fp16_autocast_cuda_matches_cpu():
    outputs, samples = _outputs_and_samples(seed=4)
    half = {k: v.cuda().half().requires_grad_(True) for k, v in outputs.items()}
    gt = {k: v.cuda() if torch.is_tensor(v) else v for k, v in samples.items()}
    with torch.autocast('cuda', dtype=torch.float16):
        losses = MapTaskLoss()(half, gt)
    sum(losses.values()).backward()
    reference = MapTaskLoss()({k: v.detach().float().cpu() for k, v in half.items()}, samples)
    for name in losses:
        assert losses[name].dtype == torch.float32 and torch.isfinite(losses[name]), name
        assert losses[name].item() == pytest.approx(reference[name].item(), rel=1e-4), name
    assert all(torch.isfinite(t.grad.float()).all() for t in half.values())
