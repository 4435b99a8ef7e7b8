"""The fast vectoriser / AP code gives exactly what the straightforward code (kept here as the
reference) and scikit-learn's DBSCAN give, on random and adversarial inputs."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler

from mapkd.evaluation import chamfer as chamfer_module
from mapkd.evaluation import cluster as cluster_module
from mapkd.evaluation import connect as connect_module
from mapkd.evaluation.average_precision import ap_from_curve
from mapkd.evaluation.chamfer import chamfer_matrix, extract_instances
from mapkd.evaluation.cluster import dbscan_labels
from mapkd.evaluation.connect import connect_by_direction, sort_points_by_dist
from mapkd.evaluation.vectorize import top2_directions


# ------------------------------------------------------------------ DBSCAN
def sklearn_labels(x: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    return DBSCAN(eps=eps, min_samples=min_samples).fit(x).labels_


def assert_same_as_sklearn(x: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    want = sklearn_labels(x, eps, min_samples)
    got = dbscan_labels(x, eps, min_samples)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    return got


@pytest.fixture
def sklearn_calls(monkeypatch):
    """Counts the calls that dbscan_labels hands to scikit-learn."""
    calls = []
    original = cluster_module._sklearn_dbscan

    def spy(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(cluster_module, '_sklearn_dbscan', spy)
    return calls


def blobs(seed: int, n: int = 600, dim: int = 16, centres: int = 4, spread: float = 0.6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centre = rng.normal(0.0, 3.0, size=(centres, dim))
    x = centre[rng.integers(0, centres, n)] + rng.normal(0.0, spread, size=(n, dim))
    x[: n // 20] = rng.uniform(-8, 8, size=(n // 20, dim))  # some scattered noise
    return x


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('eps,min_samples', [(1.5, 50), (2.5, 10), (3.5, 5)])
def test_dbscan_equals_sklearn_on_standardised_float32_blobs(seed, eps, min_samples, sklearn_calls):
    x = StandardScaler().fit_transform(blobs(seed).astype(np.float32))  # as the vectoriser
    assert x.dtype == np.float32
    labels = assert_same_as_sklearn(x, eps, min_samples)
    assert not sklearn_calls  # decided without scikit-learn
    if eps == 3.5:
        assert labels.max() >= 1 and (labels == -1).any()   # several clusters and some noise


@pytest.mark.parametrize('seed', range(3))
def test_dbscan_equals_sklearn_on_float64_and_low_dimensional_data(seed):
    rng = np.random.default_rng(seed)
    assert_same_as_sklearn(blobs(seed, n=400, dim=3, spread=0.4), 0.5, 8)    # kd-tree in sklearn
    assert_same_as_sklearn(rng.normal(size=(300, 2)), 0.2, 4)
    assert_same_as_sklearn(rng.normal(size=(300, 16)) * 100.0 + 1000.0, 150.0, 5)  # large norms


def test_dbscan_in_many_row_chunks(monkeypatch):
    x = StandardScaler().fit_transform(blobs(7, n=500).astype(np.float32))
    monkeypatch.setattr(cluster_module, '_CHUNK_ENTRIES', 1000)   # 2 rows per chunk
    assert_same_as_sklearn(x, 1.5, 20)


def test_dbscan_pairs_exactly_at_eps_are_left_to_sklearn(sklearn_calls):
    # integer lattice: many pairs at distance exactly eps = 1 (and sqrt 2)
    grid = np.stack(np.meshgrid(np.arange(12.0), np.arange(12.0)), -1).reshape(-1, 2)
    for eps, min_samples in ((1.0, 5), (1.0, 4), (math.sqrt(2.0), 9), (2.0, 13)):
        assert_same_as_sklearn(grid, eps, min_samples)
    assert len(sklearn_calls) == 4


def test_dbscan_pairs_within_rounding_of_eps_far_from_the_origin():
    # |x|^2 - 2 x.y + |y|^2 cancels catastrophically here: the decision depends on rounding
    rng = np.random.default_rng(0)
    base = np.full(16, 1000.0)
    direction = rng.normal(size=(200, 16))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    radius = 1.5 * (1.0 + rng.uniform(-1e-12, 1e-12, size=(200, 1)))
    x = np.concatenate([base[None], base + direction * radius])
    for min_samples in (1, 2, 100, 201):
        assert_same_as_sklearn(x, 1.5, min_samples)


def test_dbscan_pairs_near_eps_are_refined_in_float64(sklearn_calls):
    # distances eps * (1 +- 1e-7): inside the float32 band, decided by the float64 recomputation
    rng = np.random.default_rng(1)
    direction = rng.normal(size=(400, 16))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    sign = np.where(np.arange(400) % 2 == 0, 1.0, -1.0)[:, None]
    x = np.concatenate([np.zeros((1, 16)), direction * 1.5 * (1.0 + sign * 1e-7)])
    for min_samples in (1, 150, 201, 202):
        labels = assert_same_as_sklearn(x, 1.5, min_samples)
    assert not sklearn_calls
    assert (labels == -1).all()   # min_samples 202 > the 201 neighbours of the centre


def test_dbscan_border_point_between_two_clusters_takes_the_lower_label():
    # two clusters of 10 points on a line, stretching away from a point in the middle; only
    # their innermost (core) points are within eps of it, so it is a border point of both
    left = np.stack([-0.05 * np.arange(10), np.zeros(10)], 1)
    right = np.stack([2.0 + 0.05 * np.arange(10), np.zeros(10)], 1)
    middle = np.array([[1.0, 0.0]])
    for order in ((left, right, middle), (right, left, middle), (middle, right, left),
                  (middle, left, right), (left[::-1], middle, right[::-1])):
        x = np.concatenate(order)
        labels = assert_same_as_sklearn(x, 1.005, 5)
        mid = int(np.flatnonzero((x == middle).all(1))[0])
        assert sorted(set(labels.tolist())) == [0, 1]
        assert labels[mid] == 0   # the cluster grown first (from the lowest-index core point)
        # without the left cluster's innermost point it is a border of the right cluster only
        keep = ~(x == [0.0, 0.0]).all(1)
        labels = assert_same_as_sklearn(x[keep], 1.005, 5)
        right_label = labels[int(np.flatnonzero((x[keep] == [2.0, 0.0]).all(1))[0])]
        assert labels[int(np.flatnonzero((x[keep] == middle).all(1))[0])] == right_label


def test_dbscan_degenerate_inputs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 16))
    assert (assert_same_as_sklearn(x, 0.1, 2) == -1).all()             # all noise
    assert (assert_same_as_sklearn(x, 100.0, 5) == 0).all()            # one cluster
    assert_same_as_sklearn(x, 1.5, 1)                                  # every point is core
    assert_same_as_sklearn(np.repeat(x[:3], 20, axis=0), 1e-3, 20)      # duplicate points
    assert_same_as_sklearn(np.ones((1, 16)), 1.5, 1)                   # a single point
    assert_same_as_sklearn(np.ones((1, 16)), 1.5, 2)
    assert_same_as_sklearn(np.zeros((5, 3)), 0.5, 3)                   # all at the origin


def test_dbscan_invalid_inputs_fail_like_sklearn():
    x = np.random.default_rng(0).normal(size=(20, 4))
    x[3, 1] = np.nan
    with pytest.raises(ValueError):
        DBSCAN(eps=1.5, min_samples=5).fit(x)
    with pytest.raises(ValueError):
        dbscan_labels(x, 1.5, 5)
    with pytest.raises(ValueError):
        dbscan_labels(np.zeros((0, 4)), 1.5, 5)
    for eps, min_samples in ((0.0, 5), (1.5, 0), (1.5, 2.5)):
        with pytest.raises(ValueError):
            dbscan_labels(x[:3], eps, min_samples)


def test_cluster_instances_uses_the_same_labels_as_sklearn():
    rng = np.random.default_rng(0)
    mask = np.zeros((60, 120), dtype=bool)
    mask[10:15, 5:115] = True
    mask[30:35, 5:115] = True
    mask[45:50, 20:60] = True
    emb = rng.normal(0.0, 0.3, size=(60, 120, 16)).astype(np.float32)
    emb[30:35] += 2.0
    emb[45:50, :, 3] += 3.0
    rows, cols = np.nonzero(mask)
    want = sklearn_labels(StandardScaler().fit_transform(emb[rows, cols]), 1.5, 50)
    instance = cluster_module.cluster_instances(mask, emb)
    expected = np.zeros(mask.shape, dtype=np.int32)
    expected[rows[want >= 0], cols[want >= 0]] = want[want >= 0] + 1
    np.testing.assert_array_equal(instance, expected)


# ------------------------------------------------------------------ sorting / connecting points
def reference_sort_points_by_dist(coords):
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    num = len(coords)
    removed = np.zeros(num, dtype=bool)
    removed[0] = True
    chained = [0]
    for i in range(num - 1):
        last = chained[-1]
        dist = np.sqrt(((coords[last] - coords) ** 2).sum(-1))
        dist[removed] = np.inf
        idx = int(np.argmin(dist))
        if dist[idx] > 3:
            to_chained = np.sqrt(((coords[idx] - coords[chained]) ** 2).sum(-1))
            if to_chained.min() < 5:
                removed[idx] = True
                continue
        if dist[idx] > 10 and i > num * 0.9:
            break
        chained.append(idx)
        removed[idx] = True
    return coords[chained]


def reference_walk(coords, directions, chain, taken, step, per_deg):
    while True:
        col, row = int(chain[-1][0]), int(chain[-1][1])
        if not taken[row, col, 0]:
            direction = directions[row, col, 0]
            taken[row, col, 0] = True
        elif not taken[row, col, 1]:
            direction = directions[row, col, 1]
            taken[row, col, 1] = True
        else:
            break
        if direction == -1:
            continue
        rad = np.deg2rad(np.float32(per_deg * direction))
        offset = np.float32(step) * np.array([np.cos(rad), np.sin(rad)], dtype=np.float32)
        last = chain[-1].copy()
        coords = coords[np.linalg.norm(coords - last, axis=-1) > step - 1]
        if len(coords) == 0:
            break
        target = np.array([last[0] + float(offset[0]), last[1] + float(offset[1])])
        dist = np.linalg.norm(coords - target, axis=-1)
        idx = int(np.argmin(dist))
        if dist[idx] > 50:
            continue
        nxt = coords[idx].copy()
        chain.append(nxt)
        to_next = nxt - last
        inverse_deg = np.float32((180.0 + math.degrees(math.atan2(to_next[1], to_next[0]))) % 360)
        candidates = np.float32(per_deg) * directions[int(nxt[1]), int(nxt[0])].astype(np.float32)
        gap = np.abs(candidates - inverse_deg)
        gap = np.minimum(gap, np.float32(360) - gap)
        taken[int(nxt[1]), int(nxt[0]), int(np.argmin(gap))] = True


def reference_connect_by_direction(coords, directions, step=7, per_deg=10, rng=None):
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    start = int(rng.integers(0, len(coords))) if rng is not None else 0
    chain = [coords[start].copy()]
    taken = np.zeros(directions.shape[:2] + (2,), dtype=bool)
    reference_walk(coords, directions, chain, taken, step, per_deg)
    chain.reverse()
    reference_walk(coords, directions, chain, taken, step, per_deg)
    return np.stack(chain, 0)


def random_points(seed: int, n: int, size: int = 40) -> np.ndarray:
    """Integer pixels on a small raster (many equal distances: ties for argmin)."""
    rng = np.random.default_rng(seed)
    flat = rng.choice(size * size, size=min(n, size * size), replace=False)
    return np.stack([flat % size, flat // size], axis=1).astype(np.int32)


@pytest.mark.parametrize('seed', range(12))
def test_sort_points_by_dist_equals_reference(seed, monkeypatch):
    pts = random_points(seed, n=[1, 2, 5, 30, 120, 400][seed % 6], size=[8, 40][seed % 2])
    want = reference_sort_points_by_dist(pts)
    np.testing.assert_array_equal(sort_points_by_dist(pts), want)
    monkeypatch.setattr(connect_module, '_DENSE_SORT_MAX_POINTS', 0)   # the row-by-row path
    np.testing.assert_array_equal(sort_points_by_dist(pts), want)


def test_sort_points_by_dist_drops_and_stops_like_reference():
    # clusters with gaps > 10 px, points already near the chain, a line along a diagonal
    line = np.stack([np.arange(0, 60), np.arange(0, 60) // 3], 1)
    far = np.array([[100, 100], [101, 100], [130, 90], [2, 4], [3, 5], [59, 25]])
    pts = np.concatenate([line, far])
    for perm_seed in range(5):
        shuffled = pts[np.random.default_rng(perm_seed).permutation(len(pts))]
        np.testing.assert_array_equal(sort_points_by_dist(shuffled), reference_sort_points_by_dist(shuffled))


@pytest.mark.parametrize('seed', range(10))
def test_connect_by_direction_equals_reference(seed):
    rng = np.random.default_rng(seed)
    size = 40
    directions = rng.integers(-1, 36, size=(size, size, 2))
    pts = random_points(seed, n=[3, 20, 80, 200, 600][seed % 5], size=size)
    step = [7, 7.0, 3.5, 10][seed % 4]
    for start_seed in (None, seed):
        def start():
            return None if start_seed is None else np.random.default_rng(start_seed)
        got = connect_by_direction(pts, directions, step, 10.0, start())
        want = reference_connect_by_direction(pts, directions, step, 10.0, start())
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_top2_directions_equals_torch_reference():
    def reference(logits):
        prob = torch.softmax(logits.permute(1, 2, 0), dim=-1)
        first = prob.argmax(-1, keepdim=True)
        suppressed = prob.clone()
        for offset in (-2, -1, 0, 1, 2):
            suppressed.scatter_(-1, (first + offset).clamp(0, prob.shape[-1] - 1), 0.0)
        second = suppressed.argmax(-1, keepdim=True)
        return (torch.cat([first, second], dim=-1) - 1).numpy()

    gen = torch.Generator().manual_seed(0)
    for logits in (torch.randn(37, 30, 50, generator=gen),
                   torch.randint(0, 3, (37, 30, 50), generator=gen).float(),   # many exact ties
                   torch.zeros(37, 4, 4)):
        want = reference(logits)
        got = top2_directions(logits)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ Chamfer / AP
def random_instance_canvas(seed: int, shape=(60, 120), count: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    canvas = np.zeros(shape, np.int32)
    for k in range(1, count + 1):
        r0, c0 = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        r1, c1 = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        n = max(abs(r1 - r0), abs(c1 - c0)) + 1
        canvas[np.linspace(r0, r1, n).astype(int), np.linspace(c0, c1, n).astype(int)] = k
    return canvas


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('bidirectional', [False, True])
def test_chamfer_max_distance_only_skips_pairs_beyond_it(seed, bidirectional):
    pred = extract_instances(random_instance_canvas(seed))
    gt = extract_instances(random_instance_canvas(100 + seed))
    full = chamfer_matrix(pred, gt, 0.15, 0.3, bidirectional)
    for max_distance in (0.0, 0.5, 1.5, 6.0):
        fast = chamfer_matrix(pred, gt, 0.15, 0.3, bidirectional, max_distance=max_distance)
        computed = np.isfinite(fast)
        np.testing.assert_array_equal(fast[computed], full[computed])   # bit for bit
        assert (full[~computed] > max_distance).all()
    assert np.isfinite(chamfer_matrix(pred, gt, 0.15, 0.3, bidirectional, max_distance=1e9)).all()


def test_chamfer_box_bound_is_a_lower_bound():
    pred = extract_instances(random_instance_canvas(3))
    gt = extract_instances(random_instance_canvas(4))
    bound = chamfer_module._mean_box_distance(pred, gt, 0.15, 0.3)
    full = chamfer_matrix(pred, gt, 0.15, 0.3, bidirectional=False)
    assert (bound <= full + 1e-12).all() and (bound > 0).any()


def reference_ap_from_curve(precision, recall, sampled_recalls, tolerance=0.0):
    total = 0.0
    for level in sampled_recalls:
        hits = np.nonzero(recall.astype(np.float64) >= level - tolerance)[0]
        if len(hits):
            total += float(precision[hits[0]])
    return total / len(sampled_recalls)


@pytest.mark.parametrize('seed', range(20))
def test_ap_from_curve_equals_reference(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 12))
    precision = rng.uniform(0, 1, n).astype(np.float32)
    recall = (rng.integers(0, 11, n) / 10).astype(np.float32)   # exact k/10 levels (float32)
    if seed % 3 == 0:
        recall = np.sort(recall)
    if seed % 5 == 1 and n:
        recall[:] = np.nan                                         # num_gt == 0
    for levels, tolerance in ((torch.linspace(0.1, 1, 10).numpy().astype(np.float64), 0.0),
                              (np.arange(1, 11) / 10.0, 1e-6)):
        want = reference_ap_from_curve(precision, recall, levels, tolerance)
        got = ap_from_curve(precision, recall, levels, tolerance)
        assert got == want and type(got) is float
