"""Ordering the NMS points of one instance into a polyline (HDMapNet ``postprocess/connect``).

Re-implemented with bounded memory (the N x N distances of :func:`sort_points_by_dist` are only
precomputed up to 2048 points); the start point of the direction walk is drawn from a seeded
generator instead of ``random.randint`` so vectorisation is deterministic.

Both steps compute every distance with the same float64 operations as the straightforward code
(``sqrt(dx * dx + dy * dy)``, as ``np.linalg.norm`` does), so ties between equidistant points are
broken identically (the first index, as ``argmin``); only the per-step overhead is removed.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# sort_points_by_dist precomputes the (N, N) distance matrix up to this many points (32 MB).
_DENSE_SORT_MAX_POINTS = 2048


def _distances(x: np.ndarray, y: np.ndarray, px: float, py: float) -> np.ndarray:
    """Euclidean distances of the points (x, y) to (px, py), bit-identical to
    ``np.linalg.norm(points - p, axis=-1)``."""
    dx = x - px
    dy = y - py
    return np.sqrt(dx * dx + dy * dy)


def sort_points_by_dist(coords: np.ndarray) -> np.ndarray:
    """Greedy nearest-neighbour chaining from ``coords[0]``.

    A candidate farther than 3 px that is already within 5 px of a chained point is dropped;
    the walk stops at a gap > 10 px once 90% of the points have been visited.
    """
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    num = len(coords)
    x, y = coords[:, 0].copy(), coords[:, 1].copy()
    dense = num <= _DENSE_SORT_MAX_POINTS
    if dense:
        # row i: distances from point i; columns of removed points are set to inf as we go
        to_free = x[:, None] - x
        to_free *= to_free
        dy = y[:, None] - y
        dy *= dy
        to_free += dy
        np.sqrt(to_free, out=to_free)
        to_free[:, 0] = np.inf
    else:
        removed = np.zeros(num, dtype=bool)
        removed[0] = True
    chained = [0]
    for i in range(num - 1):
        last = chained[-1]
        if dense:
            dist = to_free[last]
        else:
            dist = _distances(x, y, x[last], y[last])
            dist[removed] = np.inf
        idx = int(np.argmin(dist))
        gap = dist[idx]
        if dense:
            to_free[:, idx] = np.inf
        else:
            removed[idx] = True
        if gap > 3:
            if _distances(x[chained], y[chained], x[idx], y[idx]).min() < 5:
                continue  # dropped
        if gap > 10 and i > num * 0.9:
            break
        chained.append(idx)
    return coords[chained]


@lru_cache(maxsize=1024)
def _step_offset(direction: float, step: float, per_deg: float) -> tuple[float, float]:
    """Offset (dx, dy) of a ``step`` along direction bin ``direction``; the angle is computed in
    float32 as in the official code (torch tensors there): this decides ties between candidate
    points at equal distance from the target."""
    rad = np.deg2rad(np.float32(per_deg * direction))
    offset = np.float32(step) * np.array([np.cos(rad), np.sin(rad)], dtype=np.float32)
    return float(offset[0]), float(offset[1])


def _walk(coords: np.ndarray, directions: np.ndarray, chain: list[tuple[int, int]], taken: np.ndarray,
          step: float, per_deg: float) -> None:
    """Extend ``chain`` (of (col, row) pixels) from its last point along the predicted directions
    (in place). Points within ``step - 1`` of a point the walk reaches are discarded for good."""
    cols, rows = coords[:, 0], coords[:, 1]
    x, y = cols.astype(np.float64), rows.astype(np.float64)
    per_deg32 = np.float32(per_deg)
    while True:
        col, row = chain[-1]
        if not taken[row, col, 0]:
            direction = directions[row, col, 0].item()
            taken[row, col, 0] = True
        elif not taken[row, col, 1]:
            direction = directions[row, col, 1].item()
            taken[row, col, 1] = True
        else:
            break
        if direction == -1:
            continue
        offset_x, offset_y = _step_offset(direction, step, per_deg)
        keep = _distances(x, y, col, row) > step - 1
        cols, rows, x, y = cols[keep], rows[keep], x[keep], y[keep]
        if len(x) == 0:
            break
        dist = _distances(x, y, col + offset_x, row + offset_y)
        idx = int(np.argmin(dist))
        if dist[idx] > 50:
            continue
        nxt_col, nxt_row = int(cols[idx]), int(rows[idx])
        chain.append((nxt_col, nxt_row))
        # mark the direction of the new point that points back to where we came from as taken
        inverse_deg = np.float32((180.0 + math.degrees(math.atan2(nxt_row - row, nxt_col - col))) % 360)
        candidates = per_deg32 * directions[nxt_row, nxt_col].astype(np.float32)
        gap = np.abs(candidates - inverse_deg)
        gap = np.minimum(gap, np.float32(360) - gap)
        taken[nxt_row, nxt_col, int(np.argmin(gap))] = True


def connect_by_direction(coords: np.ndarray, directions: np.ndarray, step: float = 7,
                         per_deg: float = 10, rng: np.random.Generator | None = None) -> np.ndarray:
    """Walk from a start point both ways along the top-2 predicted directions.

    ``coords`` (N, 2) int pixel (col, row); ``directions`` (H, W, 2) int direction bins 0..35
    (-1 = none). The start is drawn from ``rng`` (the official random start, made reproducible),
    or is ``coords[0]`` when ``rng`` is None. Returns the (M, 2) int pixel polyline.
    """
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    start = int(rng.integers(0, len(coords))) if rng is not None else 0
    chain = [(int(coords[start, 0]), int(coords[start, 1]))]
    taken = np.zeros(directions.shape[:2] + (2,), dtype=bool)
    _walk(coords, directions, chain, taken, step, per_deg)
    chain.reverse()
    _walk(coords, directions, chain, taken, step, per_deg)
    return np.array(chain, dtype=np.int64).reshape(-1, 2)
