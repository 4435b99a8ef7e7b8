"""``tools/convert_checkpoint.py``: official checkpoint -> MapKD checkpoint (strict)."""
from __future__ import annotations

import argparse
from typing import Sequence

from mapkd.cli import CLIError
from mapkd.converters.checkpoint_converter import CheckpointConversionError, convert_state_dict
from mapkd.converters.official_layouts import ARCHS
from mapkd.utils.checkpoint import atomic_torch_save, load_state_dict_file

RANGES = {
    '60x30': dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15]),
    '120x60': dict(xbound=[-60.0, 60.0, 0.3], ybound=[-30.0, 30.0, 0.3]),
    '240x60': dict(xbound=[-120.0, 120.0, 0.3], ybound=[-30.0, 30.0, 0.3]),
}
CLI_ARCHS = {'teacher': 'teacher', 'coach': 'coach', 'coach-hd': 'coach_hd', 'student': 'student',
             'hdmapnet': 'hdmapnet', 'hd-prior': 'hd_prior'}


def build_target_model(arch: str, config: str | None, grid_range: str, image_size: Sequence[int],
                       hdmapnet_original: bool):
    """Our model the file is converted for: from ``config`` (its ``model``) or from the defaults at a range."""
    import mapkd.models  # noqa: F401  (registers the models)
    from mapkd.registry import MODELS

    if config:
        from mmengine.config import Config
        cfg = Config.fromfile(config)
        model_cfg = dict(cfg.model)
        if model_cfg.get('type') == 'MapDistiller':
            raise CLIError(f'{config} is a distillation config; pass the config of the single model')
    else:
        model_cfg = dict(type=ARCHS[arch]['model_type'],
                         grid_conf=dict(RANGES[grid_range], zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0]),
                         image_size=list(image_size))
        if arch == 'coach_hd':
            model_cfg['hd_head'] = True
        if hdmapnet_original:
            model_cfg['direction_from_embedding_branch'] = True
    expected_type = ARCHS[arch]['model_type']
    if model_cfg.get('type') != expected_type:
        raise CLIError(f'arch {arch!r} converts to {expected_type}, but the config builds {model_cfg.get("type")}')
    model_cfg['loss'] = None
    model_cfg.pop('data_preprocessor', None)
    return MODELS.build(model_cfg), model_cfg


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='tools/convert_checkpoint.py',
        description='Convert an official MapKD / P-MapNet / HDMapNet checkpoint (with or without the '
                    'DataParallel "module." prefix) into a MapKD checkpoint. Loading is strict: every '
                    'parameter of our model must be filled with the right shape; the official dead '
                    'modules listed in docs/model_zoo.md are dropped by name.')
    parser.add_argument('--arch', required=True, choices=sorted(CLI_ARCHS))
    parser.add_argument('src', help='official checkpoint (.pt/.pth state dict)')
    parser.add_argument('dst', help='output MapKD checkpoint (.pth)')
    parser.add_argument('--config', help='model config to convert for (default: official sizes at --range)')
    parser.add_argument('--range', dest='grid_range', default='60x30', choices=sorted(RANGES))
    parser.add_argument('--image-size', nargs=2, type=int, default=[128, 352], metavar=('H', 'W'))
    parser.add_argument('--hdmapnet-original', action='store_true',
                        help='the file comes from Tsinghua-MARS-Lab/HDMapNet: its direction head is fed by '
                             'up1_embedded; the output records direction_from_embedding_branch=True')
    args = parser.parse_args(argv)
    arch = CLI_ARCHS[args.arch]
    if args.hdmapnet_original and arch != 'hdmapnet':
        raise CLIError('--hdmapnet-original only applies to --arch hdmapnet')
    try:
        official = load_state_dict_file(args.src)
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    model, model_cfg = build_target_model(arch, args.config, args.grid_range, args.image_size, args.hdmapnet_original)
    try:
        state, report = convert_state_dict(official, arch, model, source=args.src)
    except CheckpointConversionError as exc:
        raise CLIError(str(exc)) from exc
    model.load_state_dict(state, strict=True)  # proves the result loads strictly
    meta = dict(report, model=model_cfg)
    atomic_torch_save({'state_dict': state, 'meta': meta}, args.dst)
    print(f'converted {args.src} ({report["official_class"]}) -> {args.dst}: {report["num_converted"]} tensors, '
          f'{len(report["dropped_keys"])} official keys dropped'
          f'{", module. prefix stripped" if report["stripped_module_prefix"] else ""}')
    return 0
