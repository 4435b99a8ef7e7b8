"""Shared plumbing of ``tools/train.py`` and ``tools/test.py``: config loading and checks."""
from __future__ import annotations

import argparse
import os
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config, DictAction

from mapkd.cli import CLIError
from .config_checks import check_override_keys, check_registry_types

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by train and test (mmdet3d names)."""
    parser.add_argument('--work-dir', help='folder for logs, checkpoints and metrics')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config values, e.g. train_dataloader.batch_size=2 '
                             'model.grid_conf.xbound="[-30,30,0.3]"')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (dashed) since torch 2.0, older tools --local_rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)


def load_config(config_path: str, cfg_options: dict, launcher: str, local_rank: int,
                work_dir: Optional[str]) -> Config:
    """Read and validate a config, apply overrides, and fill in the work dir and launcher."""
    if not osp.isfile(config_path):
        raise CLIError(f'config file not found: {config_path}')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank)
    from mapkd.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    try:
        cfg = Config.fromfile(config_path)
    except (SyntaxError, KeyError, ValueError, TypeError, AttributeError, FileNotFoundError) as exc:
        raise CLIError(f'cannot read config {config_path}: {exc}') from exc
    if cfg_options:
        check_override_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    if not torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    check_registry_types(cfg)
    return cfg


def build_runner(cfg: Config):
    """Build the Runner, turning configuration mistakes into one-line :class:`CLIError`s."""
    from mmengine.runner import Runner

    try:
        if 'runner_type' in cfg:
            from mapkd.registry import RUNNERS
            return RUNNERS.build(cfg)
        return Runner.from_cfg(cfg)
    except (TypeError, KeyError) as exc:
        raise CLIError(f'bad config: {exc}') from exc


def parse(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """``parser.parse_args`` that reports errors as :class:`CLIError` (exit 2, one line)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage + the reason
        if exc.code not in (0, None):
            raise CLIError('invalid arguments (see usage above)') from None
        raise
