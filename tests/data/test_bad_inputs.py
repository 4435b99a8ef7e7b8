"""Bad input gives a clear error naming the file, token or value."""
import json
import os
import os.path as osp

import pytest

from mapkd.datasets import NuScenesMapDataset
from mapkd.datasets.errors import (DatasetError, MapExpansionError, MissingDataFileError,
                                   UnreadableFileError)
from mapkd.datasets.map_expansion import MapGeometry
from mapkd.datasets.nuscenes_infos import load_nuscenes, sample_info

KW = dict(version='v1.0-mini', split='val', grid_conf=dict(xbound=[-30.0, 30.0, 0.3], ybound=[-15.0, 15.0, 0.3]),
          image_size=(64, 176), max_points=5000, cache=False, test_mode=True)


def test_wrong_version_string(synthetic_root):
    with pytest.raises(DatasetError, match=r"unknown nuScenes version 'v1\.0-minii'"):
        NuScenesMapDataset(synthetic_root, **{**KW, 'version': 'v1.0-minii'})
    with pytest.raises(MissingDataFileError, match='v1.0-trainval'):
        NuScenesMapDataset(synthetic_root, **{**KW, 'version': 'v1.0-trainval'})
    with pytest.raises(DatasetError, match="unknown split 'training'"):
        NuScenesMapDataset(synthetic_root, **{**KW, 'split': 'training'})


def test_missing_map_expansion(city_copy):
    path = osp.join(city_copy, 'maps', 'expansion', 'boston-seaport.json')
    os.remove(path)
    with pytest.raises(MissingDataFileError, match='boston-seaport.json'):
        MapGeometry.load(city_copy, 'boston-seaport')
    with pytest.raises(MissingDataFileError, match='boston-seaport.json'):
        NuScenesMapDataset(city_copy, **{**KW, 'cache': True})


def test_outdated_map_expansion(city_copy):
    path = osp.join(city_copy, 'maps', 'expansion', 'boston-seaport.json')
    with open(path) as fh:
        data = json.load(fh)
    data['version'] = '1.2'
    with open(path, 'w') as fh:
        json.dump(data, fh)
    with pytest.raises(MapExpansionError, match=r'boston-seaport\.json has version 1\.2.*>= 1\.3'):
        MapGeometry.load(city_copy, 'boston-seaport')


def _first_info(ds):
    return ds.get_data_info(0)


def test_missing_sweep_file(city_copy):
    ds = NuScenesMapDataset(city_copy, **KW)
    sweep = _first_info(ds)['sweeps'][1]['filename']
    os.remove(osp.join(city_copy, sweep))
    with pytest.raises(MissingDataFileError, match=osp.basename(sweep)):
        ds[0]


def test_missing_and_unreadable_image(city_copy):
    ds = NuScenesMapDataset(city_copy, **KW)
    cams = _first_info(ds)['cams']
    os.remove(osp.join(city_copy, cams[2]['filename']))
    with pytest.raises(MissingDataFileError, match=osp.basename(cams[2]['filename'])):
        ds[0]
    bad = osp.join(city_copy, cams[4]['filename'])
    with open(bad, 'r+b') as fh:  # keep the JPEG header, destroy the rest
        fh.seek(200)
        fh.truncate()
    with pytest.raises(UnreadableFileError, match=osp.basename(bad)):
        ds.load_item(dict(_first_info(ds), cams=[cams[4]] * 6), 0)
    with open(bad, 'wb') as fh:
        fh.write(b'not a jpeg at all')
    with pytest.raises(UnreadableFileError, match=osp.basename(bad)):
        ds.load_item(dict(_first_info(ds), cams=[cams[4]] * 6), 0)


def test_unknown_sample_token(synthetic_root):
    nusc = load_nuscenes(synthetic_root, 'v1.0-mini')
    with pytest.raises(DatasetError, match="sample token 'deadbeef' is not in the v1.0-mini tables"):
        sample_info(nusc, 'deadbeef')
    ds = NuScenesMapDataset(synthetic_root, **KW)
    with pytest.raises(DatasetError, match="sample token 'deadbeef' is not in the v1.0-mini mini_val split"):
        ds.index_of('deadbeef')


def test_bad_options(synthetic_root):
    with pytest.raises(ValueError, match='sd_alignment'):
        NuScenesMapDataset(synthetic_root, **{**KW, 'sd_alignment': 'utm'})
    with pytest.raises(TypeError, match='unknown arguments'):
        NuScenesMapDataset(synthetic_root, **{**KW, 'nsweep': 3})
