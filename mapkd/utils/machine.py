"""Describe the machine a run or a measurement came from (for reports, benchmarks and bug reports).

CPU runs of the quickstart are deterministic, but only for one torch version and one CPU kernel
level: torch picks its vectorised CPU kernels (and oneDNN its convolution kernels) by the
instruction set it finds (``AVX2``, ``AVX512``, ...), and kernels of different widths sum in
different orders. The same seed therefore gives the same bits on two AVX-512 machines but a
different (equally valid) training run on an AVX2-only one; a report that gives numbers must
say which.
"""
from __future__ import annotations

import os
import platform
from typing import Optional

CPUINFO = '/proc/cpuinfo'


def cpu_model(cpuinfo: str = CPUINFO) -> str:
    """The CPU's model name (``model name`` of ``/proc/cpuinfo``), else what ``platform`` knows."""
    if os.path.isfile(cpuinfo):
        with open(cpuinfo, encoding='utf-8', errors='replace') as handle:
            for line in handle:
                key, sep, value = line.partition(':')
                if sep and key.strip() == 'model name' and value.strip():
                    return value.strip()
    return platform.processor() or platform.machine() or 'unknown CPU'


def cpu_capability() -> str:
    """The instruction-set level of the CPU kernels torch uses here (e.g. ``AVX2``, ``AVX512``)."""
    import torch
    return str(torch.backends.cpu.get_cpu_capability())


def describe_machine(device: str = 'cpu', cpuinfo: str = CPUINFO, threads: Optional[int] = None) -> str:
    """One line: the GPU for CUDA devices; else CPU model, cores, kernel level and torch threads."""
    import torch
    if device.startswith('cuda'):
        return f'{torch.cuda.get_device_name()} (torch {torch.__version__})'
    threads = torch.get_num_threads() if threads is None else threads
    return (f'{cpu_model(cpuinfo)}, {os.cpu_count()} CPU cores, {cpu_capability()} kernels, '
            f'{threads} torch threads (torch {torch.__version__})')
