"""Semantic segmentation loss of HDMapNet / P-MapNet / MapKD (official ``SimpleLoss``)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS


@MODELS.register_module()
class SegmentationBCELoss(nn.Module):
    """Binary cross entropy with logits over every seg channel (background included).

    ``pos_weight`` up-weights the positive term of every channel; the result is the mean over
    all ``B * C * H * W`` elements. Computed in float32 whatever the input dtype (AMP-safe).
    """

    def __init__(self, pos_weight: float = 2.13) -> None:
        super().__init__()
        self.pos_weight = float(pos_weight)

    def forward(self, seg_logits: Tensor, semantic_gt: Tensor) -> Tensor:
        if seg_logits.shape != semantic_gt.shape:
            raise ValueError(f'SegmentationBCELoss: seg logits {tuple(seg_logits.shape)} and semantic GT '
                             f'{tuple(semantic_gt.shape)} must have the same shape')
        with torch.autocast(device_type=seg_logits.device.type, enabled=False):
            logits = seg_logits.float()
            pos_weight = logits.new_tensor([self.pos_weight])
            return F.binary_cross_entropy_with_logits(logits, semantic_gt.float(), pos_weight=pos_weight)

    def extra_repr(self) -> str:
        return f'pos_weight={self.pos_weight}'
