"""Distillation: the ``MapDistiller`` model and the distillation losses (TGPD, MSRD, baselines)."""
from .base_distill_loss import BaseDistillLoss
from .map_distiller import MapDistiller
from .msrd_loss import MSRDLoss
from .tgpd_loss import TGPDLoss

__all__ = ['BaseDistillLoss', 'MapDistiller', 'MSRDLoss', 'TGPDLoss']
