#!/usr/bin/env python
"""Combine several quickstart runs (different training seeds) into one table with mean and spread.

    python tools/summarize_quickstart.py work_dirs/quickstart_seed0 work_dirs/quickstart_seed1 ...
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import statistics
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import CLIError, run_cli  # noqa: E402

ROWS = (('teacher', 'Teacher'), ('coach', 'Coach'), ('student_distilled', 'Student, MapKD (TGPD + MSRD)'),
        ('student_baseline', 'Student, baseline'))
COLUMNS = (('IoU/divider', 'divider'), ('IoU/ped_crossing', 'ped crossing'), ('IoU/boundary', 'boundary'),
           ('mIoU', 'mIoU'), ('mAP', 'mAP'))


def _cell(values: list) -> str:
    values = [100.0 * v for v in values if v is not None]
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def summarize(runs: list[dict]) -> str:
    """Markdown table of mean ± sample standard deviation (in %) over runs, plus per-seed rows."""
    seeds = [r.get('seed') for r in runs]
    lines = [f'Seeds: {seeds}. Mean ± standard deviation over seeds, in %.', '',
             '| model | ' + ' | '.join(c for _, c in COLUMNS) + ' |',
             '|---' * (len(COLUMNS) + 1) + '|']
    for key, label in ROWS:
        cells = [_cell([r['results'][key].get(metric) for r in runs]) for metric, _ in COLUMNS]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    lines += ['', '| seed | teacher mIoU | coach mIoU | distilled mIoU | baseline mIoU | distilled mAP | baseline mAP |',
              '|---|---|---|---|---|---|---|']
    for r in runs:
        res = r['results']
        lines.append(f'| {r.get("seed")} | ' + ' | '.join(
            f'{100 * res[k][m]:.2f}' for k, m in (('teacher', 'mIoU'), ('coach', 'mIoU'),
                                                   ('student_distilled', 'mIoU'), ('student_baseline', 'mIoU'),
                                                   ('student_distilled', 'mAP'), ('student_baseline', 'mAP'))) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='tools/summarize_quickstart.py', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work_dirs', nargs='+', help='quickstart work dirs (each with results.json)')
    args = parser.parse_args(argv)
    runs = []
    for work in args.work_dirs:
        path = osp.join(work, 'results.json')
        if not osp.isfile(path):
            raise CLIError(f'no results.json in {work} (did tools/quickstart.py finish there?)')
        with open(path) as handle:
            runs.append(json.load(handle))
    print(summarize(runs))
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
