"""NuScenesMapDataset on the synthetic city: contract, cache == no cache, cache validation, collate."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

from mapkd.datasets import NuScenesMapDataset, mapkd_collate
from mapkd.datasets.cache import read_cache
from mapkd.datasets.errors import CacheError
from mapkd.datasets.map_expansion import MapGeometry
from mapkd.datasets.data_cache import vectors_key
from mapkd.datasets.grid import BevGrid
from mapkd.datasets.map_vectors import extract_gt_vectors, line_parts, patch_angle_deg, sample_every

QUICK_GRID = dict(xbound=[-30.0, 30.0, 0.3], ybound=[-15.0, 15.0, 0.3])


def assert_items_equal(a, b):
    for part in ('inputs', 'data_samples'):
        assert set(a[part]) == set(b[part])
        for key, va in a[part].items():
            vb = b[part][key]
            if isinstance(va, torch.Tensor):
                assert va.dtype == vb.dtype and va.shape == vb.shape, key
                assert torch.equal(va, vb), key
            elif key == 'gt_vectors':
                assert len(va) == len(vb)
                for x, y in zip(va, vb):
                    assert x['type'] == y['type']
                    np.testing.assert_array_equal(x['pts'], y['pts'])
            else:
                assert va == vb, key


def test_contract_shapes_and_types(synthetic_root, tmp_path):
    ds = NuScenesMapDataset(synthetic_root, version='v1.0-mini', split='val', hd_prior=dict(seed=1),
                            cache_root=str(tmp_path),
                            max_points=20000, test_mode=True)
    item = ds[0]
    inp, smp = item['inputs'], item['data_samples']
    assert inp['imgs'].shape == (6, 3, 128, 352) and inp['imgs'].dtype == torch.uint8
    expect = dict(trans=(6, 3), rots=(6, 3, 3), intrins=(6, 3, 3), post_trans=(6, 3),
                  post_rots=(6, 3, 3), lidar=(20000, 5), lidar_mask=(20000,), car_trans=(3,),
                  yaw_pitch_roll=(3,), sd_map=(1, 200, 400), hd_prior=(4, 200, 400))
    for k, shape in expect.items():
        assert tuple(inp[k].shape) == shape and inp[k].dtype == torch.float32, k
    assert smp['semantic'].shape == (4, 200, 400) and smp['semantic'].dtype == torch.uint8
    assert smp['instance'].shape == (200, 400) and smp['instance'].dtype == torch.int64
    assert smp['direction_index'].shape == (2, 200, 400) and smp['direction_index'].dtype == torch.uint8
    assert int(smp['direction_index'].max()) <= 36
    # foreground pixels carry heading classes, background ones class 0
    fg = smp['semantic'][1:].any(0)
    assert torch.equal(smp['direction_index'][0] > 0, fg) and torch.equal(smp['direction_index'][1] > 0, fg)
    assert torch.equal(smp['semantic'].sum(0) >= 1, torch.ones(200, 400, dtype=torch.bool))
    assert set(torch.unique(inp['sd_map']).tolist()) == {-1.0, 1.0}
    assert smp['location'] == 'boston-seaport' and len(smp['img_paths']) == 6
    assert all(v['pts'].dtype == np.float32 and v['type'] in (0, 1, 2) for v in smp['gt_vectors'])
    assert {v['type'] for v in smp['gt_vectors']} == {0, 1, 2}
    # rotation matrices are orthonormal, LiDAR near points removed (|x|,|y| < 2.2 in the sensor frame)
    rots = inp['rots'].double()
    torch.testing.assert_close(rots @ rots.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(6, 3, 3))
    assert inp['lidar_mask'].sum() > 1000


def test_cached_and_uncached_items_are_identical(synthetic_root, tmp_path):
    kw = dict(version='v1.0-mini', split='train', grid_conf=QUICK_GRID, image_size=(64, 176), max_points=20000,
              hd_prior=dict(mask_ratio=-1, seed=5), test_mode=True)
    cached = NuScenesMapDataset(synthetic_root, cache=True, cache_root=str(tmp_path / 'cache'), **kw)
    uncached = NuScenesMapDataset(synthetic_root, cache=False, **kw)
    assert len(cached) == len(uncached) == 4
    assert os.listdir(tmp_path / 'cache')
    for i in range(len(cached)):
        assert_items_equal(cached[i], uncached[i])
    # a second cached dataset reads the files written by the first
    again = NuScenesMapDataset(synthetic_root, cache=True, cache_root=str(tmp_path / 'cache'), **kw)
    assert_items_equal(again[3], uncached[3])


def test_samples_sorted_by_scene_token_and_timestamp(synthetic_root):
    ds = NuScenesMapDataset(synthetic_root, version='v1.0-mini', split='mini_train', cache=False,
                            load_sd_map=False, test_mode=True)
    keys = [(ds.get_data_info(i)['scene_token'], ds.get_data_info(i)['timestamp']) for i in range(len(ds))]
    assert keys == sorted(keys)
    assert {ds.get_data_info(i)['scene_name'] for i in range(len(ds))} <= {
        'scene-0061', 'scene-0553', 'scene-0655', 'scene-0757', 'scene-0796', 'scene-1077', 'scene-1094',
        'scene-1100'}
    assert ds.index_of(ds.get_data_info(2)['token']) == 2


def test_vectors_equal_devkit_layer_extraction(synthetic_root):
    """Our STRtree-based dividers equal the devkit's full-scan ``_get_layer_line`` clipping."""
    from nuscenes.map_expansion.map_api import NuScenesMap
    ds = NuScenesMapDataset(synthetic_root, version='v1.0-mini', split='train', cache=False, test_mode=True,
                            load_sd_map=False)
    nusc_map = NuScenesMap(dataroot=synthetic_root, map_name='boston-seaport')
    geom = MapGeometry(nusc_map)
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        ours = [v for v in extract_gt_vectors(geom, info['ego2global_translation'], info['ego2global_rotation'],
                                              (30.0, 60.0)) if v['type'] == 0]
        x, y = info['ego2global_translation'][:2]
        angle = patch_angle_deg(info['ego2global_rotation'])
        ref = []
        for layer in ('road_divider', 'lane_divider'):
            for line in nusc_map.explorer._get_layer_line((x, y, 30.0, 60.0), angle, layer):
                for part in line_parts(line):
                    pts = sample_every(part)
                    if len(pts) >= 2:
                        ref.append(pts)
        assert len(ours) == len(ref) > 0
        for a, b in zip(ours, ref):
            np.testing.assert_allclose(a['pts'], b, atol=1e-9)


def test_corrupt_and_outdated_caches_are_rebuilt(city_copy, tmp_path):
    kw = dict(version='v1.0-mini', split='val', grid_conf=QUICK_GRID, load_images=False, load_lidar=False,
              test_mode=True)
    first = NuScenesMapDataset(city_copy, **kw)
    ref = first[1]
    cache_dir = osp.join(city_copy, 'mapkd_cache')
    vec_file = [f for f in os.listdir(cache_dir) if f.startswith('gt_vectors')][0]
    path = osp.join(cache_dir, vec_file)
    with open(path, 'r+b') as fh:  # flip one payload byte
        fh.seek(-10, 2)
        byte = fh.read(1)
        fh.seek(-10, 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CacheError, match='corrupt'):
        _read_any(path)
    rebuilt = NuScenesMapDataset(city_copy, **kw)
    assert_items_equal(rebuilt[1], ref)
    _read_any(path)  # valid again
    # outdated: the map expansion changed after the cache was written
    map_json = osp.join(city_copy, 'maps', 'expansion', 'boston-seaport.json')
    os.utime(map_json, ns=(1, 1))
    with pytest.raises(CacheError, match='outdated'):
        read_cache(path, 'gt_vectors', vectors_key(city_copy, 'v1.0-mini', 'val', BevGrid.from_conf(QUICK_GRID),
                                                   [rebuilt.get_data_info(i) for i in range(len(rebuilt))]))
    assert_items_equal(NuScenesMapDataset(city_copy, **kw)[1], ref)


def _read_any(path):
    """Read a cache with whatever key its header holds (checksum still verified)."""
    import json
    with open(path, 'rb') as fh:
        header = json.loads(fh.readline())
    return read_cache(path, header['kind'], header['key'])


def test_collate_through_mmengine_dataloader(synthetic_root, tmp_path):
    from mmengine.runner import Runner
    from mapkd.utils.setup_env import register_all_modules
    register_all_modules()
    loader = Runner.build_dataloader(dict(
        batch_size=2, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='mapkd_collate'),
        dataset=dict(type='NuScenesMapDataset', data_root=synthetic_root, version='v1.0-mini', split='train',
                     grid_conf=QUICK_GRID, image_size=(64, 176), load_lidar=False, test_mode=True,
                     cache_root=str(tmp_path))))
    batch = next(iter(loader))
    assert batch['inputs']['imgs'].shape == (2, 6, 3, 64, 176)
    assert batch['inputs']['sd_map'].shape == (2, 1, 100, 200)
    assert batch['data_samples']['semantic'].shape == (2, 4, 100, 200)
    assert batch['data_samples']['instance'].dtype == torch.int64
    assert len(batch['data_samples']['token']) == 2 and isinstance(batch['data_samples']['gt_vectors'][0], list)


def test_collate_rejects_mixed_items():
    a = dict(inputs=dict(x=torch.zeros(2)), data_samples=dict(token='a'))
    b = dict(inputs=dict(x=torch.zeros(2), hd_prior=torch.zeros(1)), data_samples=dict(token='b'))
    with pytest.raises(KeyError, match='batch item 1'):
        mapkd_collate([a, b])


def test_preprocessor_turns_compact_items_into_the_official_float_inputs(synthetic_root, tmp_path):
    """uint8 images + MapDataPreprocessor == the dataset's own normalised float images; the dense
    direction target rebuilt on the device == the official per-sample definition."""
    from mapkd.datasets.rasterize import direction_from_index
    from mapkd.models.data_preprocessors import MapDataPreprocessor
    kw = dict(version='v1.0-mini', split='val', grid_conf=QUICK_GRID, image_size=(64, 176), load_lidar=False,
              cache_root=str(tmp_path), test_mode=True)
    compact = NuScenesMapDataset(synthetic_root, **kw)
    normalised = NuScenesMapDataset(synthetic_root, normalize_images=True, **kw)
    items = [compact[0], compact[1]]
    batch = MapDataPreprocessor()(mapkd_collate(items))
    reference = mapkd_collate([normalised[0], normalised[1]])
    assert reference['inputs']['imgs'].dtype == torch.float32
    assert batch['inputs']['imgs'].dtype == torch.float32
    torch.testing.assert_close(batch['inputs']['imgs'], reference['inputs']['imgs'], atol=1e-5, rtol=0)
    smp = batch['data_samples']
    assert 'direction_index' not in smp and smp['semantic'].dtype == torch.float32
    assert smp['direction'].shape == (2, 37, 100, 200)
    for i, item in enumerate(items):
        dense = direction_from_index(item['data_samples']['direction_index'].numpy())
        np.testing.assert_array_equal(smp['direction'][i].numpy(), dense)
        torch.testing.assert_close(smp['direction'][i].sum(0), torch.ones(100, 200))
        torch.testing.assert_close(smp['semantic'][i], item['data_samples']['semantic'].float())
