"""Distillation: the ``MapDistiller`` model and the distillation losses (TGPD, MSRD, baselines)."""
from .base_distill_loss import BaseDistillLoss
from .bev_distill_loss import BEVDistillLoss
from .distill_bev_loss import DistillBEVLoss
from .dual_distill_loss import DualDistillLoss
from .map_distill_loss import MapDistillLoss
from .map_distiller import MapDistiller
from .msrd_loss import MSRDLoss
from .tgpd_loss import TGPDLoss
from .uni_distill_loss import UniDistillLoss

__all__ = ['BaseDistillLoss', 'BEVDistillLoss', 'DistillBEVLoss', 'DualDistillLoss', 'MapDistillLoss',
           'MapDistiller', 'MSRDLoss', 'TGPDLoss', 'UniDistillLoss']
