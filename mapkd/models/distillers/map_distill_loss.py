"""MapDistill baseline adapted to BEV map segmentation."""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS

from .base_distill_loss import BaseDistillLoss, check_same_shape, get_output, get_sample_field, normalised_sum
from .region_utils import conv_adapter


def fixed_orthogonal_projection(in_channels: int, out_channels: int, seed: int) -> Tensor:
    """A deterministic random (out, in) matrix with orthonormal rows (or columns)."""
    gen = torch.Generator().manual_seed(seed)
    matrix = torch.randn(max(in_channels, out_channels), min(in_channels, out_channels), generator=gen)
    q, _ = torch.linalg.qr(matrix)
    return q if in_channels < out_channels else q.t()  # (out, in)


@MODELS.register_module()
class MapDistillLoss(BaseDistillLoss):
    """MapDistill (Hao et al., ECCV 2024) for map segmentation.

    * Cross-modal relation: the target's cross-modal affinity between its camera BEV and its
      LiDAR BEV (``teacher_pair``, e.g. ``topdown`` / ``lidar_feature``) is
      ``softmax(a_i . b_j / sqrt(d))`` over tokens of a ``relation_size`` grid; the student's is
      the same between its two BEV branches (``student_pair``, e.g. ``topdown`` and the
      192-ch expanded ``bev_small``). KL(target || student). Target features are mapped to ``d``
      channels with *fixed* orthogonal random projections (a trained target projection could
      collapse the target relation to uniform), student ones with trained 1x1 convs.
    * Dual-level feature: MSE of adapted student vs target at a low level (``low_pair``,
      ``bev_small``) and a high level (``high_pair``, e.g. the decoder input).
    * Map-head: BCE of student seg logits vs the target's sigmoid over all pixels (soft
      labels; the paper's Hungarian matching is not needed for dense outputs) + KL of the
      direction distribution on GT element pixels.
    """

    NAME = 'mapdistill'

    def __init__(self, teacher: str, weight: float = 1.0,
                 student_pair: Sequence[str] = ('topdown', 'bev_small'),
                 teacher_pair: Sequence[str] = ('topdown', 'lidar_feature'),
                 student_pair_channels: Sequence[int] = (64, 192), teacher_pair_channels: Sequence[int] = (64, 128),
                 relation_size: Sequence[int] = (12, 25), relation_dim: int = 64,
                 low_pair: Sequence[str] = ('bev_small', 'bev_small'), low_channels: Sequence[int] = (192, 192),
                 high_pair: Sequence[str] | None = None, high_channels: Sequence[int] = (192, 192),
                 rel_weight: float = 1.0, feat_weight: float = 1.0, head_weight: float = 1.0,
                 name: str | None = None) -> None:
        super().__init__(teacher, weight, name)
        self.student_pair, self.teacher_pair = tuple(student_pair), tuple(teacher_pair)
        self.relation_size = tuple(relation_size)
        self.relation_dim = int(relation_dim)
        self.low_pair = tuple(low_pair)
        self.high_pair = tuple(high_pair) if high_pair else None
        self.rel_weight, self.feat_weight, self.head_weight = float(rel_weight), float(feat_weight), float(head_weight)
        self.student_proj = nn.ModuleList(nn.Conv2d(c, relation_dim, 1) for c in student_pair_channels)
        for index, channels in enumerate(teacher_pair_channels):
            self.register_buffer(f'teacher_proj_{index}', fixed_orthogonal_projection(channels, relation_dim, index),
                                 persistent=False)
        self.low_adapter = conv_adapter(*low_channels)
        self.high_adapter = conv_adapter(*high_channels) if self.high_pair else None

    def relation(self, first: Tensor, second: Tensor) -> Tensor:
        """Row-wise log-softmax of the cross affinity of two (B, d, h, w) maps pooled to relation_size."""
        a = F.adaptive_avg_pool2d(first, self.relation_size).flatten(2).transpose(1, 2)
        b = F.adaptive_avg_pool2d(second, self.relation_size).flatten(2)
        a, b = F.layer_norm(a, a.shape[-1:]), F.layer_norm(b.transpose(1, 2), b.shape[1:2]).transpose(1, 2)
        return F.log_softmax(a @ b / self.relation_dim ** 0.5, dim=-1)

    def compute(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        name = type(self).__name__
        s_pair = [proj(get_output(student_out, key, 'student', name))
                  for proj, key in zip(self.student_proj, self.student_pair)]
        with torch.no_grad():
            t_pair = [torch.einsum('oc,bchw->bohw', getattr(self, f'teacher_proj_{i}').to(s_pair[0].dtype),
                                   get_output(target_out, key, self.teacher, name).detach().to(s_pair[0].dtype))
                      for i, key in enumerate(self.teacher_pair)]
            log_t = self.relation(*t_pair)
        log_s = self.relation(*s_pair)
        rel = (log_t.exp() * (log_t - log_s)).sum(-1).mean()
        feat = self.feature_mse(self.low_adapter, self.low_pair, student_out, target_out)
        if self.high_pair:
            feat = feat + self.feature_mse(self.high_adapter, self.high_pair, student_out, target_out)
        return {'rel': self.rel_weight * rel, 'feat': self.feat_weight * feat,
                'head': self.head_weight * self.head_distill(student_out, target_out, data_samples)}

    def feature_mse(self, adapter: nn.Module, pair: Sequence[str], student_out, target_out) -> Tensor:
        name = type(self).__name__
        student = adapter(get_output(student_out, pair[0], 'student', name))
        target = get_output(target_out, pair[1], self.teacher, name).detach().to(student.dtype)
        check_same_shape(student, target, pair[0], name)
        return F.mse_loss(student, target)

    def head_distill(self, student_out, target_out, data_samples) -> Tensor:
        name = type(self).__name__
        s_seg = get_output(student_out, 'seg', 'student', name)
        t_seg = get_output(target_out, 'seg', self.teacher, name).detach()
        check_same_shape(s_seg, t_seg, 'seg', name)
        seg = F.binary_cross_entropy_with_logits(s_seg.float(), torch.sigmoid(t_seg.float()))
        s_dir = get_output(student_out, 'dir', 'student', name)
        t_dir = get_output(target_out, 'dir', self.teacher, name).detach()
        semantic = get_sample_field(data_samples, 'semantic', name)
        lane = (semantic[:, 0] < 0.5).to(s_dir.dtype)
        t_prob = F.softmax(t_dir.float(), dim=1)
        kl = (t_prob * (torch.log(t_prob.clamp_min(1e-12)) - F.log_softmax(s_dir.float(), dim=1))).sum(1)
        return seg + normalised_sum((kl * lane).sum(), lane.sum())
