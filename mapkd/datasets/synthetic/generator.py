"""Generate the whole synthetic nuScenes-format dataset, atomically.

Everything is written into a hidden temporary sibling folder of ``root`` and renamed to
``root`` only when complete, so an interrupted run never leaves a dataset that looks whole.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from .camera_renderer import CameraRenderer
from .ground import GroundRaster, build_ground
from .layout import CityLayout, build_layout
from .lidar_renderer import LidarRenderer
from .map_expansion_writer import build_map_json, write_map_mask_png
from .rig import CAMERA_CHANNELS, LIDAR_CHANNEL, Camera, build_cameras
from .scenes import ScenePlan, data_filename, plan_scenes
from .sd_map_writer import write_sd_map
from .tables import build_tables
from .tokens import TokenFactory

LOCATION = 'boston-seaport'
DEFAULT_VERSION = 'v1.0-mini'
DEFAULT_IMAGE_SIZE = (450, 800)
JPEG_QUALITY = 90
GROUND_RESOLUTION = 0.08
# Bumped whenever the generated files change for the same arguments (written to synthetic_city.json so
# that tools can tell a stale city). 2: LiDAR points in firing order. 3: lane-divider segment types follow the paint.
# 4: the car body pitches and rolls (trajectory.BodyMotion), in the ego poses and in every sensor.
GENERATOR_VERSION = 4
logger = logging.getLogger(__name__)


@dataclass
class _World:
    """What the render workers need (inherited by forked workers, never pickled)."""
    out: Path
    seed: int
    plans: List[ScenePlan]
    cameras: List[Camera]
    camera_renderer: CameraRenderer
    lidar_renderer: LidarRenderer


_WORLD: Optional[_World] = None


def default_val_scenes(scenes: int) -> int:
    """About 20 % of the scenes, at least one (none when there is a single scene)."""
    if scenes < 2:
        return 0
    return min(max(1, int(round(0.2 * scenes))), scenes - 1)


def city_grid_size(scenes: int, samples_per_scene: int) -> int:
    """Intersections per side of the city: bigger datasets get a bigger city."""
    total = scenes * samples_per_scene
    return 3 if total <= 60 else 4 if total <= 1500 else 5


def validate_arguments(root, scenes, samples_per_scene, seed, image_size, val_scenes, version) -> None:
    """Raise ``ValueError`` naming the bad argument."""
    for name, value in (('scenes', scenes), ('samples_per_scene', samples_per_scene)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f'{name} must be a positive integer, got {value!r}')
    if samples_per_scene < 2:
        raise ValueError(f'samples_per_scene must be at least 2 (a scene needs a first and a last sample), '
                         f'got {samples_per_scene}')
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f'seed must be a non-negative integer, got {seed!r}')
    if len(image_size) != 2 or any((not isinstance(v, (int, np.integer))) or v < 16 or v > 1800 for v in image_size):
        raise ValueError(f'image_size must be (H, W) with 16 <= H, W <= 1800 pixels, got {tuple(image_size)!r}')
    if val_scenes is not None and (not isinstance(val_scenes, (int, np.integer)) or not 0 <= val_scenes <= scenes):
        raise ValueError(f'val_scenes must be an integer between 0 and scenes={scenes}, got {val_scenes!r}')
    if not version or '/' in version or version.startswith('.'):
        raise ValueError(f'version must be a plain folder name like v1.0-mini, got {version!r}')
    if version == 'v1.0-mini':
        # the devkit's mini splits list 8 train and 2 val scenes; more would be generated but never loaded
        n_val = default_val_scenes(scenes) if val_scenes is None else val_scenes
        if scenes - n_val > 8 or n_val > 2:
            raise ValueError(f'v1.0-mini lists at most 8 train and 2 val scenes (devkit mini_train/mini_val); '
                             f'asked for {scenes - n_val} train and {n_val} val: use version v1.0-trainval '
                             '(--version v1.0-trainval) for a bigger city')
    if str(root).strip() == '':
        raise ValueError('root must be a folder path, got an empty string')


def _prepare_target(root: Path, overwrite: bool) -> Path:
    """Check ``root`` can be (re)written; return the temporary sibling folder to write into."""
    if root.exists() and not root.is_dir():
        raise FileExistsError(f'root {root} exists and is not a folder')
    if root.exists() and any(root.iterdir()) and not overwrite:
        raise FileExistsError(f'root {root} exists and is not empty; pass --overwrite (overwrite=True) to replace it')
    parent = root.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PermissionError(f'cannot create the parent folder {parent} of root: {exc.strerror}') from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f'cannot write into {parent} (the folder that will hold root {root.name})')
    tmp = parent / f'.{root.name}.partial-{os.getpid()}'
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    return tmp


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=1, ensure_ascii=True)
        f.write('\n')


def _render_scene(scene_index: int) -> Dict[int, Dict[int, int]]:
    """Render and write all sensor files of one scene; return LiDAR point counts per car per sample."""
    world = _WORLD
    plan = world.plans[scene_index]
    times = np.array([f.time for f in plan.frames])
    xs, ys, yaws = plan.drive.pose(times)
    pitches, rolls = plan.body.tilt(times)
    counts: Dict[int, Dict[int, int]] = {}
    for n, f in enumerate(plan.frames):
        rng = np.random.default_rng([world.seed, 100, scene_index, f.index + 1000])
        pose = dict(x=float(xs[n]), y=float(ys[n]), yaw=float(yaws[n]))
        tilt = dict(pitch=float(pitches[n]), roll=float(rolls[n]))
        pts, obj = world.lidar_renderer.sweep(**pose, rng=rng, **tilt)
        _write_bytes(world.out / data_filename(plan, LIDAR_CHANNEL, f.timestamp, f.is_key), pts.tobytes())
        if not f.is_key:
            continue
        ids, num = np.unique(obj[obj >= 0], return_counts=True)
        counts[f.sample] = {int(i): int(c) for i, c in zip(ids, num)}
        images = world.camera_renderer.render(**pose, rng=rng, exposure=plan.exposure, **tilt)
        for cam, img in zip(world.cameras, images):
            ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY,
                                                 cv2.IMWRITE_JPEG_OPTIMIZE, 0, cv2.IMWRITE_JPEG_PROGRESSIVE, 0])
            if not ok:
                raise RuntimeError(f'JPEG encoding failed for scene {plan.name} {cam.channel}')
            _write_bytes(world.out / data_filename(plan, cam.channel, f.timestamp, True), buf.tobytes())
    return counts


def generate_city(root, scenes: int = 10, samples_per_scene: int = 40, seed: int = 0,
                  image_size: Sequence[int] = DEFAULT_IMAGE_SIZE, val_scenes: Optional[int] = None,
                  overwrite: bool = False, version: str = DEFAULT_VERSION, workers: Optional[int] = None) -> Path:
    """Generate a synthetic nuScenes-format city dataset at ``root``; return its path.

    ``image_size`` is the (H, W) of the JPEGs (intrinsics scaled from 1600 x 900).
    ``val_scenes`` defaults to about 20 % of ``scenes``. Raises ``ValueError`` for bad
    arguments, ``FileExistsError`` / ``PermissionError`` for an unusable ``root``.
    """
    global _WORLD
    image_size = tuple(int(v) if isinstance(v, (int, np.integer)) else v for v in image_size)
    validate_arguments(root, scenes, samples_per_scene, seed, image_size, val_scenes, version)
    val_scenes = default_val_scenes(scenes) if val_scenes is None else int(val_scenes)
    root = Path(root).expanduser().absolute()
    workers = max(1, min(workers or min(2, os.cpu_count() or 1), scenes))
    start = time.time()
    tmp = _prepare_target(root, overwrite)
    done = False
    try:
        tok = TokenFactory(seed)
        layout: CityLayout = build_layout(seed, grid=city_grid_size(scenes, samples_per_scene))
        ground: GroundRaster = build_ground(layout, GROUND_RESOLUTION)
        plans = plan_scenes(layout, seed, scenes, samples_per_scene, val_scenes, version)
        cameras = build_cameras(image_size)
        sun = float(np.random.default_rng([seed, 4]).uniform(0, 2 * np.pi))
        _WORLD = _World(tmp, seed, plans, cameras, CameraRenderer(cameras, ground, layout.boxes, sun, seed),
                        LidarRenderer(ground, layout.boxes))
        logger.info('city built in %.1f s (%d intersections, %d boxes); rendering %d scenes x %d samples '
                    'with %d worker(s)', time.time() - start, len(layout.nodes), len(layout.boxes), scenes,
                    samples_per_scene, workers)
        canvas = (layout.bounds[2] + 50.0, layout.bounds[3] + 50.0)
        _write_json(tmp / 'maps' / 'expansion' / f'{LOCATION}.json', build_map_json(layout, tok, canvas))
        write_map_mask_png(str(tmp / 'maps' / f'{tok.make("map", LOCATION)}.png'), layout, canvas)
        write_sd_map(str(tmp / 'osm'), layout, LOCATION)
        for ch in CAMERA_CHANNELS + [LIDAR_CHANNEL]:
            (tmp / 'samples' / ch).mkdir(parents=True, exist_ok=True)
        (tmp / 'sweeps' / LIDAR_CHANNEL).mkdir(parents=True, exist_ok=True)
        if workers > 1:
            with multiprocessing.get_context('fork').Pool(workers) as pool:
                results = pool.map(_render_scene, range(scenes), chunksize=1)
        else:
            results = [_render_scene(i) for i in range(scenes)]
        car_points = dict(enumerate(results))
        tables = build_tables(tok, layout, plans, cameras, car_points, LOCATION)
        for name, records in tables.items():
            _write_json(tmp / version / f'{name}.json', records)
        _write_json(tmp / 'synthetic_city.json', {
            'generator': 'mapkd.datasets.synthetic', 'generator_version': GENERATOR_VERSION, 'seed': seed, 'scenes': scenes,
            'samples_per_scene': samples_per_scene, 'val_scenes': val_scenes, 'image_size': list(image_size),
            'version': version, 'location': LOCATION,
            'split': {'train': [p.name for p in plans if p.split == 'train'],
                      'val': [p.name for p in plans if p.split == 'val']}})
        _swap_into_place(tmp, root)
        done = True
    finally:
        _WORLD = None
        if not done and tmp.exists():
            shutil.rmtree(tmp)
    logger.info('wrote %s in %.1f s', root, time.time() - start)
    return root


def _swap_into_place(tmp: Path, root: Path) -> None:
    """Rename the finished temporary folder to ``root`` (replacing an old one)."""
    old = None
    if root.exists():
        old = root.parent / f'.{root.name}.old-{os.getpid()}'
        os.rename(root, old)
    os.rename(tmp, root)
    if old is not None:
        shutil.rmtree(old)
