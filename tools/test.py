#!/usr/bin/env python
"""Evaluate a checkpoint: prints the metrics table, writes metrics JSON and submission.json."""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import CLIError, run_cli  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    from mapkd.engine.launch import add_common_args

    parser = argparse.ArgumentParser(prog='tools/test.py', description=__doc__)
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (ours, or converted official weights)')
    parser.add_argument('--out', help='where to write the vectorised predictions in the '
                                      'HDMapNet submission format (default: WORK_DIR/submission.json)')
    parser.add_argument('--show-dir', help='write one visualisation PNG per sample into this folder')
    parser.add_argument('--show-samples', type=int, default=None,
                        help='visualise at most this many samples (default: all)')
    parser.add_argument('--zero-inputs', nargs='+', default=None, metavar='NAME',
                        help='ablation: replace these model inputs by zeros, e.g. lidar_mask (no LiDAR '
                             'points), imgs (mean-grey images), sd_map (empty SD map); shows which '
                             'inputs a trained model uses (docs/evaluation.md)')
    add_common_args(parser)
    return parser


def format_table(metrics: dict) -> str:
    """Two-column text table of the scalar metrics."""
    rows = [(k, v) for k, v in metrics.items() if isinstance(v, (int, float))]
    if not rows:
        return '(no scalar metrics)'
    width = max([len('metric')] + [len(k) for k, _ in rows])
    lines = [f'{"metric":<{width}}  value', f'{"-" * width}  ------']
    lines += [f'{k:<{width}}  {v:.4f}' for k, v in rows]
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from mapkd.engine.launch import build_runner, load_config, parse

    args = parse(build_parser(), argv)
    if not osp.isfile(args.checkpoint):
        raise CLIError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.local_rank, args.work_dir)
    cfg.load_from = None  # loaded below, strictly
    cfg.resume = False
    if args.zero_inputs:
        if 'data_preprocessor' not in cfg.model:
            raise CLIError(f'--zero-inputs: {args.config} has no model.data_preprocessor')
        cfg.model.data_preprocessor['zero_inputs'] = list(args.zero_inputs)
    if 'test_dataloader' not in cfg or 'test_evaluator' not in cfg:
        raise CLIError(f'{args.config} has no test_dataloader/test_evaluator')

    submission = args.out or osp.join(cfg.work_dir, 'submission.json')
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
    for metric in evaluators:
        if metric.get('type') == 'MapMetric':
            metric['submission_path'] = submission
    if args.show_dir:
        cfg.setdefault('custom_hooks', [])
        cfg.custom_hooks.append(dict(type='ShowPredictionsHook', out_dir=args.show_dir,
                                     max_samples=args.show_samples))

    runner = build_runner(cfg)
    runner.load_checkpoint(args.checkpoint)
    metrics = runner.test()

    from mmengine.dist import is_main_process
    if is_main_process():
        print(format_table(metrics))
        os.makedirs(cfg.work_dir, exist_ok=True)
        out_json = osp.join(cfg.work_dir, 'metrics.json')
        payload = dict(config=args.config, checkpoint=args.checkpoint, metrics=metrics)
        tmp = out_json + '.tmp'
        with open(tmp, 'w') as handle:
            json.dump(payload, handle, indent=2, default=float)
        os.replace(tmp, out_json)
        print(f'metrics written to {out_json}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
