#!/usr/bin/env python
"""Convert official MapKD / P-MapNet / HDMapNet checkpoints into MapKD checkpoints (strict)."""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import run_cli  # noqa: E402
from mapkd.converters.cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(run_cli(main))
