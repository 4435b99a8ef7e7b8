"""``tools/benchmark.py flops CONFIG``: FLOPs of one forward pass (torch's FlopCounterMode)."""
from __future__ import annotations

import argparse
from typing import Optional, Sequence

import torch
from torch.utils.flop_counter import FlopCounterMode

from .common import add_config_args, build_model, load_cfg, synthetic_batch, write_json


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='tools/benchmark.py flops', description=__doc__)
    add_config_args(parser)
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--part', help='count this sub-model of the config (e.g. student)')
    args = parser.parse_args(argv)

    cfg = load_cfg(args.config, args.cfg_options)
    part = args.part or ('student' if cfg.model.get('type') == 'MapDistiller' else None)
    model = build_model(cfg, args.device, part)
    inputs = synthetic_batch(cfg, args.batch_size, args.device)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(inputs, mode='tensor')
    flops = counter.get_total_flops()
    # FlopCounterMode counts a multiply-add as 2 FLOPs; papers usually quote GMACs = FLOPs / 2.
    print(f'{args.config}: {flops / 1e9:.2f} GFLOPs ({flops / 2e9:.2f} GMACs) per batch of {args.batch_size}')
    write_json(args.out, dict(config=args.config, part=part, batch_size=args.batch_size, flops=flops))
    return 0
