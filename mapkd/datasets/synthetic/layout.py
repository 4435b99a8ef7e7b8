"""Procedural layout of the synthetic city: road graph, road surface, paint, sidewalks, boxes.

Everything is in the nuScenes map frame of the location (metres, x east, y north). The city
is a jittered grid of intersections joined by straight or curved two-way roads with 1 or 2
lanes per direction (right-hand traffic), rounded curb corners, zebra crossings and stop
lines at every intersection approach, 3 m sidewalks, buildings and a few car parks with
parked cars. One seed gives one city.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import numpy as np
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box as shapely_box
from shapely.ops import unary_union
import shapely
from shapely import affinity

from .geometry import dash_pieces, offset_polyline, slice_by_param, strip_polygon

LANE_WIDTH = 3.5
SIDEWALK_WIDTH = 3.0
CURB_HEIGHT = 0.15
FILLET_RADIUS = 5.0
CROSSWALK_DEPTH = 4.0
LANE_LINE_WIDTH = 0.15
ROAD_DIVIDER_WIDTH = 0.3
STOP_LINE_WIDTH = 0.5
ZEBRA_BAR = 0.6
DASH, GAP = 3.0, 6.0
SOLID_NEAR_JUNCTION = 15.0

# ground materials (index into the colour / intensity look-up tables)
MAT_LOT, MAT_ROAD, MAT_SIDEWALK, MAT_CURB, MAT_CARPARK, MAT_WHITE, MAT_YELLOW, MAT_STALL = range(8)
RAISED_MATERIALS = (MAT_LOT, MAT_SIDEWALK, MAT_CURB, MAT_CARPARK, MAT_STALL)


@dataclass
class Edge:
    """A two-way road between intersections ``a`` and ``b`` (centre to centre)."""
    index: int
    a: int
    b: int
    centre: np.ndarray          # (N, 2) centre line a -> b
    param: np.ndarray           # (N,) chord coordinate of each vertex (0 at a, length at b)
    length: float               # chord length
    lanes: int                  # lanes per direction
    street: int                 # index of the street (grid row / column) it belongs to
    curved: bool

    @property
    def half_width(self) -> float:
        return self.lanes * LANE_WIDTH


@dataclass
class Box:
    """An oriented 3-D box standing on the ground (buildings, car bodies)."""
    cx: float
    cy: float
    z0: float
    z1: float
    length: float   # along yaw
    width: float
    yaw: float
    color: Tuple[int, int, int]   # BGR
    intensity: float
    kind: str                     # 'building' | 'car_body' | 'car_cabin'
    object_id: int = -1           # parked-car id for both car boxes, -1 otherwise


@dataclass
class CityLayout:
    """All geometry of one synthetic city."""
    seed: int
    nodes: np.ndarray                               # (K, 2) intersection centres
    node_radius: np.ndarray                         # (K,) radius of the intersection area
    edges: List[Edge]
    streets: List[dict]                             # name, osm type, maxspeed, edge indices
    road_surface: Polygon | MultiPolygon            # union of all road segments (curbs = boundary)
    intersection_polys: List[Polygon]
    edge_polys: List[Polygon]
    walkways: List[Polygon]
    crossings: List[dict]                           # polygon, edge, node, stripes
    stop_lines: List[dict]                          # polygon, edge, node, crossing index
    road_dividers: List[dict]                       # line (N,2), edge
    lane_dividers: List[dict]                       # line, edge, direction, solid_mask pieces
    paint: List[Tuple[Polygon, int]]                # painted polygons with material
    carparks: List[dict]                            # polygon, yaw, stalls (polygons)
    boxes: List[Box]
    parked_cars: List[dict]                         # id, cx, cy, z, yaw, l, w, h
    bounds: Tuple[float, float, float, float]       # x0, y0, x1, y1 of the modelled ground
    neighbours: Dict[int, List[Tuple[int, int]]] = field(default_factory=dict)  # node -> (node, edge)


def _bump(param: np.ndarray, length: float, margin: float, amplitude: float) -> np.ndarray:
    """Lateral offset of a curved road: zero (and straight) within ``margin`` of both ends."""
    span = length - 2.0 * margin
    t = np.clip((param - margin) / span, 0.0, 1.0)
    return amplitude * np.sin(np.pi * t) ** 2


def _make_grid(rng: np.random.Generator, grid: int, origin: float) -> np.ndarray:
    gaps_x = rng.uniform(105.0, 140.0, size=grid - 1)
    gaps_y = rng.uniform(105.0, 140.0, size=grid - 1)
    xs = origin + np.concatenate([[0.0], np.cumsum(gaps_x)])
    ys = origin + np.concatenate([[0.0], np.cumsum(gaps_y)])
    gx, gy = np.meshgrid(xs, ys, indexing='xy')
    nodes = np.stack([gx.ravel(), gy.ravel()], axis=1)
    return nodes + rng.uniform(-6.0, 6.0, size=nodes.shape)


STREET_TYPES = {1: ('residential', 25), 2: ('secondary', 35)}


def build_layout(seed: int, grid: int = 4, origin: float = 150.0) -> CityLayout:
    """Build the city for ``seed`` on a ``grid`` x ``grid`` jittered intersection grid."""
    rng = np.random.default_rng([seed, 1])
    nodes = _make_grid(rng, grid, origin)
    node_id = lambda i, j: j * grid + i  # noqa: E731  (column i, row j)

    streets: List[dict] = []
    edge_specs = []   # (a, b, street)
    for j in range(grid):
        lanes = int(rng.choice([1, 2], p=[0.45, 0.55]))
        streets.append(dict(name=f'Synthetic Street {j + 1}', lanes=lanes, edges=[]))
        for i in range(grid - 1):
            edge_specs.append((node_id(i, j), node_id(i + 1, j), len(streets) - 1))
    for i in range(grid):
        lanes = int(rng.choice([1, 2], p=[0.45, 0.55]))
        streets.append(dict(name=f'Synthetic Avenue {i + 1}', lanes=lanes, edges=[]))
        for j in range(grid - 1):
            edge_specs.append((node_id(i, j), node_id(i, j + 1), len(streets) - 1))
    for st in streets:
        st['type'], st['maxspeed'] = STREET_TYPES[st['lanes']]
    if len(streets) > 2:   # one main road for variety
        main = int(rng.integers(len(streets)))
        streets[main]['type'], streets[main]['maxspeed'] = 'primary', 45
        if streets[main]['lanes'] == 1:
            streets[main]['type'] = 'tertiary'

    max_hw = np.zeros(len(nodes))
    for a, b, s in edge_specs:
        hw = streets[s]['lanes'] * LANE_WIDTH
        max_hw[a] = max(max_hw[a], hw)
        max_hw[b] = max(max_hw[b], hw)
    node_radius = np.hypot(max_hw + FILLET_RADIUS, max_hw) + 2.0

    edges: List[Edge] = []
    neighbours: Dict[int, List[Tuple[int, int]]] = {k: [] for k in range(len(nodes))}
    for k, (a, b, s) in enumerate(edge_specs):
        pa, pb = nodes[a], nodes[b]
        length = float(np.linalg.norm(pb - pa))
        d = (pb - pa) / length
        left = np.array([-d[1], d[0]])
        param = np.linspace(0.0, length, int(np.ceil(length / 1.0)) + 1)
        curved = bool(rng.random() < 0.4)
        margin = max(node_radius[a], node_radius[b]) + 18.0
        span = length - 2 * margin
        # keep the curvature radius of the centre line above 3 road half-widths + 10 m
        max_amp = span ** 2 / (2 * np.pi ** 2 * (3 * streets[s]['lanes'] * LANE_WIDTH + 10.0)) if span > 0 else 0.0
        amp = float(min(rng.uniform(7.0, 14.0), max_amp) * rng.choice([-1, 1])) if curved and max_amp > 4 else 0.0
        curved = amp != 0.0
        centre = pa + param[:, None] * d + _bump(param, length, margin, amp)[:, None] * left
        edges.append(Edge(k, a, b, centre, param, length, streets[s]['lanes'], s, curved))
        streets[s]['edges'].append(k)
        neighbours[a].append((b, k))
        neighbours[b].append((a, k))

    # road surface: edge corridors + intersection pads, concave corners rounded (curb fillets)
    edge_raw = [Polygon(strip_polygon(e.centre, e.half_width, -e.half_width)) for e in edges]
    pads = [Point(nodes[n]).buffer(max_hw[n], 32) for n in range(len(nodes))]
    surface = unary_union(edge_raw + pads)
    surface = surface.buffer(FILLET_RADIUS, 32).buffer(-FILLET_RADIUS, 32)
    disks = [Point(nodes[n]).buffer(node_radius[n], 64) for n in range(len(nodes))]
    intersection_polys = [_largest(surface.intersection(dk)) for dk in disks]
    all_disks = unary_union(disks)
    edge_polys = [_largest(p.difference(all_disks).intersection(surface)) for p in edge_raw]

    walk_all = surface.buffer(SIDEWALK_WIDTH, 32, join_style=1).difference(surface)
    walkways = [g for g in getattr(walk_all, 'geoms', [walk_all]) if g.area > 1.0]

    crossings, stop_lines, road_dividers, lane_dividers, paint = [], [], [], [], []
    for e in edges:
        ra, rb = node_radius[e.a], node_radius[e.b]
        hw = e.half_width
        for node, (u0, u1), arrive_side in ((e.a, (ra + 0.5, ra + 0.5 + CROSSWALK_DEPTH), 1.0),
                                            (e.b, (e.length - rb - 0.5 - CROSSWALK_DEPTH, e.length - rb - 0.5), -1.0)):
            piece = slice_by_param(e.centre, e.param, u0, u1)
            poly = Polygon(strip_polygon(piece, hw, -hw))
            stripes = []
            n_bars = int(np.floor((2 * hw - 0.4) / (2 * ZEBRA_BAR)))
            start = -hw + 0.5 * (2 * hw - (2 * n_bars - 1) * ZEBRA_BAR)
            for m in range(n_bars):
                lo = start + 2 * m * ZEBRA_BAR
                bar = Polygon(strip_polygon(piece, lo + ZEBRA_BAR, lo))
                stripes.append(bar)
                paint.append((bar, MAT_WHITE))
            crossings.append(dict(polygon=poly, edge=e.index, node=node, stripes=stripes))
            # stop line on the lanes arriving at ``node`` (right-hand traffic), before the crossing
            if arrive_side > 0:   # arriving at a: travelling b -> a, lanes on the left of a->b
                sp = slice_by_param(e.centre, e.param, u1 + 1.0, u1 + 1.0 + STOP_LINE_WIDTH)
                lo_off, hi_off = ROAD_DIVIDER_WIDTH / 2, hw
            else:
                sp = slice_by_param(e.centre, e.param, u0 - 1.0 - STOP_LINE_WIDTH, u0 - 1.0)
                lo_off, hi_off = -hw, -ROAD_DIVIDER_WIDTH / 2
            sl = Polygon(strip_polygon(sp, hi_off, lo_off))
            stop_lines.append(dict(polygon=sl, edge=e.index, node=node, crossing=len(crossings) - 1))
            paint.append((sl, MAT_WHITE))
        u_start = ra + 0.5 + CROSSWALK_DEPTH
        u_end = e.length - rb - 0.5 - CROSSWALK_DEPTH
        centre_line = slice_by_param(e.centre, e.param, u_start, u_end)
        road_dividers.append(dict(line=centre_line, edge=e.index))
        paint.append((LineString(centre_line).buffer(ROAD_DIVIDER_WIDTH / 2, cap_style=2), MAT_YELLOW))
        for lane in range(1, e.lanes):
            for direction in (1.0, -1.0):   # +1: a->b lanes (right of centre), -1: b->a lanes
                line = offset_polyline(slice_by_param(e.centre, e.param, u_start + 1.0 + STOP_LINE_WIDTH,
                                                      u_end - 1.0 - STOP_LINE_WIDTH), -direction * lane * LANE_WIDTH)
                lane_dividers.append(dict(line=line, edge=e.index, direction=int(direction)))
                paint.extend((p, MAT_WHITE) for p in _lane_divider_paint(line))

    layout_rng = np.random.default_rng([seed, 2])
    boxes: List[Box] = []
    parked_cars: List[dict] = []
    carparks: List[dict] = []
    edge_yaw = _EdgeYaw(edges)
    blocks = _blocks(surface)
    for bi, block in enumerate(blocks):
        lot = block.buffer(-(SIDEWALK_WIDTH + 2.0))
        if lot.is_empty or lot.area < 200:
            continue
        lot = _largest(lot)
        if bi % 3 == 1 and len(carparks) < 2:
            carparks.append(_carpark(lot, edge_yaw, layout_rng, boxes, parked_cars, paint))
        else:
            _buildings(lot, edge_yaw, layout_rng, boxes)
    outer = _outer_ring(surface)
    _buildings(outer, edge_yaw, layout_rng, boxes, max_count=60)

    x0, y0, x1, y1 = surface.bounds
    margin = 50.0
    bounds = (x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    return CityLayout(seed, nodes, node_radius, edges, streets, surface, intersection_polys, edge_polys,
                      walkways, crossings, stop_lines, road_dividers, lane_dividers, paint, carparks, boxes,
                      parked_cars, bounds, neighbours)


def _largest(geom) -> Polygon:
    """The largest polygon of a (multi)polygon result."""
    if geom.geom_type == 'Polygon':
        return geom
    polys = [g for g in getattr(geom, 'geoms', []) if g.geom_type == 'Polygon']
    if not polys:
        raise ValueError(f'synthetic city: expected a polygon, got {geom.geom_type}')
    return max(polys, key=lambda p: p.area)


def _lane_divider_paint(line: np.ndarray) -> List[Polygon]:
    """Painted pieces of a lane divider: solid near both junctions, dashed in between."""
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    total = s[-1]
    half = LANE_LINE_WIDTH / 2
    pieces = []
    solid = min(SOLID_NEAR_JUNCTION, total / 2)
    pieces.append(slice_by_param(line, s, 0.0, solid))
    pieces.append(slice_by_param(line, s, total - solid, total))
    if total - 2 * solid > DASH:
        middle = slice_by_param(line, s, solid + GAP / 2, total - solid - GAP / 2)
        pieces.extend(dash_pieces(middle, DASH, GAP))
    return [LineString(p).buffer(half, cap_style=2) for p in pieces if len(p) >= 2]


def _blocks(surface) -> List[Polygon]:
    """City blocks: the holes of the road surface."""
    polys = getattr(surface, 'geoms', [surface])
    return [Polygon(h) for p in polys for h in p.interiors]


def _outer_ring(surface) -> Polygon:
    """The band of land around the road network, beyond the outer sidewalk."""
    hull = unary_union([Polygon(p.exterior) for p in getattr(surface, 'geoms', [surface])])
    return hull.buffer(40.0, join_style=2).difference(hull.buffer(SIDEWALK_WIDTH + 2.0, join_style=2))


class _EdgeYaw:
    """Direction (chord yaw) of the road edge nearest to a point."""

    def __init__(self, edges: List[Edge]):
        self.points = np.concatenate([e.centre[::4] for e in edges])
        self.edge = np.concatenate([np.full(len(e.centre[::4]), i) for i, e in enumerate(edges)])
        self.yaw = np.array([np.arctan2(*(e.centre[-1] - e.centre[0])[::-1]) for e in edges])

    def __call__(self, x: float, y: float) -> float:
        d = (self.points[:, 0] - x) ** 2 + (self.points[:, 1] - y) ** 2
        return float(self.yaw[self.edge[int(np.argmin(d))]])


FACADE_COLORS = [(150, 160, 175), (120, 130, 150), (170, 165, 160), (110, 120, 135), (95, 110, 140),
                 (160, 175, 190), (130, 135, 125), (100, 95, 120)]
CAR_COLORS = [(40, 40, 200), (200, 60, 40), (230, 230, 230), (30, 30, 30), (150, 150, 150), (40, 140, 60),
              (20, 160, 220), (120, 40, 40)]


def _buildings(lot, edge_yaw: _EdgeYaw, rng: np.random.Generator, boxes: List[Box], max_count: int = 12) -> None:
    """Place non-overlapping oriented building boxes inside ``lot`` (a polygon)."""
    placed = []
    shapely.prepare(lot)
    x0, y0, x1, y1 = lot.bounds
    tries = 0
    while len(placed) < max_count and tries < max_count * 12:
        tries += 1
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        length, width = rng.uniform(12.0, 34.0), rng.uniform(10.0, 22.0)
        yaw = edge_yaw(cx, cy) + float(rng.choice([0.0, np.pi / 2]))
        ca, sa = np.cos(yaw), np.sin(yaw)
        corners = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * [length / 2, width / 2]
        fp = Polygon(np.stack([cx + ca * corners[:, 0] - sa * corners[:, 1],
                               cy + sa * corners[:, 0] + ca * corners[:, 1]], 1))
        if not lot.contains(fp) or any(fp.distance(q) < 2.0 for q in placed):
            continue
        placed.append(fp)
        height = float(rng.uniform(6.0, 32.0))
        color = FACADE_COLORS[int(rng.integers(len(FACADE_COLORS)))]
        boxes.append(Box(cx, cy, CURB_HEIGHT, CURB_HEIGHT + height, length, width, yaw, color,
                         float(rng.uniform(25, 45)), 'building'))


def _carpark(lot, edge_yaw: _EdgeYaw, rng: np.random.Generator, boxes: List[Box], parked_cars: List[dict],
             paint: List[Tuple[Polygon, int]]) -> dict:
    """A car park filling ``lot`` with rows of stalls, about 40 % occupied."""
    c = lot.centroid
    yaw = edge_yaw(c.x, c.y)
    stall_w, stall_l, aisle = 2.7, 5.5, 6.5
    local = affinity.rotate(lot, -yaw, origin=(c.x, c.y), use_radians=True)
    lx0, ly0, lx1, ly1 = local.bounds
    stalls = []
    y = ly0 + 1.0
    row = 0
    while y + stall_l < ly1:
        x = lx0 + 1.0
        while x + stall_w < lx1:
            cell = shapely_box(x, y, x + stall_w, y + stall_l)
            if local.contains(cell):
                stalls.append(cell)
            x += stall_w
        y += stall_l + (aisle if row % 2 else 0.0)
        row += 1
    world = lambda g: affinity.rotate(g, yaw, origin=(c.x, c.y), use_radians=True)  # noqa: E731
    for cell in stalls:
        paint.append((world(cell.exterior.buffer(0.06, cap_style=2)), MAT_STALL))
        if rng.random() < 0.4:
            cc = world(cell.centroid)
            car_yaw = yaw + np.pi / 2 + (np.pi if rng.random() < 0.5 else 0.0) + rng.normal(0, 0.04)
            _add_car(len(parked_cars), cc.x, cc.y, car_yaw, rng, boxes, parked_cars)
    return dict(polygon=lot, yaw=yaw, stalls=[world(s) for s in stalls])


def _add_car(car_id: int, cx: float, cy: float, yaw: float, rng: np.random.Generator,
             boxes: List[Box], parked_cars: List[dict]) -> None:
    length, width = float(rng.uniform(4.2, 4.9)), float(rng.uniform(1.75, 1.95))
    height = float(rng.uniform(1.4, 1.7))
    color = CAR_COLORS[int(rng.integers(len(CAR_COLORS)))]
    z = CURB_HEIGHT
    boxes.append(Box(cx, cy, z + 0.25, z + 0.95, length, width, yaw, color, 60.0, 'car_body', car_id))
    boxes.append(Box(cx, cy, z + 0.95, z + height, length * 0.55, width * 0.9, yaw,
                     (45, 40, 35), 30.0, 'car_cabin', car_id))
    parked_cars.append(dict(id=car_id, cx=cx, cy=cy, z=z + height / 2, yaw=float(yaw),
                            length=length, width=width, height=height))
