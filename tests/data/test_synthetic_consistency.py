"""On the synthetic city: LiDAR, images, calibration and GT maps agree with each other."""
import numpy as np
import pytest
from PIL import Image

from mapkd.datasets import NuScenesMapDataset


@pytest.fixture(scope='module')
def dataset(synthetic_root):
    return NuScenesMapDataset(synthetic_root, version='v1.0-mini', split='train', cache=False,
                              load_sd_map=False, test_mode=True)


def test_painted_lidar_points_fall_on_dividers(dataset):
    on_paint, on_other = [], []
    for i in range(len(dataset)):
        item = dataset[i]
        pts = item['inputs']['lidar'][item['inputs']['lidar_mask'] > 0].numpy()
        divider = item['data_samples']['semantic'][1].numpy() > 0
        inside = (np.abs(pts[:, 0]) < 29.9) & (np.abs(pts[:, 1]) < 14.9) & (np.abs(pts[:, 2]) < 0.5)
        pts = pts[inside]
        hit = divider[((pts[:, 1] + 15) / 0.15).astype(int), ((pts[:, 0] + 30) / 0.15).astype(int)]
        painted = pts[:, 3] > 50
        on_paint.append(hit[painted])
        on_other.append(hit[~painted])
    paint_rate = np.concatenate(on_paint).mean()
    chance = np.concatenate(on_other).mean()
    assert np.concatenate(on_paint).size > 100
    assert paint_rate > 3 * chance and paint_rate > 0.3, (paint_rate, chance)


def project(pts, rot, trans, intrin):
    """Ego ground points (z = 0) -> (pixels (N, 2), in front of the camera (N,))."""
    xyz = np.concatenate([pts, np.zeros((len(pts), 1))], 1)
    cam = (xyz - trans) @ rot  # R^T (p - t)
    uvw = cam @ intrin.T
    return uvw[:, :2] / np.maximum(uvw[:, 2:], 1e-6), cam[:, 2] > 1.0


def test_gt_dividers_project_onto_painted_pixels(dataset):
    on_line, beside = [], []
    for i in range(len(dataset)):
        item = dataset[i]
        inp, ds = item['inputs'], item['data_samples']
        dividers = [v['pts'].astype(np.float64) for v in ds['gt_vectors'] if v['type'] == 0]
        if not dividers:
            continue
        ground = np.concatenate(dividers)
        normals = []
        for pts in dividers:
            d = np.gradient(pts, axis=0)
            d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
            normals.append(np.stack([-d[:, 1], d[:, 0]], 1))
        shifted = ground + 1.2 * np.concatenate(normals)  # 1.2 m beside the line: asphalt
        for cam in range(6):
            img = np.asarray(Image.open(ds['img_paths'][cam]).convert('RGB'), np.float32).mean(2)
            rot, trans, intrin = (inp[k][cam].numpy().astype(np.float64) for k in ('rots', 'trans', 'intrins'))
            uv_a, front_a = project(ground, rot, trans, intrin)
            uv_b, front_b = project(shifted, rot, trans, intrin)
            h, w = img.shape
            ok = front_a & front_b
            for uv in (uv_a, uv_b):
                ok &= (uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)
            on_line.append(img[uv_a[ok, 1].astype(int), uv_a[ok, 0].astype(int)])
            beside.append(img[uv_b[ok, 1].astype(int), uv_b[ok, 0].astype(int)])
    on_line, beside = np.concatenate(on_line), np.concatenate(beside)
    assert on_line.size > 50
    assert np.median(on_line) > np.median(beside) + 30, (np.median(on_line), np.median(beside))


def test_post_rots_map_original_pixels_to_network_pixels(dataset, synthetic_root):
    item = dataset[0]
    w0, h0 = Image.open(item['data_samples']['img_paths'][0]).size
    post = item['inputs']['post_rots'][0].numpy()
    np.testing.assert_allclose(np.diag(post), [352 / w0, 128 / h0, 1.0], rtol=1e-6)
    assert item['inputs']['post_trans'].abs().max() == 0
