"""Data preprocessors (device transfer of collated batches)."""
from .map_data_preprocessor import MapDataPreprocessor

__all__ = ['MapDataPreprocessor']
