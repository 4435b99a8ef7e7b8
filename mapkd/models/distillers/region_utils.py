"""BEV masks and weights shared by the baseline distillation losses.

All functions take the batched data contract (``semantic`` (B,4,H,W) multi-label with
channel 0 = no element, ``instance`` (B,H,W)) and return maps at a feature resolution (h, w).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def foreground(semantic: Tensor) -> Tensor:
    """(B,4,H,W) GT -> (B,1,H,W) float {0,1}: pixels covered by at least one map element."""
    return (semantic[:, 0:1] < 0.5).to(semantic.dtype if semantic.is_floating_point() else torch.float32)


def to_feature_size(mask: Tensor, size) -> Tensor:
    """Max-pool a (B,1,H,W) mask to ``size`` = (h, w): a cell is set if any pixel in it is."""
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask
    return F.adaptive_max_pool2d(mask, tuple(size))


def gaussian_blur(mask: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of (B,1,h,w), then rescaled so each sample's peak stays 1.

    This is the map analogue of CenterPoint's Gaussian box heatmap: cells near an element get
    a weight that decays with distance to it.
    """
    if sigma <= 0:
        return mask
    radius = max(1, int(math.ceil(3 * sigma)))
    coords = torch.arange(-radius, radius + 1, device=mask.device, dtype=mask.dtype)
    kernel = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.max()
    blurred = F.conv2d(mask, kernel.view(1, 1, 1, -1), padding=(0, radius))
    blurred = F.conv2d(blurred, kernel.view(1, 1, -1, 1), padding=(radius, 0))
    peak = blurred.flatten(1).amax(1).clamp(min=1e-6).view(-1, 1, 1, 1)
    return (blurred / peak).clamp(max=1.0) * (mask.flatten(1).amax(1).view(-1, 1, 1, 1) > 0)


def instance_scale(instance: Tensor, size) -> Tensor:
    """DistillBEV-style adaptive scale: each instance's cells get ``1 / sqrt(#cells)``.

    ``instance`` (B,H,W) int ids (0 = none). Areas are counted at full resolution and converted
    to feature cells, so every element contributes about ``sqrt(area)`` in total whatever its
    length. Returns (B,1,h,w), 0 outside elements, the max over overlapping elements.
    """
    batch, height, width = instance.shape
    cell_area = (height / size[0]) * (width / size[1])
    scale = torch.zeros(batch, 1, height, width, device=instance.device)
    flat = instance.flatten(1)
    for b in range(batch):
        ids, counts = torch.unique(flat[b], return_counts=True)
        keep = ids > 0
        if not keep.any():
            continue
        lookup = torch.zeros(int(ids.max()) + 1, device=instance.device)
        lookup[ids[keep]] = 1.0 / torch.sqrt((counts[keep].float() / cell_area).clamp(min=1.0))
        scale[b, 0] = lookup[instance[b].clamp(min=0)]
    return to_feature_size(scale, size)


def spatial_attention(feature: Tensor, temperature: float) -> Tensor:
    """``H*W * softmax(mean_c |F| / T)`` over positions, (B,C,h,w) -> (B,1,h,w)."""
    batch, _, height, width = feature.shape
    logits = feature.abs().mean(1).flatten(1) / temperature
    return (height * width * F.softmax(logits, dim=1)).view(batch, 1, height, width)


def prediction_foreground(seg_logits: Tensor, size, threshold: float) -> Tensor:
    """(B,4,H,W) logits -> (B,1,h,w): cells where any element channel has prob > threshold."""
    prob = torch.sigmoid(seg_logits[:, 1:].detach().float()).amax(1, keepdim=True)
    return to_feature_size((prob > threshold).float(), size)


def conv_adapter(in_channels: int, out_channels: int, layers: int = 1) -> nn.Module:
    """Student -> target feature adapter: a 1x1 conv, or ``layers`` 3x3 convs with ReLU between."""
    if layers <= 1:
        return nn.Conv2d(in_channels, out_channels, 1)
    modules: list[nn.Module] = []
    channels = in_channels
    for index in range(layers):
        last = index == layers - 1
        modules.append(nn.Conv2d(channels, out_channels, 3 if not last else 1, padding=0 if last else 1))
        if not last:
            modules.append(nn.ReLU(inplace=True))
        channels = out_channels
    return nn.Sequential(*modules)


def resize_like(feature: Tensor, reference: Tensor) -> Tensor:
    """Bilinearly resize ``feature`` to the spatial size of ``reference`` (no-op if equal)."""
    if feature.shape[-2:] == reference.shape[-2:]:
        return feature
    return F.interpolate(feature, size=reference.shape[-2:], mode='bilinear', align_corners=False)
