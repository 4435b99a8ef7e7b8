"""Register every MapKD module and set ``mapkd`` as mmengine's default scope."""
from __future__ import annotations

import datetime
import importlib
import warnings

from mmengine.registry import DefaultScope

from .checkpoint import patch_mmengine_checkpointing

# Packages whose import registers modules. A package another issue has not delivered yet is
# reported, not hidden: importing MapKD on a checkout where it fails must be loud.
_REGISTERING_PACKAGES = (
    'mapkd.engine',
    'mapkd.datasets',
    'mapkd.models',
    'mapkd.evaluation',
    'mapkd.visualization',
)


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import all registering packages, patch mmengine checkpointing and set the default scope."""
    for name in _REGISTERING_PACKAGES:
        importlib.import_module(name)
    patch_mmengine_checkpointing()
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mapkd', scope_name='mapkd')
    elif current.scope_name != 'mapkd':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "mapkd"; '
                      'creating a new "mapkd" scope for MapKD modules.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'mapkd-{stamp}', scope_name='mapkd')
