"""DualDistill baseline adapted to BEV map segmentation."""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import orthogonal

from mapkd.registry import MODELS

from .base_distill_loss import BaseDistillLoss, check_same_shape, get_output, get_sample_field
from .distill_bev_loss import region_weighted_mse
from .region_utils import resize_like


class CrossAttentionProjector(nn.Module):
    """ScaleKD-style projector: learnable queries on a ``query_hw`` grid attend to the student map.

    The student map gets a learnable positional embedding (3x3 conv + BN + ReLU), is projected
    to ``out_channels`` and serves as keys/values of a multi-head attention whose queries are
    ``query_hw[0] * query_hw[1]`` learnable embeddings; LayerNorm + FFN follow.
    (DualDistill uses windowed attention; at 1/8 BEV resolution global attention is cheap.)
    """

    def __init__(self, in_channels: int, out_channels: int, query_hw: Sequence[int], num_heads: int = 8,
                 ffn_ratio: int = 2) -> None:
        super().__init__()
        if out_channels % num_heads:
            raise ValueError(f'CrossAttentionProjector: out_channels {out_channels} not divisible by '
                             f'num_heads {num_heads}')
        self.query_hw = tuple(query_hw)
        self.pos_embed = nn.Sequential(nn.Conv2d(in_channels, in_channels, 3, padding=1),
                                       nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True))
        self.in_proj = nn.Linear(in_channels, out_channels)
        self.queries = nn.Parameter(torch.randn(1, self.query_hw[0] * self.query_hw[1], out_channels) * 0.02)
        self.attn = nn.MultiheadAttention(out_channels, num_heads, batch_first=True)
        self.norm1 = nn.LayerNorm(out_channels)
        self.ffn = nn.Sequential(nn.Linear(out_channels, out_channels * ffn_ratio), nn.GELU(),
                                 nn.Linear(out_channels * ffn_ratio, out_channels))
        self.norm2 = nn.LayerNorm(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        batch = x.shape[0]
        tokens = self.in_proj((x + self.pos_embed(x)).flatten(2).transpose(1, 2))
        queries = self.queries.expand(batch, -1, -1)
        out = self.norm1(queries + self.attn(queries, tokens, tokens, need_weights=False)[0])
        out = self.norm2(out + self.ffn(out))
        return out.transpose(1, 2).reshape(batch, -1, *self.query_hw)


class OrthogonalLinear(nn.Module):
    """Per-pixel ``y = w * (Q x) + b`` with ``Q`` orthogonally parametrised, ``w`` init 1."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.linear = orthogonal(nn.Linear(channels, channels, bias=False))
        self.scale = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        y = self.linear(x.permute(0, 2, 3, 1)) * self.scale + self.bias
        return y.permute(0, 3, 1, 2)


class AOAAdapter(nn.Module):
    """Attention-guided orthogonal alignment: CAP -> bilinear resize to the target -> OrthogonalLinear."""

    def __init__(self, in_channels: int, out_channels: int, query_hw: Sequence[int], num_heads: int = 8) -> None:
        super().__init__()
        self.cap = CrossAttentionProjector(in_channels, out_channels, query_hw, num_heads)
        self.orthogonal = OrthogonalLinear(out_channels)

    def forward(self, x: Tensor, reference: Tensor) -> Tensor:
        return self.orthogonal(resize_like(self.cap(x), reference))


def resolve_head(model: nn.Module, path: str):
    """``model.<path>`` (dotted), e.g. ``'bev_decoder'``; a clear error if it does not exist."""
    obj = model
    for part in path.split('.'):
        if not hasattr(obj, part):
            raise AttributeError(f'DualDistillLoss: the frozen {type(model).__name__} has no {path!r} '
                                 f'(missing {part!r}); set teacher_head to its decoder module/method')
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f'DualDistillLoss: {type(model).__name__}.{path} is not callable')
    return obj


@MODELS.register_module()
class DualDistillLoss(BaseDistillLoss):
    """DualDistill (BMVC 2025) for map segmentation.

    * AOA: each feature level's student map is aligned to the target by an
      :class:`AOAAdapter` (``adapter='aoa'``) or a 1x1 conv (``adapter='conv'``, DualDistill's head level).
    * Region-weighted multi-scale feature loss: DistillBEV's fg / bg / fp decomposition with
      adaptive scales and spatial attention (:func:`region_weighted_mse`) at every level; the
      false-positive region only where the level sets ``fp=True`` (DualDistill: head level only).
    * CRD: the student feature ``crd_student_feature`` (``bev_small``), aligned by a 1x1 conv and
      bilinearly resized to the target's output size (= the student's own decoder input), goes through the *frozen target's own decoder* (``teacher_head``, called with gradients
      enabled w.r.t. its input, its weights stay frozen) and is trained with BCE against the
      target's own predictions sharpened by ``crd_temperature`` (pseudo-label entropy
      minimisation: ``sigmoid(target_seg / 0.1)``).
    """

    NAME = 'dualdistill'
    NEEDS_TARGET_MODEL = True

    def __init__(self, teacher: str, levels: Sequence[Mapping], weight: float = 1.0,
                 crd_student_feature: str | None = None, crd_channels: Sequence[int] = (192, 192),
                 teacher_head: str = 'bev_decoder', crd_target: str = 'seg', crd_temperature: float = 0.1,
                 feat_weight: float = 1.0, crd_weight: float = 1.0, fg_weight: float = 1.0,
                 bg_weight: float = 1.0, fp_weight: float = 1.0, fp_thr: float = 0.5,
                 attn_temperature: float = 0.5, num_heads: int = 8, name: str | None = None) -> None:
        super().__init__(teacher, weight, name)
        if not levels:
            raise ValueError('DualDistillLoss: levels must list at least one feature pair')
        self.levels = [dict(level) for level in levels]
        adapters = []
        for level in self.levels:
            missing = {'student', 'teacher', 'student_channels', 'teacher_channels'} - set(level)
            if missing:
                raise KeyError(f'DualDistillLoss: level {level} lacks {sorted(missing)}')
            kind = level.get('adapter', 'aoa')
            if kind == 'aoa':
                if 'query_hw' not in level:
                    raise KeyError(f'DualDistillLoss: AOA level {level} needs query_hw')
                adapters.append(AOAAdapter(level['student_channels'], level['teacher_channels'],
                                           level['query_hw'], num_heads))
            elif kind == 'conv':
                adapters.append(nn.Conv2d(level['student_channels'], level['teacher_channels'], 1))
            else:
                raise ValueError(f"DualDistillLoss: adapter must be 'aoa' or 'conv', got {kind!r}")
        self.adapters = nn.ModuleList(adapters)
        self.crd_student_feature = crd_student_feature
        self.crd_adapter = nn.Conv2d(*crd_channels, 1) if crd_student_feature else None
        self.teacher_head = teacher_head
        self.crd_target = crd_target
        self.crd_temperature = float(crd_temperature)
        self.feat_weight, self.crd_weight = float(feat_weight), float(crd_weight)
        self.region = dict(fg_weight=float(fg_weight), bg_weight=float(bg_weight), fp_weight=float(fp_weight),
                           fp_thr=float(fp_thr), attn_temperature=float(attn_temperature))

    def compute(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        name = type(self).__name__
        semantic = get_sample_field(data_samples, 'semantic', name)
        instance = get_sample_field(data_samples, 'instance', name)
        target_seg = get_output(target_out, 'seg', self.teacher, name).detach()
        feat = 0.0
        for level, adapter in zip(self.levels, self.adapters):
            target = get_output(target_out, level['teacher'], self.teacher, name).detach()
            student = get_output(student_out, level['student'], 'student', name)
            student = adapter(student, target) if isinstance(adapter, AOAAdapter) else resize_like(adapter(student), target)
            target = target.to(student.dtype)
            check_same_shape(student, target, level['student'], name)
            fp_seg = target_seg if level.get('fp', False) else None
            feat = feat + region_weighted_mse(student, target, semantic, instance, fp_seg, None, **self.region)
        terms = {'feat': self.feat_weight * feat}
        if self.crd_adapter is not None:
            terms['crd'] = self.crd_weight * self.cross_head(student_out, target_out, target_model)
        return terms

    def cross_head(self, student_out, target_out, target_model: nn.Module | None) -> Tensor:
        name = type(self).__name__
        if target_model is None:
            raise ValueError('DualDistillLoss: cross-head distillation needs the frozen target model')
        head = resolve_head(target_model, self.teacher_head)
        target = get_output(target_out, self.crd_target, self.teacher, name).detach()
        # the aligned feature is resized to the head's output size, like the student's own decoder
        # input (bilinearly upsampled bev_small)
        aligned = resize_like(self.crd_adapter(get_output(student_out, self.crd_student_feature, 'student', name)),
                              target)
        with torch.enable_grad():
            outputs = head(aligned)
        seg = outputs['seg'] if isinstance(outputs, Mapping) else outputs[0]
        seg = resize_like(seg, target)
        check_same_shape(seg, target, 'cross-head seg', name)
        return F.binary_cross_entropy_with_logits(seg.float(), torch.sigmoid(target.float() / self.crd_temperature))
