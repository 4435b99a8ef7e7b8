"""Write the city's road centre lines as an OpenStreetMap-style SD-map shapefile.

Same layout as the real files in ``shared/data/osm`` (P-MapNet's ``data_osm/osm``): polyline
shapes (type 3, one part each) in WGS 84 lon/lat, fields osm_id N(11), name C(48), ref C(16),
type C(16), oneway N(1), bridge N(1), maxspeed N(3). Map-frame metres are turned into lon/lat
with the exact inverse of the topocentric conversion P-MapNet applies when reading them.
"""
from __future__ import annotations

import os
from typing import List

import numpy as np
import shapefile

from mapkd.datasets.geo import MAP_ORIGINS, enu_to_lonlat

from .geometry import offset_polyline, resample_polyline, slice_by_param
from .layout import SIDEWALK_WIDTH, CityLayout

WGS84_PRJ = ('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]],'
             'PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]]')


def sd_records(layout: CityLayout) -> List[dict]:
    """One record per street (its edges' centre lines joined) plus a few service ways and footways."""
    records = []
    osm_id = 900000000 + (layout.seed % 1000) * 10000
    for st in layout.streets:
        pts = []
        for k in st['edges']:
            e = layout.edges[k]
            line = resample_polyline(e.centre, 4.0)
            pts.append(line if not pts else line[1:])
        osm_id += 1
        records.append(dict(points=np.concatenate(pts), osm_id=osm_id, name=st['name'], ref='', type=st['type'],
                            oneway=0, bridge=0, maxspeed=st['maxspeed']))
    for cp in layout.carparks:   # a service way into each car park (dropped by the official filter)
        c = cp['polygon'].centroid
        b = cp['polygon'].exterior.interpolate(0.0)
        osm_id += 1
        records.append(dict(points=np.array([[b.x, b.y], [c.x, c.y]]), osm_id=osm_id, name='', ref='',
                            type='service', oneway=0, bridge=0, maxspeed=None))
    for e in layout.edges[::3]:   # footways along some sidewalks (dropped by the official filter)
        ra, rb = layout.node_radius[e.a], layout.node_radius[e.b]
        side = slice_by_param(e.centre, e.param, ra, e.length - rb)
        osm_id += 1
        records.append(dict(points=resample_polyline(offset_polyline(side, e.half_width + SIDEWALK_WIDTH / 2), 8.0),
                            osm_id=osm_id, name='', ref='', type='footway', oneway=0, bridge=0, maxspeed=None))
    return records


def write_sd_map(folder: str, layout: CityLayout, location: str) -> List[str]:
    """Write ``folder/<location>.{shp,shx,dbf,prj,cpg}``; returns the written paths."""
    lat0, lon0 = MAP_ORIGINS[location]
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, location)
    with shapefile.Writer(base, shapeType=shapefile.POLYLINE, encoding='utf-8') as w:
        w.field('osm_id', 'N', size=11, decimal=0)
        w.field('name', 'C', size=48)
        w.field('ref', 'C', size=16)
        w.field('type', 'C', size=16)
        w.field('oneway', 'N', size=1, decimal=0)
        w.field('bridge', 'N', size=1, decimal=0)
        w.field('maxspeed', 'N', size=3, decimal=0)
        for rec in sd_records(layout):
            lon, lat = enu_to_lonlat(rec['points'][:, 0], rec['points'][:, 1], lat0, lon0)
            w.line([[[float(a), float(b)] for a, b in zip(np.round(lon, 9), np.round(lat, 9))]])
            w.record(rec['osm_id'], rec['name'], rec['ref'], rec['type'], rec['oneway'], rec['bridge'],
                     rec['maxspeed'])
    with open(base + '.prj', 'w', encoding='ascii') as f:
        f.write(WGS84_PRJ)
    with open(base + '.cpg', 'w', encoding='ascii') as f:
        f.write('UTF-8\n')
    return [base + ext for ext in ('.shp', '.shx', '.dbf', '.prj', '.cpg')]
