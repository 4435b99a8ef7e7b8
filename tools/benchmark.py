#!/usr/bin/env python
"""Benchmarks: parameters, FLOPs, latency/FPS, training step time, data loading, memory.

Results are printed and can be appended to docs/benchmarks.md (see each sub-command's --help).
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mapkd.cli import dispatch  # noqa: E402

COMMANDS = {
    'params': ('mapkd.benchmarks.params', 'parameter counts of a config\'s model (vs the official counts)'),
    'flops': ('mapkd.benchmarks.flops', 'FLOPs of a config\'s model'),
    'latency': ('mapkd.benchmarks.latency', 'latency / FPS at batch 1 and 8, fp32 and AMP'),
    'train-step': ('mapkd.benchmarks.train_step', 'training step time: student alone vs full distillation'),
    'data': ('mapkd.benchmarks.data', 'data-loader samples/s per worker'),
}

if __name__ == '__main__':
    sys.exit(dispatch('tools/benchmark.py', __doc__, COMMANDS))
