#!/usr/bin/env python
"""Evaluate a vector submission (ours or one exported by the official code) with an mAP protocol.

  python tools/eval_submission.py --submission SUB.json --gt GT.json \\
      --xbound -30 30 0.15 --ybound -15 15 0.15 [--protocol pmapnet] [--out RESULT.json]
  python tools/eval_submission.py --submission SUB.json --gt DATAROOT --version v1.0-trainval \\
      [--split val] --xbound ... --ybound ...

GT is a GT-vector JSON (tools/export_gt.py) or a nuScenes(-format) dataroot. Protocols:
pmapnet (default; P-MapNet/MapKD tables), hdmapnet (HDMapNet paper), corrected (see
docs/evaluation.md). Prints the class x threshold AP table and writes the result JSON.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import CLIError, run_cli  # noqa: E402

PROTOCOL_NAMES = ('pmapnet', 'hdmapnet', 'corrected')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='tools/eval_submission.py', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--submission', required=True, help='submission JSON (HDMapNet vector format)')
    parser.add_argument('--gt', required=True, help='GT-vector JSON, or a nuScenes(-format) dataroot')
    parser.add_argument('--version', help='with a dataroot GT: dataset version (v1.0-trainval, v1.0-mini)')
    parser.add_argument('--split', default='val', help='with a dataroot GT: split (default: val)')
    parser.add_argument('--xbound', nargs=3, type=float, required=True, metavar=('XMIN', 'XMAX', 'RES'))
    parser.add_argument('--ybound', nargs=3, type=float, required=True, metavar=('YMIN', 'YMAX', 'RES'))
    parser.add_argument('--protocol', default='pmapnet', choices=PROTOCOL_NAMES,
                        help='mAP protocol (default: pmapnet)')
    parser.add_argument('--allow-missing', action='store_true',
                        help='score GT samples missing from the submission as empty predictions '
                             '(default: error, as the official script)')
    parser.add_argument('--no-cache', action='store_true', help='with a dataroot GT: do not use the dataset cache')
    parser.add_argument('--out', help='result JSON path (default: next to the submission, '
                                      '<name>_<protocol>_eval.json)')
    return parser


def load_gt(args, grid) -> tuple[dict, dict]:
    from mapkd.datasets.errors import DatasetError
    from mapkd.evaluation.gt_vectors import build_gt_dataset, gt_vectors_from_dataset
    from mapkd.evaluation.submission import load_vectors_json

    if osp.isdir(args.gt):
        if not args.version:
            raise CLIError('--gt is a dataroot: pass --version (e.g. v1.0-trainval or v1.0-mini)')
        try:
            dataset = build_gt_dataset(args.gt, args.version, args.split, grid, not args.no_cache)
        except DatasetError as exc:
            raise CLIError(str(exc)) from exc
        return gt_vectors_from_dataset(dataset), dict(dataroot=osp.abspath(args.gt), version=dataset.version,
                                                      split=dataset.split)
    if not osp.isfile(args.gt):
        raise CLIError(f'--gt is neither a GT-vector JSON file nor a dataroot folder: {args.gt}')
    payload = load_vectors_json(args.gt, need_confidence=False)
    file_grid = payload['meta'].get('grid')
    want = dict(xbound=[grid.xmin, grid.xmax, grid.res_x], ybound=[grid.ymin, grid.ymax, grid.res_y])
    if file_grid is not None and (file_grid.get('xbound') != want['xbound']
                                  or file_grid.get('ybound') != want['ybound']):
        print(f'warning: {args.gt} was exported for grid {file_grid}, evaluating on {want}', file=sys.stderr)
    return payload['results'], dict(gt_json=osp.abspath(args.gt))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from mapkd.evaluation.evaluate_vectors import evaluate_vectors, format_ap_table
    from mapkd.evaluation.grid import BevGrid
    from mapkd.evaluation.submission import SubmissionError, atomic_write_json, check_tokens, load_vectors_json

    try:
        grid = BevGrid.from_bounds(args.xbound, args.ybound)
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    if not osp.isfile(args.submission):
        raise CLIError(f'submission file not found: {args.submission}')
    try:
        submission = load_vectors_json(args.submission)
        gt, gt_source = load_gt(args, grid)
        check_tokens(submission['results'], list(gt), args.submission, args.allow_missing)
    except SubmissionError as exc:
        raise CLIError(str(exc)) from exc
    if not gt:
        raise CLIError(f'the GT ({args.gt}) has no samples')

    record = evaluate_vectors(submission['results'], gt, grid, args.protocol, progress=len(gt) > 50)
    record['submission'] = osp.abspath(args.submission)
    record['submission_meta'] = submission['meta']
    record['gt'] = gt_source
    print(format_ap_table(record))
    out = args.out or osp.splitext(args.submission)[0] + f'_{args.protocol}_eval.json'
    atomic_write_json(record, out)
    print(f'result written to {out}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
