"""Ego drives through the synthetic city: lane-following random routes, timed poses and body motion."""
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


@dataclass
class BodyMotion:
    """Pitch and roll of the car body over time (radians): a constant offset (load, road camber) plus a
    slow and a fast oscillation (grade changes, braking and acceleration, suspension).

    The ground of the city is flat; the body, and with it every sensor, tilts. A LiDAR measures
    where points are whatever the tilt, while a camera's ground geometry changes with it: at 1.5 m
    height a pitch of 0.75 degrees moves the ground seen 25 m ahead by about 5 m.
    """
    offset: np.ndarray       # (2,) pitch, roll
    amplitude: np.ndarray    # (2, 2) [pitch/roll, slow/fast]
    period: np.ndarray       # (2, 2) seconds
    phase: np.ndarray        # (2, 2)

    def tilt(self, t: np.ndarray):
        """(pitch, roll) arrays at times ``t`` seconds."""
        t = np.asarray(t, dtype=np.float64)[..., None]
        waves = self.amplitude[:, None] * np.sin(2 * np.pi * t[None] / self.period[:, None] + self.phase[:, None])
        pitch, roll = self.offset[:, None] + waves.sum(-1)
        return pitch, roll


# standard deviation of the offset, amplitudes of the slow and fast oscillations (degrees), pitch and roll
BODY_OFFSET_STD_DEG = (0.4, 0.3)
BODY_AMPLITUDE_DEG = ((0.8, 0.4), (0.4, 0.25))
BODY_PERIOD_S = ((8.0, 20.0), (1.5, 3.5))   # (min, max) of the slow and of the fast period


def plan_body_motion(rng: np.random.Generator) -> BodyMotion:
    """Random body motion of one drive (pitch std ~0.75 degrees, roll ~0.45 degrees over a scene)."""
    offset = np.radians(rng.normal(0.0, BODY_OFFSET_STD_DEG))
    amplitude = np.radians(np.array(BODY_AMPLITUDE_DEG)) * rng.uniform(0.7, 1.3, size=(2, 2))
    period = np.stack([rng.uniform(*BODY_PERIOD_S[0], size=2), rng.uniform(*BODY_PERIOD_S[1], size=2)], axis=1)
    return BodyMotion(offset, amplitude, period, rng.uniform(0.0, 2 * np.pi, size=(2, 2)))


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
