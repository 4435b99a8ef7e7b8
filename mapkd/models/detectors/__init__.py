"""Whole map models: HDMapNet, MapKD student / coach / teacher, HD-prior pre-training."""
from .base import BaseMapModel, MapDataPreprocessor

__all__ = ['BaseMapModel', 'MapDataPreprocessor']
