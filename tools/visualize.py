#!/usr/bin/env python
"""Pictures of a model's predictions: per sample the 6 cameras (GT map elements projected), the GT
BEV map, the predicted BEV map and the vectorised prediction; --video adds one mp4 per scene.

  python tools/visualize.py CONFIG CHECKPOINT --out-dir DIR [--samples N] [--video]
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import CLIError, run_cli  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(prog='tools/visualize.py', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file (model + test dataloader)')
    parser.add_argument('checkpoint', help='checkpoint to load (strictly)')
    parser.add_argument('--out-dir', required=True, help='folder for the PNGs (and videos)')
    parser.add_argument('--samples', type=int, default=8, help='number of samples to draw (default 8; 0 = all)')
    parser.add_argument('--dataset-key', default='test_dataloader',
                        help='dataloader of the config to draw from (default: test_dataloader)')
    parser.add_argument('--video', action='store_true', help='also write one mp4 per scene (<out-dir>/videos)')
    parser.add_argument('--fps', type=float, default=2.0, help='video frame rate (default 2, the keyframe rate)')
    parser.add_argument('--device', default='cpu', help='torch device (default cpu)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. test_dataloader.dataset.data_root=data/x')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.samples < 0:
        raise CLIError(f'--samples must be >= 0, got {args.samples}')
    for path, what in ((args.config, 'config'), (args.checkpoint, 'checkpoint')):
        if not osp.isfile(path):
            raise CLIError(f'{what} file not found: {path}')

    import torch
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from mapkd.datasets import mapkd_collate
    from mapkd.registry import DATASETS, MODELS
    from mapkd.utils.setup_env import register_all_modules
    from mapkd.visualization import visualize_sample, write_scene_videos

    register_all_modules()
    try:
        cfg = Config.fromfile(args.config)
    except (SyntaxError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CLIError(f'cannot read config {args.config}: {exc}') from exc
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.dataset_key not in cfg or 'dataset' not in cfg[args.dataset_key]:
        raise CLIError(f'{args.config} has no {args.dataset_key}.dataset')
    if 'model' not in cfg:
        raise CLIError(f'{args.config} has no model')
    grid_conf = cfg.get('grid_conf') or cfg[args.dataset_key]['dataset'].get('grid_conf')
    if grid_conf is None:
        raise CLIError(f'{args.config} defines no grid_conf')

    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.to(torch.device(args.device)).eval()
    dataset = DATASETS.build(cfg[args.dataset_key]['dataset'])
    count = len(dataset) if args.samples == 0 else min(args.samples, len(dataset))

    records = []
    with torch.no_grad():
        for index in range(count):
            item = dataset[index]
            outputs = model.test_step(mapkd_collate([item]))
            samples = item['data_samples']
            path = osp.join(args.out_dir, f'{index:05d}_{samples["token"]}.png')
            visualize_sample(item['inputs'], samples, outputs[0], path, grid_conf)
            records.append((samples.get('scene_token', 'scene'), samples.get('timestamp', index), path))
            print(f'[{index + 1}/{count}] {path}')
    if args.video:
        for video in write_scene_videos(records, osp.join(args.out_dir, 'videos'), args.fps):
            print(f'video: {video}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
