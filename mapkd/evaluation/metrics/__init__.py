"""Registered evaluation metrics."""
from .map_metric import MapMetric

__all__ = ['MapMetric']
