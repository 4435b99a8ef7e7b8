"""Write the city as a nuScenes map-expansion JSON (version 1.3) and the ``map`` table PNG mask."""
from __future__ import annotations

from typing import Dict, List

import cv2
import numpy as np
from shapely.geometry import Polygon

from .layout import LANE_WIDTH, SOLID_NEAR_JUNCTION, CityLayout, Edge
from .tokens import TokenFactory
from .geometry import offset_polyline, resample_polyline, slice_by_param, strip_polygon

MAP_VERSION = '1.3'
ARC_STRAIGHT_RADIUS = 999.999


class _MapBuilder:
    def __init__(self, tokens: TokenFactory):
        self.tok = tokens
        self.layers: Dict[str, list] = {name: [] for name in (
            'node', 'line', 'polygon', 'drivable_area', 'road_segment', 'road_block', 'lane', 'ped_crossing',
            'walkway', 'stop_line', 'carpark_area', 'road_divider', 'lane_divider', 'traffic_light',
            'lane_connector')}
        self.counter = 0

    def token(self, kind: str) -> str:
        self.counter += 1
        return self.tok.make('map', kind, self.counter)

    def nodes(self, coords: np.ndarray) -> List[str]:
        out = []
        for x, y in np.asarray(coords, dtype=np.float64):
            t = self.token('node')
            self.layers['node'].append({'token': t, 'x': round(float(x), 4), 'y': round(float(y), 4)})
            out.append(t)
        return out

    def polygon(self, poly: Polygon) -> str:
        poly = poly.simplify(0.02, preserve_topology=True)
        ext = np.asarray(poly.exterior.coords)[:-1]
        holes = [{'node_tokens': self.nodes(np.asarray(r.coords)[:-1])} for r in poly.interiors]
        t = self.token('polygon')
        self.layers['polygon'].append({'token': t, 'exterior_node_tokens': self.nodes(ext), 'holes': holes})
        return t

    def line(self, coords: np.ndarray) -> str:
        t = self.token('line')
        self.layers['line'].append({'token': t, 'node_tokens': self.nodes(coords)})
        return t


def lane_divider_segment_types(line: np.ndarray) -> List[str]:
    """nuScenes ``segment_type`` of the segment starting at each node of a lane divider, as painted:
    solid within ``SOLID_NEAR_JUNCTION`` of either end, dashed in between (the last node gets 'NIL')."""
    pts = np.asarray(line, dtype=np.float64)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    total = s[-1]
    solid = min(SOLID_NEAR_JUNCTION, total / 2)
    mid = (s[:-1] + s[1:]) / 2
    kinds = ['SINGLE_SOLID_WHITE' if m < solid or m > total - solid else 'DOUBLE_DASHED_WHITE' for m in mid]
    return kinds + ['NIL']


def _arclines(centre: np.ndarray, step: float = 5.0) -> List[dict]:
    """Piecewise-straight arcline paths along a lane centre line (devkit ``discretize_lane`` format)."""
    pts = resample_polyline(centre, step)
    out = []
    for p, q in zip(pts[:-1], pts[1:]):
        yaw = float(np.arctan2(q[1] - p[1], q[0] - p[0]))
        length = float(np.linalg.norm(q - p))
        out.append({'start_pose': [float(p[0]), float(p[1]), yaw], 'end_pose': [float(q[0]), float(q[1]), yaw],
                    'shape': 'LSR', 'radius': ARC_STRAIGHT_RADIUS, 'segment_length': [0.0, length, 0.0]})
    return out


def build_map_json(layout: CityLayout, tokens: TokenFactory, canvas_edge) -> dict:
    """The map-expansion dictionary of the city."""
    mb = _MapBuilder(tokens)
    L = mb.layers
    surface_polys = list(getattr(layout.road_surface, 'geoms', [layout.road_surface]))
    drivable_token = mb.token('drivable_area')
    L['drivable_area'].append({'token': drivable_token, 'polygon_tokens': [mb.polygon(p) for p in surface_polys]})

    node_segment = {}
    for n, poly in enumerate(layout.intersection_polys):
        t = mb.token('road_segment')
        node_segment[n] = t
        L['road_segment'].append({'token': t, 'polygon_token': mb.polygon(poly), 'is_intersection': True,
                                  'drivable_area_token': drivable_token})
    edge_segment, lane_tokens, block_tokens = {}, {}, {}
    arclines, lane_ends = {}, {}
    for e, poly in zip(layout.edges, layout.edge_polys):
        t = mb.token('road_segment')
        edge_segment[e.index] = t
        L['road_segment'].append({'token': t, 'polygon_token': mb.polygon(poly), 'is_intersection': False,
                                  'drivable_area_token': drivable_token})
        _edge_blocks_and_lanes(mb, layout, e, t, block_tokens, lane_tokens, arclines, lane_ends)

    crossing_tokens = []
    for cr in layout.crossings:
        t = mb.token('ped_crossing')
        crossing_tokens.append(t)
        L['ped_crossing'].append({'token': t, 'polygon_token': mb.polygon(cr['polygon']),
                                  'road_segment_token': edge_segment[cr['edge']]})
    for sl in layout.stop_lines:
        e = layout.edges[sl['edge']]
        direction = 1 if sl['node'] == e.b else -1
        L['stop_line'].append({'token': mb.token('stop_line'), 'polygon_token': mb.polygon(sl['polygon']),
                               'stop_line_type': 'PED_CROSSING',
                               'ped_crossing_tokens': [crossing_tokens[sl['crossing']]],
                               'traffic_light_tokens': [],
                               'road_block_token': block_tokens[(e.index, direction)]})
    for w in layout.walkways:
        L['walkway'].append({'token': mb.token('walkway'), 'polygon_token': mb.polygon(w)})
    for cp in layout.carparks:
        L['carpark_area'].append({'token': mb.token('carpark_area'), 'polygon_token': mb.polygon(cp['polygon']),
                                  'orientation': float(cp['yaw']), 'road_block_token': ''})
    for rd in layout.road_dividers:
        L['road_divider'].append({'token': mb.token('road_divider'), 'line_token': mb.line(rd['line']),
                                  'road_segment_token': edge_segment[rd['edge']]})
    for ld in layout.lane_dividers:
        line_token = mb.line(ld['line'])
        node_tokens = L['line'][-1]['node_tokens']
        L['lane_divider'].append({'token': mb.token('lane_divider'), 'line_token': line_token,
                                  'lane_divider_segments': [{'node_token': nt, 'segment_type': kind} for nt, kind
                                                            in zip(node_tokens, lane_divider_segment_types(ld['line']))]})
    for sl in layout.stop_lines:   # one traffic light per approach, at the stop line's kerb side
        e = layout.edges[sl['edge']]
        direction = 1 if sl['node'] == e.b else -1
        ring = np.asarray(sl['polygon'].exterior.coords)[:2]
        yaw = float(np.arctan2(ring[1, 1] - ring[0, 1], ring[1, 0] - ring[0, 0]))
        L['traffic_light'].append({
            'token': mb.token('traffic_light'), 'line_token': mb.line(ring), 'traffic_light_type': 'VERTICAL',
            'from_road_block_token': block_tokens[(e.index, direction)],
            'items': [{'color': c, 'shape': 'CIRCLE', 'rel_pos': {'tx': 0.0, 'ty': 0.0, 'tz': 0.6 - 0.3 * i,
                                                                  'rx': 0.0, 'ry': 0.0, 'rz': 0.0},
                       'to_road_block_tokens': []} for i, c in enumerate(('RED', 'YELLOW', 'GREEN'))],
            'pose': {'tx': float(ring[0, 0]), 'ty': float(ring[0, 1]), 'tz': 5.0, 'rx': 0.0, 'ry': 0.0, 'rz': yaw}})

    connectivity = {}
    for key, lane_token in lane_tokens.items():
        start_node, end_node = lane_ends[key]
        outgoing = [t for k2, t in lane_tokens.items() if lane_ends[k2][0] == end_node and k2[0] != key[0]]
        incoming = [t for k2, t in lane_tokens.items() if lane_ends[k2][1] == start_node and k2[0] != key[0]]
        connectivity[lane_token] = {'incoming': incoming, 'outgoing': outgoing}

    out = {'version': MAP_VERSION, 'canvas_edge': [float(canvas_edge[0]), float(canvas_edge[1])]}
    out.update(L)
    out['arcline_path_3'] = arclines
    out['connectivity'] = connectivity
    return out


def _edge_blocks_and_lanes(mb: _MapBuilder, layout: CityLayout, e: Edge, segment_token: str,
                           block_tokens, lane_tokens, arclines, lane_ends) -> None:
    """Road blocks (one per direction) and lanes of an edge, between the intersection areas."""
    L = mb.layers
    ra, rb = layout.node_radius[e.a], layout.node_radius[e.b]
    part = resample_polyline(slice_by_param(e.centre, e.param, ra, e.length - rb), 1.0)
    for direction in (1, -1):   # +1: a -> b (right of the centre line), -1: b -> a
        path = part if direction == 1 else part[::-1]
        hw = e.half_width
        block_poly = Polygon(strip_polygon(path, 0.0, -hw))
        start_edge = mb.line(np.stack([path[0], offset_polyline(path, -hw)[0]]))
        end_edge = mb.line(np.stack([path[-1], offset_polyline(path, -hw)[-1]]))
        bt = mb.token('road_block')
        block_tokens[(e.index, direction)] = bt
        L['road_block'].append({'token': bt, 'polygon_token': mb.polygon(block_poly), 'from_edge_line_token': start_edge,
                                'to_edge_line_token': end_edge, 'road_segment_token': segment_token})
        for lane in range(e.lanes):
            lo, hi = -(lane + 1) * LANE_WIDTH, -lane * LANE_WIDTH
            poly = Polygon(strip_polygon(path, hi, lo))
            lt = mb.token('lane')
            L['lane'].append({'token': lt, 'polygon_token': mb.polygon(poly), 'lane_type': 'CAR',
                              'from_edge_line_token': start_edge, 'to_edge_line_token': end_edge,
                              'left_lane_divider_segments': [], 'right_lane_divider_segments': []})
            lane_tokens[(e.index, direction, lane)] = lt
            arclines[lt] = _arclines(offset_polyline(path, -(lane + 0.5) * LANE_WIDTH))
            lane_ends[(e.index, direction, lane)] = (e.a, e.b) if direction == 1 else (e.b, e.a)


def write_map_mask_png(path: str, layout: CityLayout, canvas_edge, resolution: float = 0.1) -> None:
    """The ``map`` table's semantic-prior mask: 255 on the drivable area, 10 px/m, row 0 = north."""
    w, h = int(np.ceil(canvas_edge[0] / resolution)), int(np.ceil(canvas_edge[1] / resolution))
    mask = np.zeros((h, w), dtype=np.uint8)
    rings = []
    for poly in getattr(layout.road_surface, 'geoms', [layout.road_surface]):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            rings.append(np.round(np.stack([xy[:, 0] / resolution, h - xy[:, 1] / resolution], 1) * 8).astype(np.int32))
    cv2.fillPoly(mask, rings, 255, shift=3)
    ok, buf = cv2.imencode('.png', mask, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError(f'could not encode the map mask {path}')
    with open(path, 'wb') as f:
        f.write(buf.tobytes())


__all__ = ['build_map_json', 'write_map_mask_png', 'MAP_VERSION']
