"""Exact WGS 84 <-> local east/north (topocentric ENU) conversions, vectorised in numpy.

The nuScenes global map frame of a location is the local ENU plane of its map origin
(x = east, y = north, metres). A (lon, lat) on the ellipsoid (height 0) maps to that frame
through ECEF: geodetic -> ECEF -> rotate into the topocentric frame of (lat0, lon0, h0 = 0)
and keep (east, north). This is the conversion P-MapNet's ``TopocentricConverter`` uses for
the OpenStreetMap SD maps. :func:`enu_to_lonlat` is its exact inverse: it finds the point on
the ellipsoid (height 0) whose east/north coordinates are the given ones.

All functions accept scalars or arrays (broadcast together) and compute in float64.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)

# nuScenes map origins (south-west corner of each map), identical to the devkit's
# ``REFERENCE_COORDINATES``: location -> (lat0, lon0).
MAP_ORIGINS = {
    'boston-seaport': (42.336849169438615, -71.05785369873047),
    'singapore-onenorth': (1.2882100868743724, 103.78475189208984),
    'singapore-hollandvillage': (1.2993652317780957, 103.78217697143555),
    'singapore-queenstown': (1.2782562240223188, 103.76741409301758),
}


def geodetic_to_ecef(lat: np.ndarray, lon: np.ndarray, h: np.ndarray | float = 0.0) -> np.ndarray:
    """Geodetic (degrees, metres) -> ECEF metres, shape (..., 3)."""
    lat = np.radians(np.asarray(lat, dtype=np.float64))
    lon = np.radians(np.asarray(lon, dtype=np.float64))
    h = np.asarray(h, dtype=np.float64)
    sin_lat = np.sin(lat)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sin_lat ** 2)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * sin_lat
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_geodetic(xyz: np.ndarray, iterations: int = 6) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF metres (..., 3) -> (lat deg, lon deg, h metres), by fixed-point iteration on latitude.

    Six iterations converge far below 1e-12 rad for points near the Earth's surface.
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1.0 - WGS84_E2))
    for _ in range(iterations):
        n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
        h = p / np.cos(lat) - n
        lat = np.arctan2(z, p * (1.0 - WGS84_E2 * n / (n + h)))
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    h = p / np.cos(lat) - n
    return np.degrees(lat), np.degrees(lon), h


def _enu_rotation(lat0: float, lon0: float) -> np.ndarray:
    """Rows = east, north, up unit vectors of the origin, in ECEF."""
    phi, lam = np.radians(lat0), np.radians(lon0)
    return np.array([
        [-np.sin(lam), np.cos(lam), 0.0],
        [-np.sin(phi) * np.cos(lam), -np.sin(phi) * np.sin(lam), np.cos(phi)],
        [np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)],
    ])


def lonlat_to_enu(lon: np.ndarray, lat: np.ndarray, lat0: float, lon0: float) -> Tuple[np.ndarray, np.ndarray]:
    """WGS 84 (lon, lat) degrees at height 0 -> (east, north) metres from origin (lat0, lon0).

    Returns two float64 arrays of the broadcast shape of ``lon`` and ``lat``.
    """
    ecef = geodetic_to_ecef(lat, lon, 0.0)
    origin = geodetic_to_ecef(lat0, lon0, 0.0)
    enu = (ecef - origin) @ _enu_rotation(lat0, lon0).T
    return enu[..., 0], enu[..., 1]


def enu_to_lonlat(x: np.ndarray, y: np.ndarray, lat0: float, lon0: float,
                  iterations: int = 5) -> Tuple[np.ndarray, np.ndarray]:
    """Exact inverse of :func:`lonlat_to_enu`: (east, north) metres -> (lon, lat) degrees.

    The up coordinate of a point on the ellipsoid is unknown from (east, north) alone; it is
    found by iterating ``up -= height`` until the ECEF point lies on the ellipsoid
    (converges to sub-micrometre in a few steps for points within tens of kilometres).
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    rot = _enu_rotation(lat0, lon0)
    origin = geodetic_to_ecef(lat0, lon0, 0.0)
    up = np.zeros_like(x)
    lat = lon = None
    for _ in range(iterations):
        enu = np.stack([x, y, up], axis=-1)
        ecef = origin + enu @ rot
        lat, lon, h = ecef_to_geodetic(ecef)
        up = up - h
    return lon, lat
