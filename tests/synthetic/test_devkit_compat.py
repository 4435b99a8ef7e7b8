"""The synthetic city is read by nuscenes-devkit exactly like real nuScenes."""
import os

import numpy as np
import pytest
import shapely
from nuscenes import NuScenes
from nuscenes.map_expansion.map_api import NuScenesMap
from nuscenes.utils.data_classes import LidarPointCloud
from nuscenes.utils.splits import create_splits_scenes
from pyquaternion import Quaternion
from shapely.geometry import Point
from shapely.ops import unary_union

CHANNELS = ['CAM_FRONT', 'CAM_FRONT_RIGHT', 'CAM_FRONT_LEFT', 'CAM_BACK', 'CAM_BACK_LEFT', 'CAM_BACK_RIGHT',
            'LIDAR_TOP']
MAP_LAYERS = ['node', 'line', 'polygon', 'drivable_area', 'road_segment', 'road_block', 'lane', 'ped_crossing',
              'walkway', 'stop_line', 'carpark_area', 'road_divider', 'lane_divider', 'traffic_light',
              'arcline_path_3', 'connectivity', 'canvas_edge']


@pytest.fixture(scope='module')
def nusc(synthetic_root):
    return NuScenes(version='v1.0-mini', dataroot=synthetic_root, verbose=False)


@pytest.fixture(scope='module')
def nusc_map(synthetic_root):
    return NuScenesMap(dataroot=synthetic_root, map_name='boston-seaport')


def _ego_pose(nusc, sample, channel='LIDAR_TOP'):
    sd = nusc.get('sample_data', sample['data'][channel])
    return nusc.get('ego_pose', sd['ego_pose_token'])


def test_tables_load_with_full_rig_and_split(nusc):
    assert len(nusc.scene) == 2 and len(nusc.sample) == 8
    for sample in nusc.sample:
        assert sorted(sample['data']) == sorted(CHANNELS)
        for ch in CHANNELS:
            assert os.path.isfile(nusc.get_sample_data_path(sample['data'][ch]))
    names = {s['name'] for s in nusc.scene}
    splits = create_splits_scenes()
    train = [n for n in splits['mini_train'] if n in names]
    val = [n for n in splits['mini_val'] if n in names]
    assert len(train) == 1 and len(val) == 1
    # keyframes at 2 Hz, LiDAR sweeps at 10 Hz in between
    ts = sorted(s['timestamp'] for s in nusc.sample if s['scene_token'] == nusc.scene[0]['token'])
    assert set(np.diff(ts)) == {500000}
    sweeps = [sd for sd in nusc.sample_data if sd['channel'] == 'LIDAR_TOP' and not sd['is_key_frame']]
    assert len(sweeps) >= 2 * 3
    cam = nusc.get('calibrated_sensor', nusc.get('sample_data', nusc.sample[0]['data']['CAM_FRONT'])
                   ['calibrated_sensor_token'])
    k = np.array(cam['camera_intrinsic'])
    assert k.shape == (3, 3) and abs(k[0, 0] - 1266.417 * 400 / 1600) < 1e-3
    assert nusc.get('log', nusc.scene[0]['log_token'])['location'] == 'boston-seaport'
    assert nusc.map[0]['mask'].mask().max() == 255


def test_annotations_are_parked_cars(nusc):
    assert len(nusc.sample_annotation) > 0
    for ann in nusc.sample_annotation:
        assert ann['category_name'] == 'vehicle.car'
        assert ann['num_lidar_pts'] > 0
        _, boxes, _ = nusc.get_sample_data(nusc.get('sample', ann['sample_token'])['data']['LIDAR_TOP'],
                                           selected_anntokens=[ann['token']])
        assert len(boxes) == 1


def test_map_expansion_layers_and_geometry(synthetic_root, nusc, nusc_map):
    import json
    with open(os.path.join(synthetic_root, 'maps', 'expansion', 'boston-seaport.json')) as f:
        raw = json.load(f)
    assert raw['version'] >= '1.3'
    assert all(layer in raw for layer in MAP_LAYERS)
    for layer in ('lane', 'road_segment', 'ped_crossing', 'road_divider', 'lane_divider', 'walkway', 'stop_line',
                  'carpark_area', 'traffic_light'):
        assert len(getattr(nusc_map, layer)) > 0, layer
    for sample in nusc.sample:
        pose = _ego_pose(nusc, sample)
        x, y = pose['translation'][:2]
        yaw = np.degrees(Quaternion(pose['rotation']).yaw_pitch_roll[0])
        patch = (x, y, 30.0, 60.0)
        assert nusc_map.explorer._get_layer_line(patch, yaw, 'road_divider')
        assert nusc_map.explorer._get_layer_polygon(patch, yaw, 'road_segment')
        geoms = dict(nusc_map.get_map_geom(patch, yaw, ['road_divider', 'lane_divider', 'ped_crossing', 'lane']))
        assert geoms['lane']
        # the ego drives on the drivable area
        assert nusc_map.layers_on_point(x, y)['drivable_area'] != ''
    for poly in nusc_map.polygon[:200]:
        assert nusc_map.extract_polygon(poly['token']).is_valid
    assert len(nusc_map.discretize_centerlines(1.0)) == len(nusc_map.lane)
    ped = [nusc_map.extract_polygon(p['polygon_token']) for p in nusc_map.ped_crossing]
    assert all(abs(p.area - 4.0 * (p.length / 2 - 4.0)) < 0.2 * p.area for p in ped)   # 4 m deep zebras
    # lane-divider segment types follow the paint: solid near both junctions, dashed in between
    seen = set()
    for divider in nusc_map.lane_divider:
        nodes = nusc_map.get('line', divider['line_token'])['node_tokens']
        kinds = [seg['segment_type'] for seg in divider['lane_divider_segments']]
        assert [seg['node_token'] for seg in divider['lane_divider_segments']] == nodes
        assert kinds[0] == 'SINGLE_SOLID_WHITE' and kinds[-2] == 'SINGLE_SOLID_WHITE' and kinds[-1] == 'NIL'
        seen.update(kinds)
    assert seen == {'SINGLE_SOLID_WHITE', 'DOUBLE_DASHED_WHITE', 'NIL'}


def _keyframe_lidar_in_ego(nusc, sample):
    """The keyframe LiDAR sweep of ``sample`` in the ego frame, and its ego pose."""
    sd = nusc.get('sample_data', sample['data']['LIDAR_TOP'])
    cs = nusc.get('calibrated_sensor', sd['calibrated_sensor_token'])
    pts = LidarPointCloud.from_file(nusc.get_sample_data_path(sd['token']))
    pts.rotate(Quaternion(cs['rotation']).rotation_matrix)
    pts.translate(np.array(cs['translation']))
    return pts, nusc.get('ego_pose', sd['ego_pose_token'])


def test_multisweep_lidar_and_paint_intensity(nusc, nusc_map):
    sample = nusc.sample[3]
    pc, times = LidarPointCloud.from_file_multisweep(nusc, sample, 'LIDAR_TOP', 'LIDAR_TOP', nsweeps=3)
    assert pc.points.shape[0] == 4 and pc.points.shape[1] > 50000
    assert len(np.unique(np.round(times, 3))) == 3
    # single keyframe sweep in the global frame
    pts, pose = _keyframe_lidar_in_ego(nusc, sample)
    pts.rotate(Quaternion(pose['rotation']).rotation_matrix)
    pts.translate(np.array(pose['translation']))
    xyz, intensity = pts.points[:3].T, pts.points[3]
    near = np.hypot(xyz[:, 0] - pose['translation'][0], xyz[:, 1] - pose['translation'][1]) < 25
    x, y = pose['translation'][:2]
    lines = [nusc_map.extract_line(r['line_token']) for r in nusc_map.road_divider + nusc_map.lane_divider]
    lines = unary_union([ln for ln in lines if ln.distance(Point(x, y)) < 40])
    roads = unary_union([nusc_map.extract_polygon(r['polygon_token']) for r in nusc_map.road_segment])
    walks = unary_union([nusc_map.extract_polygon(r['polygon_token']) for r in nusc_map.walkway])
    sel = np.nonzero(near)[0]
    px, py = xyz[sel, 0], xyz[sel, 1]
    d_line = shapely.distance(lines, shapely.points(px, py))
    in_road = shapely.contains_xy(roads, px, py)
    in_walk = shapely.contains_xy(walks.buffer(-0.3), px, py)
    z = xyz[sel, 2]
    on_paint = (d_line < 0.05) & in_road
    asphalt = (d_line > 1.0) & in_road & (z < 0.1)
    assert on_paint.sum() >= 5 and asphalt.sum() >= 100
    assert np.median(intensity[sel][on_paint]) > 4 * np.median(intensity[sel][asphalt])
    # curbs: sidewalks 0.15 m above the road
    assert abs(np.median(z[asphalt])) < 0.05
    assert abs(np.median(z[in_walk & (z < 0.5)]) - 0.15) < 0.05


def _pitch_roll(rotation):
    r = Quaternion(rotation).rotation_matrix
    return np.arcsin(-r[2, 0]), np.arctan2(r[2, 1], r[2, 2])


def test_body_pitch_and_roll_are_in_the_poses_and_in_the_lidar(nusc):
    """The car body tilts (like a real car on its suspension): the ego poses carry pitch and roll,
    and the LiDAR sees the flat ground tilted by exactly that amount in the sensor/ego frame."""
    tilts = np.degrees([_pitch_roll(p['rotation']) for p in nusc.ego_pose])
    assert 0.1 < np.abs(tilts[:, 0]).max() < 3.0 and 0.05 < np.abs(tilts[:, 1]).max() < 3.0, tilts
    sample = max(nusc.sample, key=lambda s: np.hypot(*_pitch_roll(_ego_pose(nusc, s)['rotation'])))
    pts, pose = _keyframe_lidar_in_ego(nusc, sample)
    xyz, intensity = pts.points[:3].T, pts.points[3]
    pitch, roll = _pitch_roll(pose['rotation'])

    def slopes(points):
        """Plane z = a x + b y + c through the road-level asphalt returns (low intensity; raised car-park
        asphalt, 0.15 m up, is dropped by refitting to the points within 5 cm of the plane)."""
        keep = (np.hypot(points[:, 0], points[:, 1]) < 25) & (intensity < 12)
        keep &= np.abs(points[:, 2] - np.median(points[keep, 2])) < 0.3
        a = np.c_[points[:, :2], np.ones(len(points))]
        for _ in range(3):
            coef = np.linalg.lstsq(a[keep], points[keep, 2], rcond=None)[0]
            keep &= np.abs(a @ coef - points[:, 2]) < 0.05
        return coef[:2]

    # in the ego (body) frame the ground is tilted by the body's pitch/roll ...
    a, b = slopes(xyz)
    assert abs(a - np.tan(pitch)) < 0.15 * abs(np.tan(pitch)) + 2e-4, (a, pitch)
    assert abs(b + np.tan(roll)) < 0.15 * abs(np.tan(roll)) + 2e-4, (b, roll)
    # ... and levelled by the pose's rotation
    level = xyz @ Quaternion(pose['rotation']).rotation_matrix.T
    assert np.abs(slopes(level)).max() < 3e-4
