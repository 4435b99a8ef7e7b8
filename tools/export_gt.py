#!/usr/bin/env python
"""Write the GT vectors of a split as JSON (the submission schema without confidence_level).

Either from a config (its test/val dataset) or from a nuScenes(-format) dataroot:

  python tools/export_gt.py --config CONFIG [--dataset-key test_dataloader] --out GT.json
  python tools/export_gt.py --dataroot DATA --version v1.0-trainval --split val \\
      [--xbound -30 30 0.15 --ybound -15 15 0.15] --out GT.json
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import CLIError, run_cli  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='tools/export_gt.py', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--config', help='config file whose dataset defines root, version, split and grid')
    src.add_argument('--dataroot', help='nuScenes(-format) dataset root')
    parser.add_argument('--dataset-key', default='test_dataloader',
                        help='with --config: the dataloader whose dataset to export (default: test_dataloader)')
    parser.add_argument('--version', help='with --dataroot: dataset version, e.g. v1.0-trainval, v1.0-mini')
    parser.add_argument('--split', default='val', help='with --dataroot: split (default: val)')
    parser.add_argument('--xbound', nargs=3, type=float, metavar=('XMIN', 'XMAX', 'RES'),
                        default=[-30.0, 30.0, 0.15], help='with --dataroot (default: -30 30 0.15)')
    parser.add_argument('--ybound', nargs=3, type=float, metavar=('YMIN', 'YMAX', 'RES'),
                        default=[-15.0, 15.0, 0.15], help='with --dataroot (default: -15 15 0.15)')
    parser.add_argument('--no-cache', action='store_true', help='do not read/write the dataset cache')
    parser.add_argument('--out', required=True, help='output GT-vector JSON path')
    return parser


def dataset_from_config(config: str, key: str, cache: bool):
    from mmengine.config import Config

    from mapkd.evaluation.grid import BevGrid
    from mapkd.evaluation.gt_vectors import build_gt_dataset

    if not osp.isfile(config):
        raise CLIError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if key not in cfg or 'dataset' not in cfg[key]:
        raise CLIError(f'{config} has no {key}.dataset')
    ds_cfg = cfg[key]['dataset'].to_dict() if hasattr(cfg[key]['dataset'], 'to_dict') else dict(cfg[key]['dataset'])
    if ds_cfg.get('type', 'NuScenesMapDataset') != 'NuScenesMapDataset':
        raise CLIError(f'{config} {key}.dataset is {ds_cfg.get("type")}; only NuScenesMapDataset is supported')
    grid_conf = ds_cfg.get('grid_conf') or cfg.get('grid_conf')
    if grid_conf is None:
        raise CLIError(f'{config} defines no grid_conf (neither in {key}.dataset nor at top level)')
    ds_cfg['grid_conf'] = grid_conf
    for field in ('data_root', 'version', 'split'):
        if field not in ds_cfg:
            raise CLIError(f'{config} {key}.dataset has no "{field}"')
    grid = BevGrid.from_conf(grid_conf)
    if not cache:
        ds_cfg['cache'] = False
    return build_gt_dataset(ds_cfg['data_root'], ds_cfg['version'], ds_cfg['split'], grid, cache, ds_cfg), grid


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from mapkd.datasets.errors import DatasetError
    from mapkd.evaluation.grid import BevGrid
    from mapkd.evaluation.gt_vectors import build_gt_dataset, gt_vectors_from_dataset, write_gt_json

    try:
        if args.config:
            dataset, grid = dataset_from_config(args.config, args.dataset_key, not args.no_cache)
            source = dict(config=args.config, dataset_key=args.dataset_key)
        else:
            if not osp.isdir(args.dataroot):
                raise CLIError(f'dataroot is not a folder: {args.dataroot}')
            if not args.version:
                raise CLIError('--dataroot needs --version (e.g. v1.0-trainval or v1.0-mini)')
            grid = BevGrid.from_bounds(args.xbound, args.ybound)
            dataset = build_gt_dataset(args.dataroot, args.version, args.split, grid, not args.no_cache)
            source = dict(dataroot=osp.abspath(args.dataroot), version=args.version, split=args.split)
    except (ValueError, DatasetError) as exc:
        raise CLIError(str(exc)) from exc
    gt = gt_vectors_from_dataset(dataset)
    source.update(version=dataset.version, split=dataset.split)
    write_gt_json(gt, args.out, grid, source)
    print(f'wrote {sum(len(v) for v in gt.values())} GT vectors of {len(gt)} samples '
          f'({dataset.version} {dataset.split}) to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
