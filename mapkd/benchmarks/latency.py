"""``tools/benchmark.py latency CONFIG``: inference latency/FPS at several batch sizes, fp32 and AMP."""
from __future__ import annotations

import argparse
from typing import Optional, Sequence

import torch

from .common import (add_config_args, amp_dtype, build_model, load_cfg, machine_description,
                     peak_memory_mb, synthetic_batch, time_fn, write_json)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='tools/benchmark.py latency', description=__doc__)
    add_config_args(parser)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--precisions', nargs='+', choices=['fp32', 'amp'], default=['fp32', 'amp'])
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--part', help='benchmark this sub-model of the config (e.g. student)')
    args = parser.parse_args(argv)

    cfg = load_cfg(args.config, args.cfg_options)
    part = args.part or ('student' if cfg.model.get('type') == 'MapDistiller' else None)
    model = build_model(cfg, args.device, part)
    params = sum(p.numel() for p in model.parameters())
    latency, fps = {}, {}
    for batch in args.batch_sizes:
        inputs = synthetic_batch(cfg, batch, args.device)
        for precision in args.precisions:
            def step():
                with torch.no_grad(), torch.autocast(device_type=args.device.split(':')[0],
                                                     dtype=amp_dtype(args.device),
                                                     enabled=precision == 'amp'):
                    return model(inputs, mode='tensor')
            ms = time_fn(step, args.device, args.warmup, args.iters)
            key = f'{precision}_bs{batch}'
            latency[key] = ms
            fps[key] = batch * 1000.0 / ms
            print(f'{args.config} {key}: {ms:.1f} ms/batch, {fps[key]:.2f} samples/s')
    result = dict(config=args.config, part=part, device=args.device,
                  machine=machine_description(args.device), params=params, latency_ms=latency,
                  fps=fps, peak_memory_mb=peak_memory_mb(args.device))
    print(f'params {params:,}; peak memory {result["peak_memory_mb"]:.0f} MiB; {result["machine"]}')
    write_json(args.out, result)
    return 0
