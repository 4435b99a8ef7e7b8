"""A literal re-statement of the official ``preprocess_map`` rasteriser, used only as a test oracle.

Written from the specification (shared/reference/official_code.md §3), deliberately naive: O(n^2)
``polylines(coords[i:])`` for the direction rasters, shapely affinity ops for the canvas transform.
Canvases are int32 instead of the official uint8 (ids > 255 would saturate otherwise).
"""
import cv2
import numpy as np
from shapely import affinity
from shapely.geometry import LineString, box


def _heading(vec, angle_class=36):
    deg = np.mod(np.degrees(np.arctan2(vec[1], vec[0])), 360)
    return (int(deg / (360 / angle_class) + 0.5) % angle_class) + 1


def _draw(line, mask, thickness, idx, kind):
    coords = np.asarray(list(line.coords), np.int32).reshape(-1, 2)
    if len(coords) < 2:
        return idx
    if kind == 'backward':
        coords = np.flip(coords, 0)
    if kind == 'index':
        cv2.polylines(mask, [coords], False, color=idx, thickness=thickness)
        return idx + 1
    for i in range(len(coords) - 1):
        cv2.polylines(mask, [coords[i:]], False, color=_heading(coords[i + 1] - coords[i]), thickness=thickness)
    return idx


def _layer(lines, patch_size, canvas_size, thickness, idx, kind='index'):
    patch_h, patch_w = patch_size
    patch = box(-patch_w / 2, -patch_h / 2, patch_w / 2, patch_h / 2)
    mask = np.zeros(canvas_size, np.int32)
    for line in lines:
        new = line.intersection(patch)
        if new.is_empty:
            continue
        new = affinity.affine_transform(new, [1.0, 0.0, 0.0, 1.0, patch_w / 2.0, patch_h / 2.0])
        new = affinity.scale(new, xfact=canvas_size[1] / patch_w, yfact=canvas_size[0] / patch_h, origin=(0, 0))
        parts = new.geoms if new.geom_type == 'MultiLineString' else [new]
        for part in parts:
            idx = _draw(part, mask, thickness, idx, kind)
    return mask, idx


def official_rasters(vectors, patch_size, canvas_size, thickness=5, angle_class=36):
    per_class = {i: [] for i in range(3)}
    for v in vectors:
        if len(v['pts']) >= 2:
            per_class[v['type']].append(LineString(v['pts']))
    idx = 1
    inst, filt, fwd, bwd = [], [], [], []
    for c in range(3):
        m, idx = _layer(per_class[c], patch_size, canvas_size, thickness, idx)
        inst.append(m)
        filt.append(_layer(per_class[c], patch_size, canvas_size, thickness + 4, 1)[0])
        fwd.append(_layer(per_class[c], patch_size, canvas_size, thickness, 1, 'forward')[0])
        bwd.append(_layer(per_class[c], patch_size, canvas_size, thickness, 1, 'backward')[0])
    inst, filt, fwd, bwd = map(np.stack, (inst, filt, fwd, bwd))

    def overlap(mask):
        for c in range(2, -1, -1):
            f = np.repeat((filt[c] != 0)[None], c, axis=0)
            mask[:c][f] = 0
        return mask
    inst = overlap(inst)
    fwd = overlap(fwd).sum(0)
    bwd = overlap(bwd).sum(0)
    sem = inst != 0
    sem = np.concatenate([~sem.any(0)[None], sem]).astype(np.float32)
    eye = np.eye(angle_class + 1, dtype=np.float32)
    direction = eye[fwd].transpose(2, 0, 1) + eye[bwd].transpose(2, 0, 1)
    direction = direction / direction.sum(0)
    return sem, inst.sum(0), direction
