"""MapKD models: backbones, view transformers, fusion, heads, whole detectors, losses, distillers.

Importing this package registers every model part in ``mapkd.registry.MODELS``.
"""
from . import backbones, data_preprocessors, detectors, fusion, heads, losses, view_transformers  # noqa: F401
from . import distillers  # noqa: F401
