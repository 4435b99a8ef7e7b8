"""Data preprocessors (device transfer of collated batches, image normalisation, dense GT targets)."""
from .map_data_preprocessor import MapDataPreprocessor, expand_direction_index

__all__ = ['MapDataPreprocessor', 'expand_direction_index']
