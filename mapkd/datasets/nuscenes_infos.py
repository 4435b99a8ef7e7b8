"""Per-sample info records built from the nuScenes tables (devkit ``NuScenes``).

An info holds everything a sample needs at training time: tokens, location, timestamp, the
LIDAR_TOP ego pose, the 6 cameras' files and calibration (official CAMS order) and up to
``MAX_SWEEPS`` LiDAR sweeps (keyframe first, following ``prev``) with their transforms.
Samples are the keyframes of the split's scenes sorted by (scene_token, timestamp), as official.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Sequence

from .constants import CAMS, SPLIT_ALIASES, VERSIONS
from .errors import DatasetError, MissingDataFileError

MAX_SWEEPS = 10
_TABLES = ('scene', 'sample', 'sample_data', 'ego_pose', 'calibrated_sensor', 'log', 'sensor')


def check_version(data_root: str, version: str) -> None:
    """Clear errors for an unknown version string or a missing table folder."""
    if version not in VERSIONS:
        raise DatasetError(f'unknown nuScenes version {version!r}; expected one of {", ".join(VERSIONS)}')
    folder = osp.join(data_root, version)
    if not osp.isdir(folder):
        raise MissingDataFileError(f'nuScenes table folder {folder} not found (version {version!r} '
                                   f'under data_root {data_root!r})')


def resolve_split(version: str, split: str) -> str:
    """Canonical devkit split name (on v1.0-mini 'train'/'val' mean 'mini_train'/'mini_val')."""
    from nuscenes.utils.splits import create_splits_scenes
    name = SPLIT_ALIASES.get(version, {}).get(split, split)
    splits = create_splits_scenes()
    if name not in splits:
        raise DatasetError(f'unknown split {split!r} for {version}; choose from {sorted(splits)}')
    return name


def split_scene_names(version: str, split: str) -> List[str]:
    from nuscenes.utils.splits import create_splits_scenes
    return list(create_splits_scenes()[resolve_split(version, split)])


def tables_fingerprint(data_root: str, version: str) -> List:
    """(table, size, mtime) of the JSON tables the infos come from: part of the cache key."""
    out = []
    for name in _TABLES:
        path = osp.join(data_root, version, f'{name}.json')
        if not osp.isfile(path):
            raise MissingDataFileError(f'nuScenes table {path} not found')
        st = os.stat(path)
        out.append((name, st.st_size, st.st_mtime_ns))
    return out


def load_nuscenes(data_root: str, version: str):
    from nuscenes import NuScenes
    check_version(data_root, version)
    return NuScenes(version=version, dataroot=data_root, verbose=False)


def _get(nusc, table: str, token: str) -> dict:
    try:
        return nusc.get(table, token)
    except KeyError as exc:
        raise DatasetError(f'{table} token {token!r} is not in the {nusc.version} tables of '
                           f'{nusc.dataroot}') from exc


def sample_info(nusc, sample_token: str) -> Dict:
    """Info record of one sample; a clear error if the token is not in the tables."""
    sample = _get(nusc, 'sample', sample_token)
    scene = _get(nusc, 'scene', sample['scene_token'])
    log = _get(nusc, 'log', scene['log_token'])
    if 'LIDAR_TOP' not in sample['data']:
        raise DatasetError(f'sample {sample_token!r} has no LIDAR_TOP data')
    lidar_sd = _get(nusc, 'sample_data', sample['data']['LIDAR_TOP'])
    ego = _get(nusc, 'ego_pose', lidar_sd['ego_pose_token'])
    cams = []
    for cam in CAMS:
        if cam not in sample['data']:
            raise DatasetError(f'sample {sample_token!r} has no {cam} image')
        sd = _get(nusc, 'sample_data', sample['data'][cam])
        calib = _get(nusc, 'calibrated_sensor', sd['calibrated_sensor_token'])
        cams.append(dict(channel=cam, filename=sd['filename'], width=sd.get('width'), height=sd.get('height'),
                         sensor2ego_translation=list(calib['translation']),
                         sensor2ego_rotation=list(calib['rotation']),
                         intrinsic=[list(r) for r in calib['camera_intrinsic']]))
    sweeps = []
    sd = lidar_sd
    while len(sweeps) < MAX_SWEEPS:
        calib = _get(nusc, 'calibrated_sensor', sd['calibrated_sensor_token'])
        pose = _get(nusc, 'ego_pose', sd['ego_pose_token'])
        sweeps.append(dict(filename=sd['filename'], timestamp=int(sd['timestamp']),
                           sensor2ego_translation=list(calib['translation']),
                           sensor2ego_rotation=list(calib['rotation']),
                           ego2global_translation=list(pose['translation']),
                           ego2global_rotation=list(pose['rotation'])))
        if sd['prev'] == '':
            break
        sd = _get(nusc, 'sample_data', sd['prev'])
    return dict(token=sample['token'], scene_token=sample['scene_token'], scene_name=scene['name'],
                location=log['location'], timestamp=int(sample['timestamp']),
                ego2global_translation=list(ego['translation']), ego2global_rotation=list(ego['rotation']),
                cams=cams, sweeps=sweeps)


def build_infos(nusc, scene_names: Sequence[str]) -> List[Dict]:
    """Infos of every keyframe of the named scenes, sorted by (scene_token, timestamp)."""
    wanted = set(scene_names)
    samples = [s for s in nusc.sample if _get(nusc, 'scene', s['scene_token'])['name'] in wanted]
    samples.sort(key=lambda s: (s['scene_token'], s['timestamp']))
    return [sample_info(nusc, s['token']) for s in samples]
