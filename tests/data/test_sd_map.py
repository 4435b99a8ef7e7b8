"""SD-map prior on the real OSM shapefiles (../shared/data/osm): alignment, clipping, raster values."""
import os.path as osp

import numpy as np
import pytest
from pyquaternion import Quaternion
from scipy.ndimage import distance_transform_edt

from mapkd.datasets.constants import FIXED_SD_ROAD_TYPES, MAP_ORIGINS, OFFICIAL_SD_ROAD_TYPES
from mapkd.datasets.geo import lonlat_to_enu
from mapkd.datasets.sd_map import SDMapGeometry, read_osm_lines, sd_map_raster, shapefile_path

OSM_ROOT = osp.join(osp.dirname(__file__), '..', '..', '..', 'shared', 'data', 'osm')
if not osp.isdir(OSM_ROOT):
    OSM_ROOT = '/work/shared/data/osm'
pytestmark = pytest.mark.skipif(not osp.isfile(osp.join(OSM_ROOT, 'boston-seaport.shp')),
                                reason='shared OSM shapefiles not available')
PATCH, CANVAS, RES = (30.0, 60.0), (200, 400), 0.15


def densify(xy, step=0.05):
    out = [xy[:1]]
    for a, b in zip(xy[:-1], xy[1:]):
        n = max(int(np.ceil(np.linalg.norm(b - a) / step)), 1)
        out.append(a + (b - a) * np.linspace(0, 1, n + 1)[1:, None])
    return np.concatenate(out)


@pytest.mark.parametrize('location', ['boston-seaport', 'singapore-onenorth'])
def test_sd_raster_roads_are_where_osm_says(location):
    geom = SDMapGeometry.from_shapefile(OSM_ROOT, location, 'topocentric', OFFICIAL_SD_ROAD_TYPES)
    # independent path: raw lon/lat -> ENU with the location origin
    lat0, lon0 = MAP_ORIGINS[location]
    raw = read_osm_lines(shapefile_path(OSM_ROOT, location), OFFICIAL_SD_ROAD_TYPES)
    enu = [np.stack(lonlat_to_enu(p[:, 0], p[:, 1], lat0, lon0), 1) for p in raw]
    # a known ego pose: on the longest kept road, heading along it (+20 degrees to test rotation)
    longest = max(enu, key=lambda p: np.linalg.norm(np.diff(p, axis=0), axis=1).sum())
    seg = int(np.argmax(np.linalg.norm(np.diff(longest, axis=0), axis=1)))
    a, b = longest[seg], longest[seg + 1]
    ego_xy = (a + b) / 2
    yaw = np.arctan2(*(b - a)[::-1]) + np.radians(20)
    rotation = list(Quaternion(axis=[0, 0, 1], angle=yaw))
    raster = sd_map_raster(geom.vectors([ego_xy[0], ego_xy[1], 0.0], rotation, PATCH), PATCH, CANVAS)

    assert raster.shape == (1, 200, 400) and set(np.unique(raster)) <= {-1.0, 1.0}
    road = raster[0] > 0
    assert 300 < road.sum() < 0.5 * road.size
    assert road[100, 200]  # the ego stands on the road
    # every OSM point in the patch (ego frame by an explicit rotation) falls on a road pixel
    c, s = np.cos(-yaw), np.sin(-yaw)
    dense = np.concatenate([densify(p) for p in enu]) - ego_xy
    ego = dense @ np.array([[c, s], [-s, c]])
    inside = (np.abs(ego[:, 0]) < 29.5) & (np.abs(ego[:, 1]) < 14.5)
    assert inside.sum() > 200
    cols = ((ego[inside, 0] + 30) / RES).astype(int)
    rows = ((ego[inside, 1] + 15) / RES).astype(int)
    assert road[rows, cols].mean() > 0.97
    # and every road pixel is within 4 px of an OSM point (0.6 m) (nothing drawn where OSM has no road)
    all_cols = ((ego[:, 0] + 30) / RES).astype(int)
    all_rows = ((ego[:, 1] + 15) / RES).astype(int)
    in_canvas = (all_cols >= 0) & (all_cols < 400) & (all_rows >= 0) & (all_rows < 200)
    near = np.zeros_like(road)
    near[all_rows[in_canvas], all_cols[in_canvas]] = True
    assert distance_transform_edt(~near)[road].max() <= 4.0  # thickness 5 -> 2 px + int truncation


def test_road_type_lists():
    path = shapefile_path(OSM_ROOT, 'singapore-onenorth')
    assert len(read_osm_lines(path, OFFICIAL_SD_ROAD_TYPES)) == 684  # official count (README)
    # the fixed list also keeps the 13 tertiary_link ways the official missing comma drops
    assert len(read_osm_lines(path, FIXED_SD_ROAD_TYPES)) == 684 + 13
    assert len(read_osm_lines(shapefile_path(OSM_ROOT, 'boston-seaport'), OFFICIAL_SD_ROAD_TYPES)) == 372


def test_mercator_alignment_close_to_topocentric_in_boston():
    topo = SDMapGeometry.from_shapefile(OSM_ROOT, 'boston-seaport', 'topocentric', OFFICIAL_SD_ROAD_TYPES)
    merc = SDMapGeometry.from_shapefile(OSM_ROOT, 'boston-seaport', 'mercator', OFFICIAL_SD_ROAD_TYPES)
    gap = np.linalg.norm(np.concatenate(topo.lines_xy) - np.concatenate(merc.lines_xy), axis=1)
    # MapKD_new's hand-fitted scale+affine makes Web Mercator agree with ENU to a few metres
    assert np.median(gap) < 5.0 and gap.max() < 15.0


def test_missing_shapefile_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.shp'):
        read_osm_lines(str(tmp_path / 'nowhere.shp'), FIXED_SD_ROAD_TYPES)
