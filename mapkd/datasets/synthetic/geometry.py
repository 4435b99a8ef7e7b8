"""Small polyline helpers used to build the synthetic city (all float64, map-frame metres)."""
from __future__ import annotations

import numpy as np


def polyline_normals(points: np.ndarray) -> np.ndarray:
    """Unit left normals (N, 2) of a polyline (N, 2), from central-difference tangents."""
    tangent = np.gradient(points, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    return np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)


def offset_polyline(points: np.ndarray, offset: float) -> np.ndarray:
    """The polyline moved ``offset`` metres to its left (negative: right)."""
    return points + offset * polyline_normals(points)


def arc_length(points: np.ndarray) -> np.ndarray:
    """Cumulative length (N,) along a polyline, starting at 0."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return np.concatenate([[0.0], np.cumsum(seg)])


def slice_by_param(points: np.ndarray, param: np.ndarray, start: float, end: float) -> np.ndarray:
    """Part of a polyline between two values of a monotonic per-vertex parameter.

    End points are linearly interpolated, so the result starts exactly at ``start`` and ends
    exactly at ``end``.
    """
    inside = (param > start) & (param < end)
    first = np.array([np.interp(start, param, points[:, 0]), np.interp(start, param, points[:, 1])])
    last = np.array([np.interp(end, param, points[:, 0]), np.interp(end, param, points[:, 1])])
    return np.concatenate([first[None], points[inside], last[None]], axis=0)


def resample_polyline(points: np.ndarray, step: float) -> np.ndarray:
    """Resample a polyline at (about) ``step`` metres, keeping both end points."""
    s = arc_length(points)
    n = max(int(np.ceil(s[-1] / step)), 1) + 1
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, points[:, 0]), np.interp(t, s, points[:, 1])], axis=1)


def strip_polygon(points: np.ndarray, left: float, right: float) -> np.ndarray:
    """Closed ring (M, 2) of the band between lateral offsets ``right`` < ``left`` of a polyline."""
    return np.concatenate([offset_polyline(points, right), offset_polyline(points, left)[::-1]], axis=0)


def dash_pieces(points: np.ndarray, dash: float, gap: float, phase: float = 0.0) -> list:
    """Split a polyline into dash pieces of ``dash`` metres separated by ``gap`` metres."""
    s = arc_length(points)
    pieces = []
    start = phase
    while start < s[-1]:
        end = min(start + dash, s[-1])
        if end - start > 0.2:
            pieces.append(slice_by_param(points, s, start, end))
        start += dash + gap
    return pieces


def cubic_bezier(p0: np.ndarray, t0: np.ndarray, p3: np.ndarray, t3: np.ndarray, step: float = 0.5) -> np.ndarray:
    """A cubic Bezier from ``p0`` leaving along unit tangent ``t0`` to ``p3`` arriving along ``t3``."""
    k = 0.4 * float(np.linalg.norm(p3 - p0))
    p1, p2 = p0 + k * t0, p3 - k * t3
    n = max(int(np.ceil(2.0 * k / 0.4 / step)), 4)
    t = np.linspace(0.0, 1.0, n)[:, None]
    return ((1 - t) ** 3) * p0 + 3 * ((1 - t) ** 2) * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3


def yaw_to_quaternion(yaw: float) -> list:
    """nuScenes (w, x, y, z) quaternion of a rotation about +z."""
    return [float(np.cos(yaw / 2.0)), 0.0, 0.0, float(np.sin(yaw / 2.0))]


def tilt_matrix(pitch: float, roll: float) -> np.ndarray:
    """Body -> level-frame rotation Ry(pitch) @ Rx(roll) (the pitch/roll part of a ZYX yaw-pitch-roll)."""
    cp, sp, cr, sr = np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    ry = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    return ry @ rx


def ypr_to_quaternion(yaw: float, pitch: float, roll: float) -> list:
    """nuScenes (w, x, y, z) quaternion of Rz(yaw) @ Ry(pitch) @ Rx(roll) (pyquaternion's ``yaw_pitch_roll``)."""
    cy, sy = np.cos(yaw / 2.0), np.sin(yaw / 2.0)
    cp, sp = np.cos(pitch / 2.0), np.sin(pitch / 2.0)
    cr, sr = np.cos(roll / 2.0), np.sin(roll / 2.0)
    return [float(cy * cp * cr + sy * sp * sr), float(cy * cp * sr - sy * sp * cr),
            float(cy * sp * cr + sy * cp * sr), float(sy * cp * cr - cy * sp * sr)]
