"""Semantic IoU of the argmax one-hot prediction vs the GT raster (official ``eval_iou``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch


def onehot_argmax(seg_logits: torch.Tensor) -> torch.Tensor:
    """(C, H, W) logits -> (C, H, W) bool one-hot of the per-pixel argmax."""
    label = seg_logits.argmax(0)
    return torch.nn.functional.one_hot(label, seg_logits.shape[0]).permute(2, 0, 1).bool()


def intersection_union(seg_logits: Any, semantic: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel intersection and union pixel counts (all 4 channels) for one sample."""
    seg = torch.as_tensor(seg_logits)
    gt = torch.as_tensor(semantic)
    if seg.shape != gt.shape or seg.dim() != 3:
        raise ValueError(f'seg_logits {tuple(seg.shape)} and semantic {tuple(gt.shape)} must both be (C, H, W)')
    pred = onehot_argmax(seg)
    gt = gt.bool()
    inter = (pred & gt).flatten(1).sum(1).numpy().astype(np.int64)
    union = (pred | gt).flatten(1).sum(1).numpy().astype(np.int64)
    return inter, union


def iou_from_sums(intersection: np.ndarray, union: np.ndarray) -> np.ndarray:
    """IoU = I / (U + 1e-7), as the official code."""
    return np.asarray(intersection, np.float64) / (np.asarray(union, np.float64) + 1e-7)
