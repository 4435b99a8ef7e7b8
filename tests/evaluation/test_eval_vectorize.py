"""The HDMapNet vectoriser recovers straight and curved lines from clean head outputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mapkd.evaluation.connect import sort_points_by_dist
from mapkd.evaluation.grid import BevGrid
from mapkd.evaluation.vectorize import VectorizeConfig, top2_directions, vectorize

from eval_raster_helpers import clean_head_outputs

GRID = BevGrid.from_bounds([-30.0, 30.0, 0.15], [-15.0, 15.0, 0.15])
T = np.linspace(0.0, 1.0, 60)
LINES = [
    (np.array([[-25.0, -5.0], [25.0, -5.0]]), 0),                       # straight, horizontal
    (np.array([[-25.0, 5.0], [0.0, 5.0]]), 0),                          # straight, shorter
    (np.array([[15.0, -12.0], [15.0, 2.0]]), 1),                        # straight, vertical
    (np.stack([-20.0 + 40.0 * T, 7.0 + 6.0 * np.sin(np.pi * T)], 1), 2),  # curved
    (np.stack([-10.0 + 8.0 * np.cos(np.pi * T), -12.0 + 6.0 * np.sin(np.pi * T)], 1), 2),  # arc
]


def densify(pts: np.ndarray, step: float = 0.05) -> np.ndarray:
    out = []
    for a, b in zip(pts[:-1], pts[1:]):
        n = max(int(np.linalg.norm(b - a) / step), 1)
        out.append(a + (b - a) * np.linspace(0, 1, n, endpoint=False)[:, None])
    out.append(pts[-1:])
    return np.concatenate(out)


def directed(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance from the points of a to the polyline b (both densified)."""
    da, db = densify(a), densify(b)
    return float(np.sqrt(((da[:, None] - db[None]) ** 2).sum(-1)).min(1).mean())


@pytest.fixture(scope='module')
def vectors():
    seg, emb, direction, _ = clean_head_outputs(LINES, GRID)
    return vectorize(seg, emb, direction, GRID)


def test_one_polyline_per_line_with_right_class(vectors):
    assert sorted(v['type'] for v in vectors) == sorted(c for _, c in LINES)
    for v in vectors:
        assert v['pts'].shape == (v['pts_num'], 2) and v['pts'].dtype == np.float32
        assert 0.5 < v['confidence_level'] <= 1.0


def test_polylines_follow_and_cover_the_lines(vectors):
    for pts, cls in LINES:
        candidates = [v for v in vectors if v['type'] == cls]
        best = min(candidates, key=lambda v: directed(v['pts'], pts))
        assert directed(best['pts'], pts) < 0.3, 'prediction strays from the line'
        assert directed(pts, best['pts']) < 0.5, 'prediction does not cover the line'
        length = np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()
        assert best['pts_num'] >= length / (7 * 0.15) * 0.7   # ~one point per 7-px step


def test_vectorisation_is_deterministic():
    seg, emb, direction, _ = clean_head_outputs(LINES[:2], GRID)
    first = vectorize(seg, emb, direction, GRID, VectorizeConfig(seed=3))
    second = vectorize(seg, emb, direction, GRID, VectorizeConfig(seed=3))
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a['pts'], b['pts'])


def test_small_components_and_empty_maps_give_no_vectors():
    seg = torch.zeros(4, *GRID.shape)
    seg[0] = 1.0
    seg[1, 50:55, 50:60] = 5.0   # 50 px blob: below the 100 px minimum area
    out = vectorize(seg, torch.zeros(16, *GRID.shape), torch.zeros(37, *GRID.shape), GRID)
    assert out == []


def test_top2_directions_suppress_neighbours():
    logits = torch.zeros(37, 1, 1)
    logits[10] = 5.0
    logits[11] = 4.5   # within +-2 bins of the best: suppressed
    logits[20] = 4.0
    assert top2_directions(logits)[0, 0].tolist() == [9, 19]


def test_sort_points_by_dist_chains_neighbours():
    pts = np.array([[0, 0], [2, 0], [1, 0], [4, 0], [3, 0]])
    np.testing.assert_array_equal(sort_points_by_dist(pts)[:, 0], [0, 1, 2, 3, 4])


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match='direction must have shape'):
        vectorize(torch.zeros(4, 200, 400), torch.zeros(16, 200, 400), torch.zeros(10, 200, 400), GRID)


def _single_line_with_embedding_noise(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One 3-px-wide line of 240 px (one instance) whose 16-d embeddings sit within the
    discriminative loss's pull radius (0.5) of their mean, as a trained head would give."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((80, 160), dtype=bool)
    mask[39:42, 20:100] = True
    emb = np.zeros((80, 160, 16), dtype=np.float32)
    emb[mask] = rng.normal(0.0, 0.12, size=(int(mask.sum()), 16)) + 1.0
    return mask, emb


def test_raw_embeddings_keep_a_single_instance_whole():
    from mapkd.evaluation.cluster import cluster_instances
    mask, emb = _single_line_with_embedding_noise()
    raw = cluster_instances(mask, emb, standardize=False)
    assert set(np.unique(raw[mask])) == {1}          # one instance, no pixel dropped as noise


def test_official_standardisation_fragments_a_single_instance():
    # The official StandardScaler rescales the within-instance spread to unit variance, so with
    # one instance in view DBSCAN (eps 1.5 in 16-d) drops most pixels as noise.
    from mapkd.evaluation.cluster import cluster_instances
    mask, emb = _single_line_with_embedding_noise()
    official = cluster_instances(mask, emb)
    assert (official[mask] == 0).mean() > 0.5


def test_vectorize_config_selects_the_clustering():
    seg, emb, direction, _ = clean_head_outputs(LINES[:1], GRID)
    emb = emb + 0.12 * torch.randn(emb.shape, generator=torch.Generator().manual_seed(0))
    official = vectorize(seg, emb, direction, GRID)
    raw = vectorize(seg, emb, direction, GRID, VectorizeConfig(standardize_embeddings=False))
    assert len(raw) == 1 and raw[0]['type'] == 0
    assert sum(v['pts_num'] for v in official) < raw[0]['pts_num']


def _many_boundaries_on_a_coarse_grid():
    """Seven 5-px boundaries on the quickstart's 80 x 160 grid (0.375 m): 44 % of the raster."""
    grid = BevGrid.from_bounds([-30.0, 30.0, 0.375], [-15.0, 15.0, 0.375])
    lines = [(np.array([[-28.0, y], [28.0, y]]), 2) for y in (-12.0, -8.0, -4.0, 0.0, 4.0, 8.0, 12.0)]
    seg, emb, direction, _ = clean_head_outputs(lines, grid)
    return grid, seg, emb, direction, lines


def test_lines_covering_much_of_a_coarse_raster_are_vectorised():
    # Regression: a guard on the *fraction* of the raster (0.25) dropped whole classes of trained
    # models on coarse CPU grids, where 5-px lines cover a large share of the pixels.
    import warnings
    grid, seg, emb, direction, lines = _many_boundaries_on_a_coarse_grid()
    assert (seg.argmax(0) == 3).float().mean() > 0.4
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        vectors = vectorize(seg, emb, direction, grid, VectorizeConfig(standardize_embeddings=False))
    assert len(vectors) == len(lines) and {v['type'] for v in vectors} == {2}
    ys = sorted(float(np.median(v['pts'][:, 1])) for v in vectors)
    np.testing.assert_allclose(ys, [pts[0, 1] for pts, _ in lines], atol=0.5)


def test_class_above_max_class_pixels_is_skipped_with_a_warning():
    grid, seg, emb, direction, _ = _many_boundaries_on_a_coarse_grid()
    with pytest.warns(UserWarning, match=r'class 3 covers \d+ pixels .*max_class_pixels=1000'):
        vectors = vectorize(seg, emb, direction, grid, VectorizeConfig(standardize_embeddings=False,
                                                                        max_class_pixels=1000))
    assert vectors == []
