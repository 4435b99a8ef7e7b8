"""Deterministic nuScenes-style tokens (32 hex characters) derived from the seed."""
from __future__ import annotations

import hashlib


class TokenFactory:
    """``make('sample', 3, 7)`` -> the same 32-hex token for the same seed and key, every run."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def make(self, *key) -> str:
        text = '/'.join(str(k) for k in (self.seed, *key))
        return hashlib.md5(text.encode('utf-8')).hexdigest()
