"""WGS 84 <-> ENU conversions and the synthetic OpenStreetMap-format SD map."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
import shapefile
import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from mapkd.datasets.geo import MAP_ORIGINS, enu_to_lonlat, lonlat_to_enu

REAL_OSM = Path(__file__).resolve().parents[3] / 'shared' / 'data' / 'osm'
KEPT = {'trunk', 'primary', 'secondary', 'tertiary', 'unclassified', 'residential', 'trunk_link', 'primary_link',
        'secondary_link', 'road'}


def test_enu_roundtrip_is_exact_and_vectorised():
    lat0, lon0 = MAP_ORIGINS['boston-seaport']
    x = np.array([[0.0, 1000.0], [-2500.0, 3000.0]])
    y = np.array([[0.0, -700.0], [2200.0, 15000.0]])
    lon, lat = enu_to_lonlat(x, y, lat0, lon0)
    assert lon.shape == (2, 2) and lon.dtype == np.float64
    assert lon[0, 0] == pytest.approx(lon0, abs=1e-12) and lat[0, 0] == pytest.approx(lat0, abs=1e-12)
    x2, y2 = lonlat_to_enu(lon, lat, lat0, lon0)
    np.testing.assert_allclose(x2, x, atol=1e-6)
    np.testing.assert_allclose(y2, y, atol=1e-6)
    # 1 km north is about 1/111.1 degree of latitude at 42 degrees
    _, lat_n = enu_to_lonlat(0.0, 1000.0, lat0, lon0)
    assert (lat_n - lat0) * 111_050 == pytest.approx(1000.0, rel=2e-3)


@pytest.mark.skipif(not REAL_OSM.is_dir(), reason='shared OSM reference data not available')
def test_enu_matches_the_documented_extent_of_the_real_boston_sd_map():
    reader = shapefile.Reader(str(REAL_OSM / 'boston-seaport'))
    pts = np.concatenate([np.array(s.points) for s, r in zip(reader.shapes(), reader.records()) if r['type'] in KEPT])
    x, y = lonlat_to_enu(pts[:, 0], pts[:, 1], *MAP_ORIGINS['boston-seaport'])
    # README of shared/data/osm: ENU x 38 to 2713, y 36 to 2210
    assert (round(x.min()), round(x.max()), round(y.min()), round(y.max())) == (38, 2713, 36, 2210)


def test_sd_map_has_the_real_format_and_follows_the_roads(synthetic_root):
    base = os.path.join(synthetic_root, 'osm', 'boston-seaport')
    reader = shapefile.Reader(base)
    assert reader.shapeType == shapefile.POLYLINE
    if REAL_OSM.is_dir():
        real = shapefile.Reader(str(REAL_OSM / 'boston-seaport'))
        assert [(f.name, f.field_type, f.size, f.decimal) for f in reader.fields] == \
               [(f.name, f.field_type, f.size, f.decimal) for f in real.fields]
        assert open(base + '.prj').read().strip() == open(REAL_OSM / 'boston-seaport.prj').read().strip()
    types = [r['type'] for r in reader.records()]
    assert {'service', 'footway'} <= set(types) and len([t for t in types if t in KEPT]) >= 6
    with open(os.path.join(synthetic_root, 'maps', 'expansion', 'boston-seaport.json')) as f:
        raw = json.load(f)
    nodes = {n['token']: (n['x'], n['y']) for n in raw['node']}
    polys = {p['token']: p for p in raw['polygon']}
    drivable = unary_union([Polygon([nodes[t] for t in polys[pt]['exterior_node_tokens']],
                                    [[nodes[t] for t in h['node_tokens']] for h in polys[pt]['holes']])
                            for rec in raw['drivable_area'] for pt in rec['polygon_tokens']])
    lat0, lon0 = MAP_ORIGINS['boston-seaport']
    for shape, rec in zip(reader.shapes(), reader.records()):
        lonlat = np.array(shape.points)
        assert len(shape.parts) == 1
        x, y = lonlat_to_enu(lonlat[:, 0], lonlat[:, 1], lat0, lon0)
        inside = shapely.contains_xy(drivable, x, y)
        if rec['type'] in KEPT:
            assert inside.all(), rec   # road centre lines run on the road surface
        elif rec['type'] == 'footway':
            assert not inside.any(), rec
