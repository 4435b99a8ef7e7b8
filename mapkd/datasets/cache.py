"""Versioned, checksummed cache files (infos, GT vectors, SD geometry).

Layout: one JSON header line ``{"magic", "format", "kind", "key", "sha256", "nbytes"}`` followed by
the pickled payload. ``key`` holds everything the payload depends on (version, split, grid, source
file sizes/mtimes...). A header/key mismatch or a checksum failure raises :class:`CacheError`;
callers rebuild and say so, a bad cache is never used. Writes are atomic (temp file + rename).
"""
from __future__ import annotations

import hashlib
import json
import os
import os.path as osp
import pickle
import tempfile
from typing import Any

from .errors import CacheError

MAGIC = 'mapkd-cache'
FORMAT_VERSION = 1


def _normalise(key: Any) -> Any:
    return json.loads(json.dumps(key, sort_keys=True))


def write_cache(path: str, kind: str, key: Any, payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    header = dict(magic=MAGIC, format=FORMAT_VERSION, kind=kind, key=_normalise(key),
                  sha256=hashlib.sha256(data).hexdigest(), nbytes=len(data))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=osp.dirname(osp.abspath(path)))
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(header, sort_keys=True).encode() + b'\n')
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def read_cache(path: str, kind: str, key: Any) -> Any:
    """Payload of a valid cache file; :class:`CacheError` (with the reason) otherwise."""
    if not osp.isfile(path):
        raise CacheError(f'cache {path} does not exist')
    with open(path, 'rb') as fh:
        line = fh.readline(1 << 20)
        try:
            header = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CacheError(f'cache {path} has no valid header ({exc})') from exc
        if not isinstance(header, dict) or header.get('magic') != MAGIC:
            raise CacheError(f'cache {path} is not a MapKD cache file')
        if header.get('format') != FORMAT_VERSION:
            raise CacheError(f'cache {path} has format {header.get("format")}, expected {FORMAT_VERSION}')
        if header.get('kind') != kind:
            raise CacheError(f'cache {path} holds {header.get("kind")!r}, expected {kind!r}')
        if header.get('key') != _normalise(key):
            raise CacheError(f'cache {path} is outdated: it was built for other inputs/parameters')
        data = fh.read()
    if len(data) != header.get('nbytes') or hashlib.sha256(data).hexdigest() != header.get('sha256'):
        raise CacheError(f'cache {path} is corrupt (checksum mismatch)')
    return pickle.loads(data)
