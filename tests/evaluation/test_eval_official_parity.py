"""Parity with the official evaluation code (P-MapNet AP, HDMapNet vectoriser).

Runs only where local checkouts of the official repositories are named by
``MAPKD_OFFICIAL_PMAPNET`` and ``MAPKD_OFFICIAL_HDMAPNET`` (they are not part of MapKD).
"""
from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mapkd.cli import run_cli

PMAPNET = os.environ.get('MAPKD_OFFICIAL_PMAPNET')
HDMAPNET = os.environ.get('MAPKD_OFFICIAL_HDMAPNET')
HERE = osp.dirname(osp.abspath(__file__))


@pytest.mark.skipif(not (PMAPNET and HDMAPNET), reason='set MAPKD_OFFICIAL_PMAPNET and MAPKD_OFFICIAL_HDMAPNET '
                                                        'to checkouts of the official repositories')
def test_ap_and_vectoriser_match_the_official_code(synthetic_root, tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location('export_gt', osp.join(HERE, '..', '..', 'tools', 'export_gt.py'))
    export_gt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(export_gt)
    gt = str(tmp_path / 'gt.json')
    assert run_cli(export_gt.main, ['--dataroot', synthetic_root, '--version', 'v1.0-mini', '--out', gt]) == 0
    result = subprocess.run([sys.executable, osp.join(HERE, 'eval_official_parity_check.py'), '--pmapnet', PMAPNET,
                             '--hdmapnet', HDMAPNET, '--gt', gt], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary['ap_max_abs_diff'] < 1e-6
    assert summary['vectorizer_identical'] == summary['vectorizer_frames']
