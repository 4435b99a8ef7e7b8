"""Ordering the NMS points of one instance into a polyline (HDMapNet ``postprocess/connect``).

Re-implemented with O(N) memory; the start point of the direction walk is drawn from a seeded
generator instead of ``random.randint`` so vectorisation is deterministic.
"""
from __future__ import annotations

import math

import numpy as np


def sort_points_by_dist(coords: np.ndarray) -> np.ndarray:
    """Greedy nearest-neighbour chaining from ``coords[0]``.

    A candidate farther than 3 px that is already within 5 px of a chained point is dropped;
    the walk stops at a gap > 10 px once 90% of the points have been visited.
    """
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


def _walk(coords: np.ndarray, directions: np.ndarray, chain: list[np.ndarray], taken: np.ndarray,
          step: float, per_deg: float) -> None:
    """Extend ``chain`` from its last point along the predicted directions (in place)."""
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
        # angles in float32 as in the official code (torch tensors there): this decides ties
        # between candidate points at equal distance from the target
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
        # mark the direction of the new point that points back to where we came from as taken
        to_next = nxt - last
        inverse_deg = np.float32((180.0 + math.degrees(math.atan2(to_next[1], to_next[0]))) % 360)
        candidates = np.float32(per_deg) * directions[int(nxt[1]), int(nxt[0])].astype(np.float32)
        gap = np.abs(candidates - inverse_deg)
        gap = np.minimum(gap, np.float32(360) - gap)
        taken[int(nxt[1]), int(nxt[0]), int(np.argmin(gap))] = True


def connect_by_direction(coords: np.ndarray, directions: np.ndarray, step: float = 7,
                         per_deg: float = 10, rng: np.random.Generator | None = None) -> np.ndarray:
    """Walk from a start point both ways along the top-2 predicted directions.

    ``coords`` (N, 2) int pixel (col, row); ``directions`` (H, W, 2) int direction bins 0..35
    (-1 = none). The start is drawn from ``rng`` (the official random start, made reproducible),
    or is ``coords[0]`` when ``rng`` is None. Returns the (M, 2) int pixel polyline.
    """
    coords = np.asarray(coords, dtype=np.int64).reshape(-1, 2)
    start = int(rng.integers(0, len(coords))) if rng is not None else 0
    chain = [coords[start].copy()]
    taken = np.zeros(directions.shape[:2] + (2,), dtype=bool)
    _walk(coords, directions, chain, taken, step, per_deg)
    chain.reverse()
    _walk(coords, directions, chain, taken, step, per_deg)
    return np.stack(chain, 0)
