"""``tools/benchmark.py train-step DISTILL_CONFIG``: student-alone step vs full distillation step.

The student-alone step is forward + task loss + backward + Adam step of the distiller's student;
the distillation step adds the frozen teacher/coach forwards (no_grad) and the distillation
losses, exactly as training runs it.
"""
from __future__ import annotations

import argparse
from typing import Optional, Sequence

import torch

from mapkd.cli import CLIError

from .common import (add_config_args, amp_dtype, load_cfg, machine_description, peak_memory_mb,
                     synthetic_batch, synthetic_targets, time_fn, write_json)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='tools/benchmark.py train-step', description=__doc__)
    add_config_args(parser)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--amp', action='store_true')
    args = parser.parse_args(argv)

    cfg = load_cfg(args.config, args.cfg_options)
    if cfg.model.get('type') != 'MapDistiller':
        raise CLIError(f'{args.config} is not a MapDistiller config')
    from mapkd.registry import MODELS
    # the full step runs the frozen teacher/coach every iteration: the per-sample target cache of some
    # configs (cache_targets) would skip them after the first pass over the same synthetic batch
    distiller = MODELS.build(dict(cfg.model, cache_targets=False)).to(args.device)
    distiller.train()
    inputs = synthetic_batch(cfg, args.batch_size, args.device)
    targets = synthetic_targets(cfg, args.batch_size, args.device)
    params = [p for p in distiller.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-5)

    def make_step(loss_fn):
        def step():
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type=args.device.split(':')[0], dtype=amp_dtype(args.device),
                                enabled=args.amp):
                losses = loss_fn()
            total = sum(v for k, v in losses.items() if k.startswith('loss'))
            total.backward()
            optimizer.step()
        return step

    student_ms = time_fn(make_step(lambda: distiller.student.loss(inputs, targets)), args.device,
                         args.warmup, args.iters)
    distill_ms = time_fn(make_step(lambda: distiller.loss(inputs, targets)), args.device,
                         args.warmup, args.iters)
    result = dict(config=args.config, batch_size=args.batch_size, amp=args.amp,
                  machine=machine_description(args.device), student_step_ms=student_ms,
                  distill_step_ms=distill_ms, overhead=distill_ms / student_ms,
                  peak_memory_mb=peak_memory_mb(args.device))
    print(f'batch {args.batch_size}: student alone {student_ms:.0f} ms/step, full distillation '
          f'{distill_ms:.0f} ms/step (x{distill_ms / student_ms:.2f}); peak memory '
          f'{result["peak_memory_mb"]:.0f} MiB; {result["machine"]}')
    write_json(args.out, result)
    return 0
