"""Build the nuScenes tables (v1.0 schema) of the synthetic dataset."""
from __future__ import annotations

from typing import Dict, List

import numpy as np

from .geometry import yaw_to_quaternion, ypr_to_quaternion
from .layout import CityLayout
from .rig import CAMERA_CHANNELS, LIDAR_CHANNEL, LIDAR_ROTATION, LIDAR_TRANSLATION, Camera
from .scenes import LEAD_SWEEPS, SWEEPS_PER_KEYFRAME, ScenePlan, data_filename
from .tokens import TokenFactory

CATEGORIES = [
    ('human.pedestrian.adult', 'Adult subcategory.'), ('human.pedestrian.child', 'Child subcategory.'),
    ('human.pedestrian.wheelchair', 'Wheelchairs.'), ('human.pedestrian.stroller', 'Strollers.'),
    ('human.pedestrian.personal_mobility', 'Small electric or self-propelled vehicles.'),
    ('human.pedestrian.police_officer', 'Police officer.'),
    ('human.pedestrian.construction_worker', 'Construction worker.'), ('animal', 'All animals.'),
    ('vehicle.car', 'Vehicle designed primarily for personal use.'), ('vehicle.motorcycle', 'Motorcycles.'),
    ('vehicle.bicycle', 'Bicycles.'), ('vehicle.bus.bendy', 'Bendy bus.'), ('vehicle.bus.rigid', 'Rigid bus.'),
    ('vehicle.truck', 'Trucks.'), ('vehicle.construction', 'Construction vehicles.'),
    ('vehicle.emergency.ambulance', 'Ambulances.'), ('vehicle.emergency.police', 'Police vehicles.'),
    ('vehicle.trailer', 'Trailers.'), ('movable_object.barrier', 'Barriers.'),
    ('movable_object.trafficcone', 'Traffic cones.'), ('movable_object.pushable_pullable', 'Carts, dollies.'),
    ('movable_object.debris', 'Debris.'), ('static_object.bicycle_rack', 'Bicycle racks.'),
]
ATTRIBUTES = [
    ('vehicle.moving', 'Vehicle is moving.'), ('vehicle.stopped', 'Vehicle is stationary, driver inside.'),
    ('vehicle.parked', 'Vehicle is stationary, no driver.'), ('cycle.with_rider', 'There is a rider.'),
    ('cycle.without_rider', 'There is no rider.'), ('pedestrian.sitting_lying_down', 'Sitting or lying.'),
    ('pedestrian.standing', 'Standing.'), ('pedestrian.moving', 'Moving.'),
]
VISIBILITY = [('1', 'v0-40'), ('2', 'v40-60'), ('3', 'v60-80'), ('4', 'v80-100')]
ANNOTATION_RADIUS = 50.0


def _visibility(points: int) -> str:
    """Rough visibility level from the number of LiDAR points on the object."""
    return '4' if points >= 40 else '3' if points >= 15 else '2' if points >= 5 else '1'


def build_tables(tok: TokenFactory, layout: CityLayout, plans: List[ScenePlan], cameras: List[Camera],
                 car_points: Dict[int, Dict[int, Dict[int, int]]], location: str) -> Dict[str, list]:
    """All 13 tables. ``car_points[scene][sample][car_id]`` = LiDAR points on the parked car."""
    t: Dict[str, list] = {name: [] for name in ('category', 'attribute', 'visibility', 'instance', 'sensor',
                                                'calibrated_sensor', 'ego_pose', 'log', 'scene', 'sample',
                                                'sample_data', 'sample_annotation', 'map')}
    for name, desc in CATEGORIES:
        t['category'].append({'token': tok.make('category', name), 'name': name, 'description': desc})
    for name, desc in ATTRIBUTES:
        t['attribute'].append({'token': tok.make('attribute', name), 'name': name, 'description': desc})
    for token, level in VISIBILITY:
        t['visibility'].append({'token': token, 'level': level, 'description': f'visibility of {level[1:]} %'})
    channels = CAMERA_CHANNELS + [LIDAR_CHANNEL]
    for ch in channels:
        t['sensor'].append({'token': tok.make('sensor', ch), 'channel': ch,
                            'modality': 'lidar' if ch == LIDAR_CHANNEL else 'camera'})
    cam_by_channel = {c.channel: c for c in cameras}
    log_tokens = []
    for plan in plans:
        log_token = tok.make('log', plan.index)
        log_tokens.append(log_token)
        t['log'].append({'token': log_token, 'logfile': plan.logfile, 'vehicle': 'n015',
                         'date_captured': '2018-08-01', 'location': location})
        calib = {}
        for ch in channels:
            calib[ch] = tok.make('calibrated_sensor', plan.index, ch)
            if ch == LIDAR_CHANNEL:
                rec = {'translation': LIDAR_TRANSLATION, 'rotation': LIDAR_ROTATION, 'camera_intrinsic': []}
            else:
                cam = cam_by_channel[ch]
                rec = {'translation': [float(v) for v in cam.translation], 'rotation': cam.quaternion,
                       'camera_intrinsic': [[float(v) for v in row] for row in cam.intrinsic]}
            t['calibrated_sensor'].append({'token': calib[ch], 'sensor_token': tok.make('sensor', ch), **rec})
        _scene_tables(t, tok, layout, plan, log_token, calib, cameras, car_points.get(plan.index, {}))
    t['map'].append({'token': tok.make('map', location), 'log_tokens': log_tokens, 'category': 'semantic_prior',
                     'filename': f'maps/{tok.make("map", location)}.png'})
    return t


def _ego_pose(t, token: str, timestamp: int, x: float, y: float, yaw: float, pitch: float, roll: float) -> None:
    t['ego_pose'].append({'token': token, 'timestamp': timestamp, 'rotation': ypr_to_quaternion(yaw, pitch, roll),
                          'translation': [float(x), float(y), 0.0]})


def _scene_tables(t, tok: TokenFactory, layout: CityLayout, plan: ScenePlan, log_token: str, calib: dict,
                  cameras: List[Camera], car_points: Dict[int, Dict[int, int]]) -> None:
    sc = plan.index
    scene_token = tok.make('scene', sc)
    sample_tokens = [tok.make('sample', sc, j) for j in range(plan.samples)]
    t['scene'].append({'token': scene_token, 'log_token': log_token, 'nbr_samples': plan.samples,
                       'first_sample_token': sample_tokens[0], 'last_sample_token': sample_tokens[-1],
                       'name': plan.name, 'description': f'Synthetic city drive {sc} ({plan.split}), seed {tok.seed}'})
    for j, st in enumerate(sample_tokens):
        t['sample'].append({'token': st, 'timestamp': plan.keyframe_timestamp(j), 'scene_token': scene_token,
                            'prev': sample_tokens[j - 1] if j > 0 else '',
                            'next': sample_tokens[j + 1] if j + 1 < plan.samples else ''})
    # LiDAR chain (keyframes and sweeps)
    times = np.array([f.time for f in plan.frames])
    xs, ys, yaws = plan.drive.pose(times)
    pitches, rolls = plan.body.tilt(times)
    lidar_tokens = [tok.make('sample_data', sc, 'LIDAR_TOP', f.index) for f in plan.frames]
    for n, f in enumerate(plan.frames):
        ego = tok.make('ego_pose', sc, 'LIDAR_TOP', f.index)
        _ego_pose(t, ego, f.timestamp, xs[n], ys[n], yaws[n], pitches[n], rolls[n])
        t['sample_data'].append({
            'token': lidar_tokens[n], 'sample_token': sample_tokens[f.sample], 'ego_pose_token': ego,
            'calibrated_sensor_token': calib['LIDAR_TOP'], 'timestamp': f.timestamp, 'fileformat': 'pcd',
            'is_key_frame': f.is_key, 'height': 0, 'width': 0,
            'filename': data_filename(plan, 'LIDAR_TOP', f.timestamp, f.is_key),
            'prev': lidar_tokens[n - 1] if n > 0 else '', 'next': lidar_tokens[n + 1] if n + 1 < len(plan.frames) else ''})
    # cameras: one image per keyframe
    key_frames = [f for f in plan.frames if f.is_key]
    for cam in cameras:
        tokens = [tok.make('sample_data', sc, cam.channel, f.index) for f in key_frames]
        for n, f in enumerate(key_frames):
            k = LEAD_SWEEPS + f.index
            ego = tok.make('ego_pose', sc, cam.channel, f.index)
            _ego_pose(t, ego, f.timestamp, xs[k], ys[k], yaws[k], pitches[k], rolls[k])
            t['sample_data'].append({
                'token': tokens[n], 'sample_token': sample_tokens[f.sample], 'ego_pose_token': ego,
                'calibrated_sensor_token': calib[cam.channel], 'timestamp': f.timestamp, 'fileformat': 'jpg',
                'is_key_frame': True, 'height': cam.size[0], 'width': cam.size[1],
                'filename': data_filename(plan, cam.channel, f.timestamp, True),
                'prev': tokens[n - 1] if n > 0 else '', 'next': tokens[n + 1] if n + 1 < len(key_frames) else ''})
    _annotations(t, tok, layout, plan, sample_tokens, xs, ys, car_points)


def _annotations(t, tok: TokenFactory, layout: CityLayout, plan: ScenePlan, sample_tokens, xs, ys,
                 car_points: Dict[int, Dict[int, int]]) -> None:
    """Parked cars within 50 m of the ego with at least one LiDAR point, chained per instance."""
    sc = plan.index
    per_car: Dict[int, List[int]] = {}
    for j in range(plan.samples):
        k = LEAD_SWEEPS + j * SWEEPS_PER_KEYFRAME
        for car in layout.parked_cars:
            pts = car_points.get(j, {}).get(car['id'], 0)
            if pts > 0 and np.hypot(car['cx'] - xs[k], car['cy'] - ys[k]) <= ANNOTATION_RADIUS:
                per_car.setdefault(car['id'], []).append(j)
    car_category = tok.make('category', 'vehicle.car')
    parked = tok.make('attribute', 'vehicle.parked')
    for car_id in sorted(per_car):
        car = layout.parked_cars[car_id]
        samples = per_car[car_id]
        inst = tok.make('instance', sc, car_id)
        ann = [tok.make('sample_annotation', sc, car_id, j) for j in samples]
        t['instance'].append({'token': inst, 'category_token': car_category, 'nbr_annotations': len(ann),
                              'first_annotation_token': ann[0], 'last_annotation_token': ann[-1]})
        for n, j in enumerate(samples):
            pts = car_points[j][car_id]
            t['sample_annotation'].append({
                'token': ann[n], 'sample_token': sample_tokens[j], 'instance_token': inst,
                'visibility_token': _visibility(pts), 'attribute_tokens': [parked],
                'translation': [car['cx'], car['cy'], car['z']], 'size': [car['width'], car['length'], car['height']],
                'rotation': yaw_to_quaternion(car['yaw']), 'prev': ann[n - 1] if n > 0 else '',
                'next': ann[n + 1] if n + 1 < len(ann) else '', 'num_lidar_pts': int(pts), 'num_radar_pts': 0})
