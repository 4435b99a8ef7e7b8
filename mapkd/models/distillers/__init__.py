"""Distillation: the ``MapDistiller`` model and the distillation losses (TGPD, MSRD, baselines)."""
