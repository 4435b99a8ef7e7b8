"""Direction (orientation-bin) loss of HDMapNet / P-MapNet / MapKD."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS


@MODELS.register_module()
class DirectionLoss(nn.Module):
    """BCE between the softmax over the ``angle_class + 1`` direction channels and the GT.

    Same formula as the official training scripts: the element-wise BCE is multiplied by
    ``lane_mask = 1 - direction_gt[:, 0]`` (channel 0 of the direction GT means "no direction",
    so the mask is 1 on lane pixels that carry both a forward and a backward direction, 0.5 on
    pixels with only one and 0 elsewhere) and the sum is divided by
    ``lane_mask.sum() * C + 1e-6``. Logarithms are clamped at -100 as in ``torch.nn.BCELoss``.
    Computed in float32 with autocast disabled, so it is safe under fp16/bf16 AMP.
    """

    def __init__(self, angle_class: int = 36, eps: float = 1e-6) -> None:
        super().__init__()
        self.angle_class = int(angle_class)
        self.eps = float(eps)

    def forward(self, direction_logits: Tensor, direction_gt: Tensor) -> Tensor:
        num_channels = self.angle_class + 1
        if direction_logits.dim() != 4 or direction_logits.shape[1] != num_channels:
            raise ValueError(f'DirectionLoss: direction logits must be (B, {num_channels}, H, W), '
                             f'got {tuple(direction_logits.shape)}')
        if direction_gt.shape != direction_logits.shape:
            raise ValueError(f'DirectionLoss: direction GT {tuple(direction_gt.shape)} must match the '
                             f'logits {tuple(direction_logits.shape)}')
        with torch.autocast(device_type=direction_logits.device.type, enabled=False):
            probs = torch.softmax(direction_logits.float(), dim=1)
            target = direction_gt.float()
            per_element = F.binary_cross_entropy(probs, target, reduction='none')
            lane_mask = (1.0 - target[:, 0]).unsqueeze(1)
            return (per_element * lane_mask).sum() / (lane_mask.sum() * num_channels + self.eps)

    def extra_repr(self) -> str:
        return f'angle_class={self.angle_class}'
