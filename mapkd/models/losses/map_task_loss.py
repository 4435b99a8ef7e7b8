"""The supervised HD-map loss: segmentation + instance embedding + direction, weighted."""
from __future__ import annotations

from typing import Mapping

from torch import Tensor, nn

from mapkd.registry import MODELS

from .direction_loss import DirectionLoss
from .discriminative_loss import DiscriminativeLoss
from .segmentation_bce_loss import SegmentationBCELoss

DEFAULT_WEIGHTS = dict(seg=1.0, var=0.1, dist=0.1, dir=0.1)


@MODELS.register_module()
class MapTaskLoss(nn.Module):
    """The official supervised loss terms, weighted, returned as a dict.

    ``forward(outputs, data_samples)`` reads ``outputs['seg']`` (B,4,H,W), ``outputs['emb']``
    (B,D,H,W), ``outputs['dir']`` (B,angle_class+1,H,W) and ``data_samples['semantic']``,
    ``['instance']``, ``['direction']`` (the batched data contract of ``docs/design.md``) and returns
    ``loss_seg``, ``loss_var``, ``loss_dist``, ``loss_dir``, each already multiplied by its weight.
    Defaults are the MapKD / P-MapNet scales (1.0 / 0.1 / 0.1 / 0.1); HDMapNet used 1 / 1 / 1 / 0.2.
    With ``instance_seg=False`` or ``direction_pred=False`` the corresponding terms are a constant 0
    (the keys stay, so logs keep the same columns) and the outputs/GT they need are not read.
    """

    def __init__(self,
                 pos_weight: float = 2.13,
                 delta_v: float = 0.5,
                 delta_d: float = 3.0,
                 embed_dim: int = 16,
                 angle_class: int = 36,
                 weights: Mapping[str, float] | None = None,
                 instance_seg: bool = True,
                 direction_pred: bool = True) -> None:
        super().__init__()
        merged = dict(DEFAULT_WEIGHTS)
        if weights is not None:
            unknown = sorted(set(weights) - set(DEFAULT_WEIGHTS))
            if unknown:
                raise ValueError(f'MapTaskLoss: unknown weight key(s) {unknown}; '
                                 f'valid keys are {sorted(DEFAULT_WEIGHTS)}')
            merged.update({k: float(v) for k, v in weights.items()})
        self.weights = merged
        self.instance_seg = bool(instance_seg)
        self.direction_pred = bool(direction_pred)
        self.seg_loss = SegmentationBCELoss(pos_weight)
        self.embedding_loss = DiscriminativeLoss(embed_dim, delta_v, delta_d)
        self.direction_loss = DirectionLoss(angle_class)

    def forward(self, outputs: Mapping[str, Tensor], data_samples: Mapping[str, Tensor]) -> dict[str, Tensor]:
        seg = _require(outputs, 'seg', 'model outputs')
        losses = {'loss_seg': self.seg_loss(seg, _require(data_samples, 'semantic', 'data_samples'))
                  * self.weights['seg']}
        zero = seg.new_zeros((), dtype=losses['loss_seg'].dtype)
        if self.instance_seg:
            var, dist = self.embedding_loss(_require(outputs, 'emb', 'model outputs'),
                                            _require(data_samples, 'instance', 'data_samples'))
            losses['loss_var'] = var * self.weights['var']
            losses['loss_dist'] = dist * self.weights['dist']
        else:
            losses['loss_var'] = zero
            losses['loss_dist'] = zero
        if self.direction_pred:
            losses['loss_dir'] = self.direction_loss(_require(outputs, 'dir', 'model outputs'),
                                                     _require(data_samples, 'direction', 'data_samples')
                                                     ) * self.weights['dir']
        else:
            losses['loss_dir'] = zero
        return losses

    def extra_repr(self) -> str:
        return (f'weights={self.weights}, instance_seg={self.instance_seg}, '
                f'direction_pred={self.direction_pred}')


def _require(mapping: Mapping[str, Tensor], key: str, what: str) -> Tensor:
    if key not in mapping:
        raise KeyError(f'MapTaskLoss: {what} has no {key!r} (keys: {sorted(mapping)})')
    return mapping[key]
