"""Checkpoint converters (official MapKD / P-MapNet / HDMapNet layouts -> ours)."""
from .checkpoint_converter import CheckpointConversionError, convert_state_dict, strip_data_parallel_prefix
from .official_layouts import ARCHS

__all__ = ['ARCHS', 'CheckpointConversionError', 'convert_state_dict', 'strip_data_parallel_prefix']
