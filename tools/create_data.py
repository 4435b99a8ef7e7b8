#!/usr/bin/env python
"""Prepare datasets: generate the synthetic city, or build info files and caches for nuScenes."""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import dispatch  # noqa: E402

COMMANDS = {
    'synthetic': ('mapkd.datasets.synthetic.cli',
                  'generate the synthetic nuScenes-format city (+ its info files and caches)'),
    'nuscenes': ('mapkd.datasets.create_infos',
                 'build info files, the GT-vector cache and SD-map geometry for nuScenes'),
}

if __name__ == '__main__':
    sys.exit(dispatch('tools/create_data.py', __doc__, COMMANDS))
