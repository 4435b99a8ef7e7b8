"""Fixtures of the data tests: a private, writable copy of the shared synthetic city."""
import shutil

import pytest


@pytest.fixture
def city_copy(synthetic_root, tmp_path):
    """A copy of the synthetic city that a test may damage (files removed, caches corrupted)."""
    dst = tmp_path / 'city'
    shutil.copytree(synthetic_root, dst, ignore=shutil.ignore_patterns('mapkd_cache'))
    return str(dst)
