#!/usr/bin/env python
"""Train a MapKD model (teacher, coach, student, distiller) from a config."""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import CLIError, run_cli  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    from mapkd.engine.launch import add_common_args

    parser = argparse.ArgumentParser(prog='tools/train.py', description=__doc__)
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 with loss scaling on CUDA, bf16 on CPU')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate linearly with the global batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint in the work dir '
                             'when no path is given')
    add_common_args(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    from mapkd.engine.launch import build_runner, load_config, parse

    args = parse(build_parser(), argv)
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.local_rank, args.work_dir)

    if args.amp:
        import torch
        optim = cfg.optim_wrapper
        if torch.cuda.is_available():
            optim.type = 'AmpOptimWrapper'
            optim.setdefault('loss_scale', 'dynamic')
        else:
            optim.type = 'AutocastOptimWrapper'
            optim.setdefault('dtype', 'bfloat16')
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise CLIError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise CLIError(f'checkpoint to resume from not found: {args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume
    if cfg.get('load_from') and not cfg.resume and not osp.isfile(cfg.load_from):
        raise CLIError(f'load_from checkpoint not found: {cfg.load_from}')

    runner = build_runner(cfg)
    runner.train()
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
