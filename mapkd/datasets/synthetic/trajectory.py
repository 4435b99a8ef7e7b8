"""Ego drives through the synthetic city: lane-following random routes and timed poses."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

import numpy as np

from .geometry import arc_length, cubic_bezier, offset_polyline, resample_polyline, slice_by_param
from .layout import LANE_WIDTH, CityLayout


@dataclass
class Drive:
    """A dense lane-following path (N, 2) and the speed profile along it."""
    path: np.ndarray
    s: np.ndarray          # arc length of each path vertex
    s0: float              # arc length at time 0
    speed: float           # mean speed m/s
    wobble: float          # relative speed modulation amplitude
    phase: float

    def distance(self, t: np.ndarray) -> np.ndarray:
        """Arc length travelled at time ``t`` seconds (may be negative, before time 0)."""
        w = 2 * np.pi / 12.0
        return self.s0 + self.speed * (t + self.wobble / w * (np.sin(w * t + self.phase) - np.sin(self.phase)))

    def pose(self, t: np.ndarray):
        """(x, y, yaw) arrays at times ``t`` (seconds from the scene's first keyframe)."""
        d = self.distance(np.asarray(t, dtype=np.float64))
        x = np.interp(d, self.s, self.path[:, 0])
        y = np.interp(d, self.s, self.path[:, 1])
        xa, ya = np.interp(d + 1.0, self.s, self.path[:, 0]), np.interp(d + 1.0, self.s, self.path[:, 1])
        xb, yb = np.interp(d - 1.0, self.s, self.path[:, 0]), np.interp(d - 1.0, self.s, self.path[:, 1])
        return x, y, np.arctan2(ya - yb, xa - xb)


def _lane_path(layout: CityLayout, edge_index: int, forward: bool, lane: int) -> np.ndarray:
    e = layout.edges[edge_index]
    centre, param = (e.centre, e.param) if forward else (e.centre[::-1], e.length - e.param[::-1])
    r_start = layout.node_radius[e.a if forward else e.b]
    r_end = layout.node_radius[e.b if forward else e.a]
    part = slice_by_param(centre, param, r_start, e.length - r_end)
    part = resample_polyline(part, 1.0)
    return offset_polyline(part, -(lane + 0.5) * LANE_WIDTH)


def plan_drive(layout: CityLayout, rng: np.random.Generator, duration: float, lead_in: float) -> Drive:
    """A random lane-following route long enough for ``lead_in`` + ``duration`` seconds."""
    speed = float(rng.uniform(6.0, 9.5))
    wobble = float(rng.uniform(0.0, 0.12))
    needed = speed * (duration + lead_in) * (1 + wobble) + 30.0
    node = int(rng.integers(len(layout.nodes)))
    prev_node = -1
    pieces: List[np.ndarray] = []
    total = 0.0
    while total < needed + 20.0:
        options = [(n, k) for n, k in layout.neighbours[node] if n != prev_node]
        nxt, k = options[int(rng.integers(len(options)))]
        e = layout.edges[k]
        lane = int(rng.integers(e.lanes))
        piece = _lane_path(layout, k, e.a == node, lane)
        if pieces:
            a, b = pieces[-1], piece
            t0 = (a[-1] - a[-2]) / np.linalg.norm(a[-1] - a[-2])
            t3 = (b[1] - b[0]) / np.linalg.norm(b[1] - b[0])
            pieces.append(cubic_bezier(a[-1], t0, b[0], t3)[1:-1])
        pieces.append(piece)
        total += float(arc_length(piece)[-1])
        prev_node, node = node, nxt
    path = resample_polyline(np.concatenate(pieces, axis=0), 0.5)
    s = arc_length(path)
    s0 = speed * lead_in * (1 + wobble) + float(rng.uniform(2.0, 15.0))
    return Drive(path, s, s0, speed, wobble, float(rng.uniform(0, 2 * np.pi)))
