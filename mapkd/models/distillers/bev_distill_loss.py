"""BEVDistill baseline adapted to BEV map segmentation."""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS

from .base_distill_loss import BaseDistillLoss, check_same_shape, get_output, get_sample_field, normalised_sum
from .region_utils import conv_adapter, foreground, gaussian_blur, to_feature_size


@MODELS.register_module()
class BEVDistillLoss(BaseDistillLoss):
    """BEVDistill (Chen et al., ICLR 2023) for map segmentation.

    * Dense term: foreground-weighted feature MSE, ``sum_i w_i ||F_T(i) - phi(F_S)(i)||^2 / sum_i w_i``,
      where ``w`` is the GT map-element mask at the feature resolution blurred by a Gaussian of
      ``sigma`` cells (the map analogue of the CenterPoint box heatmap of the paper).
    * Instance term: InfoNCE between the student's and the target's per-element features
      (features average-pooled over each GT instance), positives = the same element; the
      paper's "sparse instance distillation" over matched boxes becomes matching by GT instance.

    Args:
        student_feature / teacher_feature: feature names (default ``bev_small``).
        student_channels / teacher_channels: channels; ``phi`` is a trained 1x1 conv.
        sigma: Gaussian sigma in feature cells. tau: InfoNCE temperature.
        dense_weight / instance_weight: term weights.
    """

    NAME = 'bevdistill'

    def __init__(self, teacher: str, weight: float = 1.0, student_feature: str = 'bev_small',
                 teacher_feature: str = 'bev_small', student_channels: int = 192,
                 teacher_channels: int = 192, sigma: float = 1.0, tau: float = 0.07,
                 dense_weight: float = 1.0, instance_weight: float = 0.1, name: str | None = None) -> None:
        super().__init__(teacher, weight, name)
        self.student_feature = student_feature
        self.teacher_feature = teacher_feature
        self.sigma = float(sigma)
        self.tau = float(tau)
        self.dense_weight = float(dense_weight)
        self.instance_weight = float(instance_weight)
        self.adapter = conv_adapter(student_channels, teacher_channels)

    def compute(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        loss_name = type(self).__name__
        student = self.adapter(get_output(student_out, self.student_feature, 'student', loss_name))
        target = get_output(target_out, self.teacher_feature, self.teacher, loss_name).detach().to(student.dtype)
        check_same_shape(student, target, self.student_feature, loss_name)
        semantic = get_sample_field(data_samples, 'semantic', loss_name)
        size = student.shape[-2:]
        weights = gaussian_blur(to_feature_size(foreground(semantic).float(), size), self.sigma)
        squared = (student - target).pow(2).mean(1, keepdim=True)
        dense = normalised_sum((weights * squared).sum(), weights.sum(), min_count=1e-6)
        instance = self.instance_contrast(student, target, get_sample_field(data_samples, 'instance', loss_name))
        return {'dense': self.dense_weight * dense, 'instance': self.instance_weight * instance}

    def instance_contrast(self, student: Tensor, target: Tensor, instance: Tensor) -> Tensor:
        """InfoNCE over the GT elements of the batch (0 when fewer than 2 elements)."""
        size = student.shape[-2:]
        student_vectors, target_vectors = [], []
        for b in range(instance.shape[0]):
            ids = torch.unique(instance[b])
            ids = ids[ids > 0]
            if ids.numel() == 0:
                continue
            masks = (instance[b][None] == ids[:, None, None]).float().unsqueeze(1)  # (K,1,H,W)
            weights = F.adaptive_avg_pool2d(masks, tuple(size)).flatten(1)        # (K, h*w)
            weights = weights / weights.sum(1, keepdim=True).clamp(min=1e-6)
            student_vectors.append(weights @ student[b].flatten(1).t())
            target_vectors.append(weights @ target[b].flatten(1).t())
        if sum(v.shape[0] for v in student_vectors) < 2:
            return student.sum() * 0.0
        s = F.normalize(torch.cat(student_vectors), dim=1)
        t = F.normalize(torch.cat(target_vectors), dim=1)
        logits = s @ t.t() / self.tau
        return F.cross_entropy(logits, torch.arange(logits.shape[0], device=logits.device))
