"""Utilities: checkpoint I/O, environment setup."""
from .checkpoint import (atomic_torch_save, load_state_dict_file, patch_mmengine_checkpointing,
                         register_safe_globals)
from .setup_env import register_all_modules

__all__ = ['atomic_torch_save', 'load_state_dict_file', 'patch_mmengine_checkpointing',
           'register_safe_globals', 'register_all_modules']
