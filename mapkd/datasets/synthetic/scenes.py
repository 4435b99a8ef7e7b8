"""Scene plan: names and split from the devkit, timestamps, sensor frames and file names."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

import numpy as np
from nuscenes.utils.splits import create_splits_scenes

from .layout import CityLayout
from .trajectory import BodyMotion, Drive, plan_body_motion, plan_drive

KEYFRAME_HZ = 2
LIDAR_HZ = 10                         # nuScenes spins at 20 Hz; 10 Hz halves the LiDAR work
SWEEPS_PER_KEYFRAME = LIDAR_HZ // KEYFRAME_HZ
LEAD_SWEEPS = SWEEPS_PER_KEYFRAME - 1  # sweeps recorded before the first keyframe
FIRST_TIMESTAMP = 1533151603547590     # microseconds, like nuScenes (2018-08-01)


@dataclass
class LidarFrame:
    index: int          # frame number; keyframes at multiples of SWEEPS_PER_KEYFRAME, from 0
    timestamp: int
    time: float         # seconds from the first keyframe
    is_key: bool
    sample: int         # the keyframe (sample index) this frame belongs to


@dataclass
class ScenePlan:
    index: int
    name: str
    split: str          # 'train' | 'val'
    logfile: str
    drive: Drive
    frames: List[LidarFrame]
    samples: int
    exposure: float
    body: BodyMotion

    def keyframe_time(self, sample: int) -> float:
        return sample / KEYFRAME_HZ

    def keyframe_timestamp(self, sample: int) -> int:
        return self.frames[LEAD_SWEEPS + sample * SWEEPS_PER_KEYFRAME].timestamp


def scene_names(scenes: int, val_scenes: int, version: str = 'v1.0-mini') -> List[Tuple[str, str]]:
    """(name, split) per scene, named so that the devkit puts each scene in the split it was made for.

    On ``v1.0-mini`` the names come from ``mini_train`` / ``mini_val`` first (then other train /
    val names, which the mini splits do not list); on every other version from the devkit's
    ``train`` / ``val``, mini scenes first where they belong to that split (two ``mini_train``
    scenes, scene-0553 and scene-0796, are in the devkit's ``val``: they must not be training
    scenes of a v1.0-trainval city). Train scenes come first, then val scenes.
    """
    splits = create_splits_scenes()
    if version == 'v1.0-mini':
        first_train, first_val = list(splits['mini_train']), list(splits['mini_val'])
    else:
        train, val = set(splits['train']), set(splits['val'])
        first_train = [n for n in splits['mini_train'] + splits['mini_val'] if n in train]
        first_val = [n for n in splits['mini_val'] + splits['mini_train'] if n in val]
    train_names = first_train + [n for n in splits['train'] if n not in first_train and n not in first_val]
    val_names = first_val + [n for n in splits['val'] if n not in first_val and n not in first_train]
    n_train = scenes - val_scenes
    if n_train > len(train_names) or val_scenes > len(val_names):
        raise ValueError(f'at most {len(train_names)} train and {len(val_names)} val scenes are possible; '
                         f'asked for {n_train} train and {val_scenes} val')
    return [(n, 'train') for n in train_names[:n_train]] + [(n, 'val') for n in val_names[:val_scenes]]


def plan_scenes(layout: CityLayout, seed: int, scenes: int, samples: int, val_scenes: int,
                version: str = 'v1.0-mini') -> List[ScenePlan]:
    """Drives, frame times and names of all scenes."""
    plans = []
    duration = (samples - 1) / KEYFRAME_HZ
    lead = LEAD_SWEEPS / LIDAR_HZ
    for i, (name, split) in enumerate(scene_names(scenes, val_scenes, version)):
        rng = np.random.default_rng([seed, 10, i])
        drive = plan_drive(layout, rng, duration, lead)
        start = FIRST_TIMESTAMP + i * 120_000_000 + int(rng.integers(0, 1000))
        frames = []
        for k in range(-LEAD_SWEEPS, (samples - 1) * SWEEPS_PER_KEYFRAME + 1):
            sample = min(max((k + SWEEPS_PER_KEYFRAME // 2) // SWEEPS_PER_KEYFRAME, 0), samples - 1)
            frames.append(LidarFrame(k, start + k * (1_000_000 // LIDAR_HZ), k / LIDAR_HZ,
                                     k % SWEEPS_PER_KEYFRAME == 0 and k >= 0, sample))
        logfile = f'synthetic-s{seed}-{i:04d}'
        exposure = float(rng.uniform(0.85, 1.12))
        body = plan_body_motion(np.random.default_rng([seed, 12, i]))
        plans.append(ScenePlan(i, name, split, logfile, drive, frames, samples, exposure, body))
    return plans


def data_filename(plan: ScenePlan, channel: str, timestamp: int, is_key: bool) -> str:
    """Relative path of one sensor file, in the nuScenes naming scheme."""
    folder = 'samples' if is_key else 'sweeps'
    ext = 'pcd.bin' if channel.startswith('LIDAR') else 'jpg'
    return f'{folder}/{channel}/{plan.logfile}__{channel}__{timestamp}.{ext}'
