"""MSRD: masked semantic response distillation (MapKD)."""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS

from .base_distill_loss import (BaseDistillLoss, check_same_shape, get_output, get_sample_field,
                                normalised_sum)


@MODELS.register_module()
class MSRDLoss(BaseDistillLoss):
    """BCE of the student's semantic logits against the target's sigmoid, on GT-foreground pixels.

    ``mask = semantic_gt[:, 0] < 0.5`` (pixels covered by at least one map element). The loss
    is the mean BCE over the masked (pixel, channel) entries; a batch without foreground gives
    0 (the official code gave NaN). The mask count is averaged over DDP ranks so the per-rank
    losses average to the global-batch loss.

    Args:
        teacher: frozen target name. weight: loss weight.
        channels: ``'all'`` distils the 4 channels incl. background (official);
            ``'foreground'`` only the 3 element channels.
        confidence_thr: if set (e.g. 0.7), entries where the target's probability is not
            confident (``max(p, 1 - p) < confidence_thr``) are masked out as well.
        temperature: the target is ``sigmoid(logits / temperature)`` (official: 1).
        student_output / teacher_output: output names of the logits (``'seg'``).
    """

    NAME = 'msrd'

    def __init__(self, teacher: str, weight: float = 1.0, channels: str = 'all',
                 confidence_thr: float | None = None, temperature: float = 1.0,
                 student_output: str = 'seg', teacher_output: str = 'seg',
                 name: str | None = None) -> None:
        super().__init__(teacher, weight, name)
        if channels not in ('all', 'foreground'):
            raise ValueError(f"MSRDLoss: channels must be 'all' or 'foreground', got {channels!r}")
        if confidence_thr is not None and not 0.5 <= confidence_thr < 1.0:
            raise ValueError(f'MSRDLoss: confidence_thr must be in [0.5, 1), got {confidence_thr}')
        if temperature <= 0:
            raise ValueError(f'MSRDLoss: temperature must be > 0, got {temperature}')
        self.channels = channels
        self.confidence_thr = confidence_thr
        self.temperature = float(temperature)
        self.student_output = student_output
        self.teacher_output = teacher_output

    def compute(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        loss_name = type(self).__name__
        student = get_output(student_out, self.student_output, 'student', loss_name)
        target = get_output(target_out, self.teacher_output, self.teacher, loss_name).detach()
        semantic = get_sample_field(data_samples, 'semantic', loss_name)
        check_same_shape(student, target, self.student_output, loss_name)
        if semantic.shape[0] != student.shape[0] or semantic.shape[-2:] != student.shape[-2:]:
            raise ValueError(f'{loss_name}: semantic GT {tuple(semantic.shape)} does not match the '
                             f'logits {tuple(student.shape)}')
        first = 0 if self.channels == 'all' else 1
        student = student[:, first:]
        prob = torch.sigmoid(target[:, first:].float() / self.temperature)
        foreground = (semantic[:, 0] < 0.5).unsqueeze(1)
        mask = foreground.expand_as(prob).to(prob.dtype)
        if self.confidence_thr is not None:
            mask = mask * (torch.maximum(prob, 1.0 - prob) >= self.confidence_thr).to(prob.dtype)
        bce = F.binary_cross_entropy_with_logits(student.float(), prob, reduction='none')
        return {'bce': normalised_sum((bce * mask).sum(), mask.sum())}
