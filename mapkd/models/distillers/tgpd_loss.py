"""TGPD: token-guided 2D patch distillation of BEV features (MapKD)."""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS

from .base_distill_loss import BaseDistillLoss, check_same_shape, get_output


@MODELS.register_module()
class TGPDLoss(BaseDistillLoss):
    """Token-guided 2D patch distillation.

    The student and target BEV features (B, C, h, w) are cut into non-overlapping
    ``patch_size`` x ``patch_size`` patches; each patch is embedded by a patch projection (a
    strided conv = a linear map of the flattened patch) and a global token (global average pool ->
    linear) is prepended. The token-patch attention map is the cosine similarity of all (1 + N)
    embeddings divided by ``temperature``; the loss is the row-wise KL(target || student) of the
    soft-maxed maps plus the MSE between the features::

        L = attn_weight * KL(softmax(A_T) || softmax(A_S)) + feat_weight * MSE(F_S, F_T)

    The projections are **random and frozen**: drawn once at construction (saved in the
    checkpoint, never trained). The official code drew new random projections at every step
    (noise). Training them does not work either, even with a stop-gradient on the target branch:
    the projection is shared by both branches, and the cheapest way to lower the KL is to map
    every patch to nearly the same embedding, which makes both maps uniform. Measured on the
    quickstart student: with trained projections the logged attention KL fell to 0.0000, the
    teacher's off-diagonal embedding cosine rose to 0.88 (0.30 with a random projection) and its
    attention entropy to 1.89 of the uniform 2.20 (0.72 random), while the student's attention map
    was still far from the teacher's (KL 0.26 under a fresh random projection). A fixed random
    projection preserves the patches' similarity structure, so only the student's features can
    lower the loss. ``trainable_projections=True`` restores the collapsing variant (for comparison).

    Args:
        teacher: frozen target name. weight: loss weight.
        student_feature / teacher_feature: names of the features in the models' outputs.
        in_channels: channels of the target feature (192 for ``bev_small``).
        student_channels: channels of the student feature if different (adds a trained 1x1
            conv adapter); ``None`` = same as ``in_channels``.
        patch_size: patch side in feature cells (default 5: 25x50 -> 5x10 = 50 patches).
        embed_dim: token / patch embedding size (512 as in the official code).
        temperature: softmax temperature of the attention logits (cosine / T).
        attn_weight / feat_weight: term weights inside TGPD.
        trainable_projections: train the token/patch projections (collapses, see above); default False.
    """

    NAME = 'tgpd'

    def __init__(self, teacher: str, weight: float = 1.0, student_feature: str = 'bev_small',
                 teacher_feature: str = 'bev_small', in_channels: int = 192,
                 student_channels: int | None = None, patch_size: int = 5, embed_dim: int = 512,
                 temperature: float = 0.1, attn_weight: float = 1.0, feat_weight: float = 1.0,
                 trainable_projections: bool = False, name: str | None = None) -> None:
        super().__init__(teacher, weight, name)
        if patch_size < 1:
            raise ValueError(f'TGPDLoss: patch_size must be >= 1, got {patch_size}')
        if temperature <= 0:
            raise ValueError(f'TGPDLoss: temperature must be > 0, got {temperature}')
        self.student_feature = student_feature
        self.teacher_feature = teacher_feature
        self.patch_size = int(patch_size)
        self.temperature = float(temperature)
        self.attn_weight = float(attn_weight)
        self.feat_weight = float(feat_weight)
        student_channels = in_channels if student_channels is None else student_channels
        self.adapter = (nn.Conv2d(student_channels, in_channels, 1)
                        if student_channels != in_channels else nn.Identity())
        self.token_proj = nn.Linear(in_channels, embed_dim)
        self.patch_proj = nn.Conv2d(in_channels, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.trainable_projections = bool(trainable_projections)
        for param in (*self.token_proj.parameters(), *self.patch_proj.parameters()):
            param.requires_grad_(self.trainable_projections)

    def embed(self, feature: Tensor) -> Tensor:
        """(B, C, h, w) -> L2-normalised (B, 1 + N, D) token + patch embeddings."""
        h, w = feature.shape[-2:]
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f'TGPDLoss: feature size {h}x{w} is not divisible by patch_size '
                             f'{self.patch_size}; choose a patch size that divides both')
        token = self.token_proj(feature.mean(dim=(2, 3))).unsqueeze(1)
        patches = self.patch_proj(feature).flatten(2).transpose(1, 2)
        return F.normalize(torch.cat([token, patches], dim=1), dim=-1)

    def attention_logits(self, embeddings: Tensor) -> Tensor:
        return embeddings @ embeddings.transpose(1, 2) / self.temperature

    def compute(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        loss_name = type(self).__name__
        student = self.adapter(get_output(student_out, self.student_feature, 'student', loss_name))
        target = get_output(target_out, self.teacher_feature, self.teacher, loss_name).detach()
        check_same_shape(student, target.to(student.dtype), self.student_feature, loss_name)
        target = target.to(student.dtype)
        log_p_student = F.log_softmax(self.attention_logits(self.embed(student)), dim=-1)
        with torch.no_grad():
            p_target = F.softmax(self.attention_logits(self.embed(target)), dim=-1)
        # KL(target || student) per attention row, averaged over rows and batch.
        kl = (p_target * (torch.log(p_target.clamp_min(1e-12)) - log_p_student)).sum(-1).mean()
        return {'attn': self.attn_weight * kl,
                'feat': self.feat_weight * F.mse_loss(student, target)}
