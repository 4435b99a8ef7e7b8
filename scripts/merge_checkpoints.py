#!/usr/bin/env python
"""Build a model's initial checkpoint from parts of other checkpoints, strictly.

Example (HD-prior fine-tuning: stage-1b teacher + stage-1a pre-trained MAE head):

    python scripts/merge_checkpoints.py configs/mapkd/teacher_hd_finetune_60x30_10e.py \
        --base work_dirs/teacher_60x30_30e/epoch_30.pth \
        --override mae_head.=work_dirs/teacher_hd_prior_pretrain_60x30_30e/epoch_30.pth \
        --out work_dirs/teacher_hd_finetune_60x30_10e/init.pth

Every key of the config's model must come from exactly one source: ``--base`` provides all keys,
each ``--override PREFIX=CKPT`` replaces the keys starting with PREFIX by CKPT's keys with that
prefix. Missing, unexpected or mis-shaped keys are errors naming the keys.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import CLIError, run_cli  # noqa: E402


def merge(model_keys: dict, base: dict, overrides: Sequence[tuple[str, dict, str]]) -> dict:
    """``model_keys``: name -> shape of the target model; returns the merged state dict."""
    merged = dict(base)
    for prefix, state, path in overrides:
        part = {k: v for k, v in state.items() if k.startswith(prefix)}
        if not part:
            raise CLIError(f'{path} has no key starting with {prefix!r}')
        for key in [k for k in merged if k.startswith(prefix)]:
            del merged[key]
        merged.update(part)
    missing = sorted(set(model_keys) - set(merged))
    unexpected = sorted(set(merged) - set(model_keys))
    if missing or unexpected:
        raise CLIError(f'merged checkpoint does not match the model: {len(missing)} missing {missing[:10]}, '
                       f'{len(unexpected)} unexpected {unexpected[:10]}')
    wrong = [k for k, shape in model_keys.items() if tuple(merged[k].shape) != tuple(shape)]
    if wrong:
        raise CLIError(f'shape mismatch for {wrong[:10]}: e.g. {wrong[0]} model {tuple(model_keys[wrong[0]])} '
                       f'vs checkpoint {tuple(merged[wrong[0]].shape)}')
    return merged


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='scripts/merge_checkpoints.py', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config whose model the checkpoint is for')
    parser.add_argument('--base', required=True, help='checkpoint providing every key')
    parser.add_argument('--override', action='append', default=[], metavar='PREFIX=CKPT',
                        help='replace the keys starting with PREFIX by those of CKPT (repeatable)')
    parser.add_argument('--out', required=True, help='output checkpoint ({"state_dict": ...})')
    args = parser.parse_args(argv)

    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mapkd.models  # noqa: F401
    from mapkd.registry import MODELS
    from mapkd.utils.checkpoint import atomic_torch_save, load_state_dict_file

    init_default_scope('mapkd')
    if not osp.isfile(args.config):
        raise CLIError(f'config not found: {args.config}')
    model = MODELS.build(Config.fromfile(args.config).model)
    model_keys = {k: v.shape for k, v in model.state_dict().items()}
    overrides = []
    for item in args.override:
        if '=' not in item:
            raise CLIError(f'--override must be PREFIX=CKPT, got {item!r}')
        prefix, path = item.split('=', 1)
        overrides.append((prefix, load_state_dict_file(path), path))
    merged = merge(model_keys, load_state_dict_file(args.base), overrides)
    atomic_torch_save({'state_dict': merged, 'meta': {'merged_from': [args.base] + args.override}}, args.out)
    print(f'wrote {args.out} ({len(merged)} tensors)')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
