"""Submission files in the HDMapNet / P-MapNet vector format: writing and validated reading.

Format::

    {"meta": {"use_camera": bool, "use_lidar": bool, "use_radar": bool, "use_external": bool,
              "vector": true},
     "results": {sample_token: [{"pts": [[x, y], ...], "pts_num": n, "type": 0|1|2,
                                 "confidence_level": float}, ...]}}

``pts`` are ego-frame metres (x forward, y left). A GT-vector file has the same schema with
``confidence_level`` optional. Readers raise :class:`SubmissionError` naming the file, token,
element index and field of the first problem.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any, Iterable, Mapping

import numpy as np

META_KEYS = ('use_camera', 'use_lidar', 'use_radar', 'use_external', 'vector')
NUM_CLASSES = 3


class SubmissionError(ValueError):
    """A malformed submission or GT-vector file."""


def default_meta(use_camera: bool = True, use_lidar: bool = False, use_radar: bool = False,
                 use_external: bool = False) -> dict:
    return dict(use_camera=bool(use_camera), use_lidar=bool(use_lidar), use_radar=bool(use_radar),
                use_external=bool(use_external), vector=True)


def vector_to_json(vector: Mapping, with_confidence: bool = True) -> dict:
    """One vector dict (numpy or list points) -> JSON-ready dict."""
    pts = np.asarray(vector['pts'], dtype=np.float64).reshape(-1, 2)
    pts_num = int(vector.get('pts_num', len(pts)))
    out = dict(pts=pts[:pts_num].tolist(), pts_num=pts_num, type=int(vector['type']))
    if with_confidence:
        out['confidence_level'] = float(vector.get('confidence_level', 1.0))
    return out


def atomic_write_json(payload: Any, path: str) -> None:
    """Write JSON to ``path`` via a temporary file in the same folder + rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp_', suffix='.json', dir=folder)
    try:
        with os.fdopen(fd, 'w') as handle:
            json.dump(payload, handle)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_submission(results: Mapping[str, Iterable[Mapping]], path: str, meta: Mapping | None = None,
                     with_confidence: bool = True) -> dict:
    """Write ``results`` (token -> vectors) as a submission (or GT file with
    ``with_confidence=False``); returns the JSON payload."""
    payload = dict(meta=dict(meta) if meta is not None else default_meta(),
                   results={str(token): [vector_to_json(v, with_confidence) for v in vectors]
                            for token, vectors in results.items()})
    atomic_write_json(payload, path)
    return payload


def _fail(source: str, where: str, message: str) -> SubmissionError:
    return SubmissionError(f'{source}: {where}: {message}')


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _validate_vector(vector: Any, source: str, where: str, need_confidence: bool) -> dict:
    if not isinstance(vector, dict):
        raise _fail(source, where, f'must be an object, got {type(vector).__name__}')
    required = ('pts', 'pts_num', 'type') + (('confidence_level',) if need_confidence else ())
    for key in required:
        if key not in vector:
            raise _fail(source, where, f'missing field "{key}"')
    pts = vector['pts']
    if not isinstance(pts, list) or not all(isinstance(p, list) and len(p) == 2 for p in pts):
        raise _fail(source, f'{where}.pts', 'must be a list of [x, y] pairs')
    if not all(_is_number(c) for p in pts for c in p):
        raise _fail(source, f'{where}.pts', 'coordinates must be numbers')
    array = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(array).all():
        raise _fail(source, f'{where}.pts', 'contains NaN or infinite coordinates')
    pts_num = vector['pts_num']
    if not isinstance(pts_num, int) or isinstance(pts_num, bool):
        raise _fail(source, f'{where}.pts_num', f'must be an integer, got {pts_num!r}')
    if not 0 <= pts_num <= len(array):
        raise _fail(source, f'{where}.pts_num', f'{pts_num} is outside 0..{len(array)} (len(pts))')
    vtype = vector['type']
    if not isinstance(vtype, int) or isinstance(vtype, bool) or not 0 <= vtype < NUM_CLASSES:
        raise _fail(source, f'{where}.type', f'must be 0 (divider), 1 (ped_crossing) or 2 (boundary), got {vtype!r}')
    out = dict(pts=array, pts_num=pts_num, type=vtype)
    if 'confidence_level' in vector:
        conf = vector['confidence_level']
        if not _is_number(conf) or not math.isfinite(conf):
            raise _fail(source, f'{where}.confidence_level', f'must be a finite number, got {conf!r}')
        out['confidence_level'] = float(conf)
    return out


def validate_payload(payload: Any, source: str = '<submission>', need_confidence: bool = True) -> dict:
    """Validate a loaded submission/GT payload; returns ``{'meta': ..., 'results': {token: [vector
    dicts with numpy pts]}}``."""
    if not isinstance(payload, dict):
        raise _fail(source, 'top level', f'must be an object with "meta" and "results", got {type(payload).__name__}')
    for key in ('meta', 'results'):
        if key not in payload:
            raise _fail(source, 'top level', f'missing key "{key}"')
    meta = payload['meta']
    if not isinstance(meta, dict):
        raise _fail(source, 'meta', f'must be an object, got {type(meta).__name__}')
    if 'vector' not in meta:
        raise _fail(source, 'meta', 'missing key "vector"')
    if meta['vector'] is not True:
        raise _fail(source, 'meta.vector', 'only vector submissions ("vector": true) are supported')
    results = payload['results']
    if not isinstance(results, dict):
        raise _fail(source, 'results', f'must be an object mapping sample tokens to lists, got {type(results).__name__}')
    clean: dict[str, list[dict]] = {}
    for token, vectors in results.items():
        where = f'results["{token}"]'
        if not isinstance(vectors, list):
            raise _fail(source, where, f'must be a list of vectors, got {type(vectors).__name__}')
        clean[token] = [_validate_vector(v, source, f'{where}[{i}]', need_confidence)
                        for i, v in enumerate(vectors)]
    return dict(meta=meta, results=clean)


def load_vectors_json(path: str, need_confidence: bool = True) -> dict:
    """Read and validate a submission (``need_confidence=True``) or GT-vector file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'no such file: {path}')
    try:
        with open(path) as handle:
            payload = json.load(handle)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f'{path}: not valid JSON ({exc})') from exc
    return validate_payload(payload, path, need_confidence)


def check_tokens(submission: Mapping[str, Any], gt_tokens: Iterable[str], source: str,
                 allow_missing: bool = False) -> None:
    """Every submitted token must be a GT token; every GT token must be submitted unless
    ``allow_missing`` (then missing tokens count as frames without predictions)."""
    gt = set(gt_tokens)
    for token in submission:
        if token not in gt:
            raise _fail(source, f'results["{token}"]', 'token is not a sample of the GT split')
    missing = [t for t in gt_tokens if t not in submission]
    if missing and not allow_missing:
        raise _fail(source, 'results', f'{len(missing)} GT sample(s) have no entry, e.g. "{missing[0]}" '
                                       '(pass allow_missing / --allow-missing to score them as empty)')
