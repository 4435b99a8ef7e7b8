"""``tools/create_data.py synthetic``: generate the synthetic nuScenes-format city.

Example::

    python tools/create_data.py synthetic --root data/synthetic --scenes 10 --samples-per-scene 40 --seed 0

After generation the info files and caches are built with ``mapkd.datasets.create_infos``
when that module provides ``create_infos(root, version)`` (skip with ``--no-infos``).
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from typing import Sequence

from mapkd.cli import CLIError

from .generator import DEFAULT_IMAGE_SIZE, DEFAULT_VERSION, default_val_scenes, generate_city

logger = logging.getLogger('mapkd.datasets.synthetic')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='tools/create_data.py synthetic',
                                description='Generate a synthetic city as a nuScenes-format dataset '
                                            '(tables, map expansion, SD map, camera JPEGs, LiDAR sweeps).')
    p.add_argument('--root', required=True, help='output folder (must not exist or be empty, unless --overwrite)')
    p.add_argument('--scenes', type=int, default=10, help='number of scenes (default 10)')
    p.add_argument('--samples-per-scene', type=int, default=40, help='keyframes per scene at 2 Hz (default 40)')
    p.add_argument('--seed', type=int, default=0, help='city and drive seed (default 0)')
    p.add_argument('--image-size', type=int, nargs=2, metavar=('H', 'W'), default=list(DEFAULT_IMAGE_SIZE),
                   help=f'camera JPEG size (default {DEFAULT_IMAGE_SIZE[0]} {DEFAULT_IMAGE_SIZE[1]})')
    p.add_argument('--val-scenes', type=int, default=None, help='validation scenes (default ~20%%, at least 1)')
    p.add_argument('--version', default=DEFAULT_VERSION, help=f'table folder name (default {DEFAULT_VERSION})')
    p.add_argument('--workers', type=int, default=None, help='render processes (default min(2, CPUs))')
    p.add_argument('--overwrite', action='store_true', help='replace an existing non-empty root')
    p.add_argument('--no-infos', action='store_true', help='do not build info files / caches afterwards')
    p.add_argument('--ranges', nargs='+', default=None,
                   help='BEV ranges to cache GT vectors for afterwards (default: all of create_infos; the '
                        'quickstart needs only 60x30)')
    return p


def _build_infos(root: str, version: str, ranges: Sequence[str] | None = None) -> None:
    """Call ``mapkd.datasets.create_infos.create_infos(root, version[, ranges])`` when that module exists."""
    name = 'mapkd.datasets.create_infos'
    if importlib.util.find_spec(name) is None:
        logger.info('%s is not available; skipped building info files', name)
        return
    module = importlib.import_module(name)
    if not hasattr(module, 'create_infos'):
        logger.info('%s has no create_infos(root, version); skipped building info files', name)
        return
    logger.info('building info files and caches with %s.create_infos(%r, %r)', name, root, version)
    if ranges is None:
        module.create_infos(root, version)
    else:
        module.create_infos(root, version, ranges=tuple(ranges))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format='%(message)s', stream=sys.stderr)
    if args.workers is not None and args.workers <= 0:
        raise CLIError(f'--workers must be positive, got {args.workers}')
    try:
        root = generate_city(args.root, scenes=args.scenes, samples_per_scene=args.samples_per_scene,
                             seed=args.seed, image_size=tuple(args.image_size), val_scenes=args.val_scenes,
                             overwrite=args.overwrite, version=args.version, workers=args.workers)
    except (ValueError, OSError) as exc:
        raise CLIError(str(exc)) from exc
    val = default_val_scenes(args.scenes) if args.val_scenes is None else args.val_scenes
    if args.version == 'v1.0-mini' and (args.scenes - val > 8 or val > 2):
        logger.warning('more than 8 train or 2 val scenes: the nuScenes mini split lists only 8/2; scenes beyond it '
                       'carry train/val names; use --version v1.0-trainval to read them with the train/val split')
    print(f'synthetic city written to {root}')
    if not args.no_infos:
        _build_infos(str(root), args.version, args.ranges)
    return 0


if __name__ == '__main__':
    from mapkd.cli import run_cli
    sys.exit(run_cli(main))
