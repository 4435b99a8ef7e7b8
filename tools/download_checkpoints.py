#!/usr/bin/env python
"""Download the released MapKD teacher / coach checkpoints (resumable, SHA-256 verified).

Examples:
    python tools/download_checkpoints.py teacher coach            # into checkpoints/
    python tools/download_checkpoints.py teacher --alternative    # second Google Drive link
    python tools/download_checkpoints.py coach --url https://my.mirror/mapkd_coach.pt
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import run_cli  # noqa: E402
from mapkd.utils.download import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(run_cli(main))
