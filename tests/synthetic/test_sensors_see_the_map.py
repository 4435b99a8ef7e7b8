"""Map elements are visible to the cameras exactly where the stored calibration projects them."""
import cv2
import numpy as np
from nuscenes import NuScenes
from nuscenes.map_expansion.map_api import NuScenesMap
from nuscenes.utils.geometry_utils import view_points
from pyquaternion import Quaternion

CAMERAS = ['CAM_FRONT', 'CAM_FRONT_RIGHT', 'CAM_FRONT_LEFT', 'CAM_BACK', 'CAM_BACK_LEFT', 'CAM_BACK_RIGHT']


def _line_points(nusc_map, step=0.5):
    """Points on every road divider (global xy) and their unit left normals."""
    pts, normals = [], []
    for rec in nusc_map.road_divider:
        line = nusc_map.extract_line(rec['line_token'])
        d = np.arange(0.0, line.length, step)
        xy = np.array([line.interpolate(v).coords[0] for v in d])
        tangent = np.gradient(xy, axis=0)
        tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
        pts.append(xy)
        normals.append(np.stack([-tangent[:, 1], tangent[:, 0]], 1))
    return np.concatenate(pts), np.concatenate(normals)


def _project(nusc, sd_token, xy_global, z=0.0, drop_tilt=False):
    """Pixel coordinates (N, 2) and depth (N,) of ground points in one camera image.

    ``drop_tilt``: use only the yaw of the ego pose (ignore the body's pitch and roll)."""
    sd = nusc.get('sample_data', sd_token)
    cs = nusc.get('calibrated_sensor', sd['calibrated_sensor_token'])
    pose = nusc.get('ego_pose', sd['ego_pose_token'])
    p = np.concatenate([xy_global, np.full((len(xy_global), 1), z)], 1).T
    rotation = Quaternion(pose['rotation']).rotation_matrix
    if drop_tilt:
        yaw = np.arctan2(rotation[1, 0], rotation[0, 0])
        rotation = Quaternion(axis=[0, 0, 1], angle=yaw).rotation_matrix
    p = rotation.T @ (p - np.array(pose['translation'])[:, None])
    p = Quaternion(cs['rotation']).rotation_matrix.T @ (p - np.array(cs['translation'])[:, None])
    depth = p[2].copy()
    uv = view_points(p, np.array(cs['camera_intrinsic']), normalize=True)[:2].T
    return uv, depth, sd


def _is_yellow(bgr):
    b, g, r = bgr[:, 0].astype(int), bgr[:, 1].astype(int), bgr[:, 2].astype(int)
    return (r - b > 60) & (g - b > 40)


def _yellow_hit_rates(synthetic_root, drop_tilt=False):
    """Fractions of projected road-divider points (and of points 1.2 m beside them) on yellow pixels."""
    nusc = NuScenes('v1.0-mini', synthetic_root, verbose=False)
    nusc_map = NuScenesMap(synthetic_root, 'boston-seaport')
    xy, normals = _line_points(nusc_map)
    on_hits, on_total, off_hits, off_total = 0, 0, 0, 0
    for sample in nusc.sample:
        for cam in CAMERAS:
            uv, depth, sd = _project(nusc, sample['data'][cam], xy, drop_tilt=drop_tilt)
            uv_off, depth_off, _ = _project(nusc, sample['data'][cam], xy + 1.2 * normals, drop_tilt=drop_tilt)
            # only where the 0.3 m wide paint band is at least 2 px wide in the image
            edge_a, _, _ = _project(nusc, sample['data'][cam], xy + 0.15 * normals)
            edge_b, _, _ = _project(nusc, sample['data'][cam], xy - 0.15 * normals)
            along, _, _ = _project(nusc, sample['data'][cam], xy + 0.25 * np.stack([normals[:, 1], -normals[:, 0]], 1))
            t_img = along - uv
            t_img /= np.linalg.norm(t_img, axis=1, keepdims=True) + 1e-9
            across = edge_a - edge_b
            wide = np.abs(t_img[:, 0] * across[:, 1] - t_img[:, 1] * across[:, 0]) >= 2.0
            h, w = sd['height'], sd['width']
            img = cv2.imread(nusc.get_sample_data_path(sd['token']))
            assert img.shape == (h, w, 3)
            for pix, dep, is_on in ((uv, depth, True), (uv_off, depth_off, False)):
                ok = (dep > 4.0) & (dep < 25.0) & (pix[:, 0] > 3) & (pix[:, 0] < w - 4) & \
                     (pix[:, 1] > 3) & (pix[:, 1] < h - 4) & wide
                cols = np.round(pix[ok]).astype(int)
                yellow = _is_yellow(img[cols[:, 1], cols[:, 0]])
                if is_on:
                    on_hits, on_total = on_hits + yellow.sum(), on_total + len(yellow)
                else:
                    off_hits, off_total = off_hits + yellow.sum(), off_total + len(yellow)
    assert on_total >= 50 and off_total >= 50, (on_total, off_total)
    return on_hits / on_total, off_hits / off_total


def test_road_dividers_project_onto_yellow_paint(synthetic_root):
    on, off = _yellow_hit_rates(synthetic_root)
    assert on > 0.95 and off < 0.05, (on, off)


def test_cameras_see_the_body_tilt(synthetic_root):
    """The images are rendered from the tilted body: projecting with the yaw alone misses the paint."""
    on, _ = _yellow_hit_rates(synthetic_root, drop_tilt=True)
    assert on < 0.9, on



def test_lidar_points_are_in_firing_order_and_trimming_keeps_a_full_sweep(synthetic_root):
    """Like nuScenes .pcd.bin files, a sweep lists its points azimuth by azimuth (every beam of one
    firing, then the next), so that trimming a merged cloud to a fixed size (the official loader keeps
    the first N points) keeps the far beams of the kept azimuths instead of dropping far range."""
    from mapkd.datasets.synthetic.rig import LIDAR_BEAMS
    nusc = NuScenes(version='v1.0-mini', dataroot=synthetic_root, verbose=False)
    sd = nusc.get('sample_data', nusc.sample[0]['data']['LIDAR_TOP'])
    pts = np.fromfile(f'{synthetic_root}/{sd["filename"]}', dtype=np.float32).reshape(-1, 5)
    azimuth = np.unwrap(np.arctan2(pts[:, 1], pts[:, 0]))
    ring = pts[:, 4].astype(int)
    # within a firing the ring index increases; a new firing starts when it drops
    new_firing = np.r_[True, np.diff(ring) <= 0]
    assert new_firing.sum() < len(pts) / 4, 'points are not grouped by firing'
    firing_azimuth = azimuth[new_firing]
    assert np.abs(np.diff(firing_azimuth)).max() < np.radians(5), 'firings do not advance in azimuth'
    # the first quarter of the points spans all beams (far range included), not only the low beams
    head = pts[: len(pts) // 4]
    assert len(np.unique(head[:, 4])) >= LIDAR_BEAMS - 8
    assert np.hypot(head[:, 0], head[:, 1]).max() > 30.0
