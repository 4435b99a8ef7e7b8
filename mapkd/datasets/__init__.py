"""nuScenes-format HD-map data: dataset, collate, GT vectors/rasters, SD/HD priors, caches."""
from . import transforms  # noqa: F401  (registers the transforms)
from .mapkd_collate import mapkd_collate
from . import sample_memo  # noqa: F401
from .nuscenes_map_dataset import NuScenesMapDataset

__all__ = ['NuScenesMapDataset', 'mapkd_collate']
