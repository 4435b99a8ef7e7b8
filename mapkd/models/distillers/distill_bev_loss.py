"""DistillBEV baseline adapted to BEV map segmentation."""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor, nn

from mapkd.registry import MODELS

from .base_distill_loss import BaseDistillLoss, check_same_shape, get_output, get_sample_field, reduce_mean
from .region_utils import (conv_adapter, foreground, instance_scale, prediction_foreground, resize_like,
                           spatial_attention, to_feature_size)

DEFAULT_SCALES = (dict(student='bev_small', teacher='bev_small', student_channels=192, teacher_channels=192),)


def region_weighted_mse(student: Tensor, target: Tensor, semantic: Tensor, instance: Tensor,
                        target_seg: Tensor | None, student_seg: Tensor | None, fg_weight: float,
                        bg_weight: float, fp_weight: float, fp_thr: float, attn_temperature: float) -> Tensor:
    """DistillBEV's region-decomposed, scale-adapted, attention-weighted feature MSE.

    Regions at the feature resolution: fg = GT map elements; fp = cells the target (or the
    student) predicts as an element (prob > ``fp_thr``) outside GT; bg = the rest. Scales:
    fg cells ``1/sqrt(#cells of their element)``, bg ``1/N_bg``, fp ``1/N_fp`` (counts averaged
    over ranks). Attention: the mean of the target's and student's spatial attention.
    Squared differences are averaged over channels; the sum is divided by the batch size.
    """
    size = student.shape[-2:]
    fg = to_feature_size(foreground(semantic).float(), size)
    fp = torch.zeros_like(fg)
    for seg in (target_seg, student_seg):
        if seg is not None:
            fp = torch.maximum(fp, prediction_foreground(seg, size, fp_thr))
    fp = fp * (1 - fg)
    bg = (1 - fg) * (1 - fp)
    fg_scale = instance_scale(instance, size).to(student.dtype)
    n_bg = reduce_mean(bg.sum()).clamp(min=1.0)
    n_fp = reduce_mean(fp.sum()).clamp(min=1.0)
    attention = 0.5 * (spatial_attention(target, attn_temperature) + spatial_attention(student.detach(), attn_temperature))
    weights = (fg_weight * fg * fg_scale + bg_weight * bg / n_bg + fp_weight * fp / n_fp) * attention
    squared = (student - target).pow(2).mean(1, keepdim=True)
    return (weights * squared).sum() / student.shape[0]


@MODELS.register_module()
class DistillBEVLoss(BaseDistillLoss):
    """DistillBEV (Wang et al., ICCV 2023) for map segmentation, over several feature scales.

    ``scales`` lists feature pairs, e.g. ``bev_small`` (1/8) and a full-resolution one; each
    student feature goes through its own trained adapter (``adapter_layers`` convs, DistillBEV
    uses a small conv stack) and is resized to the target's size. See
    :func:`region_weighted_mse` for the per-scale loss. Boxes become GT map elements (instance
    masks), the heatmap-based false positives come from the seg logits.
    """

    NAME = 'distillbev'

    def __init__(self, teacher: str, weight: float = 1.0, scales: Sequence[Mapping] = DEFAULT_SCALES,
                 adapter_layers: int = 2, fg_weight: float = 1.0, bg_weight: float = 1.0, fp_weight: float = 1.0,
                 fp_thr: float = 0.5, attn_temperature: float = 0.5, use_student_fp: bool = True,
                 name: str | None = None) -> None:
        super().__init__(teacher, weight, name)
        if not scales:
            raise ValueError('DistillBEVLoss: scales must list at least one feature pair')
        self.scales = [dict(scale) for scale in scales]
        for scale in self.scales:
            missing = {'student', 'teacher', 'student_channels', 'teacher_channels'} - set(scale)
            if missing:
                raise KeyError(f'DistillBEVLoss: scale {scale} lacks {sorted(missing)}')
        self.adapters = nn.ModuleList(conv_adapter(s['student_channels'], s['teacher_channels'], adapter_layers)
                                      for s in self.scales)
        self.fg_weight, self.bg_weight, self.fp_weight = float(fg_weight), float(bg_weight), float(fp_weight)
        self.fp_thr = float(fp_thr)
        self.attn_temperature = float(attn_temperature)
        self.use_student_fp = bool(use_student_fp)

    def compute(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        name = type(self).__name__
        semantic = get_sample_field(data_samples, 'semantic', name)
        instance = get_sample_field(data_samples, 'instance', name)
        target_seg = get_output(target_out, 'seg', self.teacher, name).detach()
        student_seg = get_output(student_out, 'seg', 'student', name) if self.use_student_fp else None
        terms = {}
        for index, (scale, adapter) in enumerate(zip(self.scales, self.adapters)):
            target = get_output(target_out, scale['teacher'], self.teacher, name).detach()
            student = adapter(get_output(student_out, scale['student'], 'student', name))
            student = resize_like(student, target)
            target = target.to(student.dtype)
            check_same_shape(student, target, scale['student'], name)
            terms[f'scale{index}'] = region_weighted_mse(
                student, target, semantic, instance, target_seg, student_seg, self.fg_weight, self.bg_weight,
                self.fp_weight, self.fp_thr, self.attn_temperature)
        return terms
