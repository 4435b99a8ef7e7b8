"""Shared pytest fixtures."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The tiny synthetic city every data test can use: 2 scenes x 4 samples, 225 x 400 images.
SYNTHETIC_FIXTURE = dict(scenes=2, samples_per_scene=4, seed=0, image_size=(225, 400))


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """Path (str) of a tiny synthetic nuScenes-format city (version ``v1.0-mini``, location
    ``boston-seaport``), generated once per test session."""
    from mapkd.datasets.synthetic import generate_city
    root = tmp_path_factory.mktemp('synthetic') / 'city'
    generate_city(root, **SYNTHETIC_FIXTURE)
    return str(root)
