"""The dataset base configs: grids as specified, and the quick config builds a working dataset."""
import pytest
from mmengine.config import Config

from mapkd.datasets.grid import BevGrid
from mapkd.registry import DATASETS

CANVAS = {'nus_60x30': (200, 400), 'nus_120x60': (200, 400), 'nus_240x60': (200, 800),
          'synthetic_60x30': (200, 400), 'synthetic_quick': (80, 160)}


@pytest.mark.parametrize('name', sorted(CANVAS))
def test_config_grid_and_variables(name):
    cfg = Config.fromfile(f'configs/_base_/datasets/{name}.py')
    assert BevGrid.from_conf(cfg.grid_conf).canvas_size == CANVAS[name]
    for key in ('image_size', 'data_root', 'train_dataloader', 'val_dataloader', 'test_dataloader',
                'val_evaluator', 'test_evaluator'):
        assert key in cfg, key
    assert cfg.val_evaluator.type == 'MapMetric'
    assert cfg.train_dataloader.collate_fn.type == 'mapkd_collate'
    assert all(s % 32 == 0 for s in cfg.image_size)


def test_quick_config_builds_on_the_synthetic_city(synthetic_root, tmp_path):
    import mapkd.datasets  # noqa: F401
    cfg = Config.fromfile('configs/_base_/datasets/synthetic_quick.py')
    ds = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=synthetic_root, version='v1.0-mini',
                              cache_root=str(tmp_path)))
    item = ds[0]
    assert item['inputs']['imgs'].shape == (6, 3, 64, 192)
    assert item['data_samples']['semantic'].shape == (4, 80, 160)
    assert item['inputs']['lidar'].shape == (cfg.max_points, 5) == (65536, 5)
