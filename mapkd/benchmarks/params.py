"""``tools/benchmark.py params CONFIG``: parameter counts of a config's model vs the official ones."""
from __future__ import annotations

import argparse
from collections import OrderedDict
from typing import Sequence

from torch import nn

# Official totals (reference/official_code.md §8), including their dead modules, by our model type.
OFFICIAL_COUNTS = {
    'MapKDTeacher': {'60x30': 202_808_222, '120x60': 202_808_222, '240x60': 391_505_822},
    'MapKDCoach': {'60x30': 99_652_507, '120x60': 99_652_507, '240x60': 287_390_107},
    'MapKDStudent': {'60x30': 82_165_533, '120x60': 82_165_533, '240x60': 269_903_133},
    'HDMapNet': {'60x30': 78_283_421, '120x60': 78_283_421, '240x60': 266_021_021},
    'HDPriorPretrainModel': {'60x30': 116_707_617, '120x60': 116_707_617, '240x60': 117_667_617},
}


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def per_child_counts(module: nn.Module) -> 'OrderedDict[str, int]':
    return OrderedDict((name, count_parameters(child)) for name, child in module.named_children())


def range_name(grid_conf: dict) -> str | None:
    width = grid_conf['xbound'][1] - grid_conf['xbound'][0]
    height = grid_conf['ybound'][1] - grid_conf['ybound'][0]
    name = f'{width:g}x{height:g}'
    official_bev = {'60x30': 0.15, '120x60': 0.3, '240x60': 0.3}
    if name in official_bev and abs(grid_conf['xbound'][2] - official_bev[name]) < 1e-9:
        return name
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='tools/benchmark.py params',
                                     description='Print the parameter counts of a config\'s model '
                                                 '(total, trainable, per top-level module) and the official count.')
    parser.add_argument('config')
    parser.add_argument('--cfg-options', nargs='+', default=[], help='key=value overrides (mmengine syntax)')
    parser.add_argument('--part', default=None,
                        help='count this sub-model of the config (default: the student of a MapDistiller '
                             'config, whose frozen teachers are counted from their own configs)')
    args = parser.parse_args(argv)

    from mmengine.config import Config

    import mapkd.models  # noqa: F401
    from mapkd.registry import MODELS

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        options = {}
        for item in args.cfg_options:
            key, _, value = item.partition('=')
            options[key] = eval(value, {}, {})  # noqa: S307 (trusted CLI literals like 0.3 or [1,2])
        cfg.merge_from_dict(options)
    model_cfg = dict(cfg.model)
    part = args.part or ('student' if model_cfg.get('type') == 'MapDistiller' else None)
    if part is not None:
        if part not in model_cfg or not isinstance(model_cfg[part], dict):
            raise SystemExit(f'error: model.{part} is not a sub-model of {args.config}')
        print(f'counting model.{part} of {model_cfg["type"]}')
        model_cfg = dict(model_cfg[part])
    model_cfg['loss'] = None
    model = MODELS.build(model_cfg)
    total, trainable = count_parameters(model), count_parameters(model, trainable_only=True)
    print(f'config: {args.config}')
    print(f'model:  {type(model).__name__}')
    print(f'{"module":<32}{"params":>16}')
    for name, count in per_child_counts(model).items():
        if count:
            print(f'  {name:<30}{count:>16,}')
    print(f'{"total":<32}{total:>16,}')
    print(f'{"trainable":<32}{trainable:>16,}')
    grid = getattr(model, 'bev_size', None)
    rng = range_name(model_cfg['grid_conf']) if 'grid_conf' in model_cfg else None
    official = OFFICIAL_COUNTS.get(type(model).__name__, {}).get(rng) if rng else None
    if official is not None and 'image_size' in model_cfg and list(model_cfg['image_size']) == [128, 352]:
        print(f'{"official (" + rng + ")":<32}{official:>16,}')
        print(f'{"official - ours":<32}{official - total:>16,}  (dead modules the official model carries; '
              'see docs/model_zoo.md)')
    else:
        print(f'official: no official count for this size (range {rng}, BEV {grid})')
    return 0
