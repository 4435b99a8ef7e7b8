#!/usr/bin/env python
"""Print the versions of everything MapKD depends on (paste this into bug reports)."""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
from typing import Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mapkd.utils.machine import cpu_capability, cpu_model  # noqa: E402

PACKAGES = ('torch', 'torchvision', 'mmengine', 'nuscenes', 'numpy', 'shapely', 'cv2', 'timm',
            'sklearn', 'scipy', 'shapefile', 'PIL')


def collect() -> dict:
    """Return a dict of platform and package versions."""
    info = {'python': sys.version.split()[0], 'platform': platform.platform()}
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
            info[name] = getattr(module, '__version__', 'unknown')
        except ImportError as exc:
            info[name] = f'not importable ({exc})'
    import torch
    info['cuda_available'] = torch.cuda.is_available()
    if torch.cuda.is_available():
        info['cuda'] = torch.version.cuda
        info['gpus'] = ', '.join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    info['torch_threads'] = torch.get_num_threads()
    info['cpu'] = cpu_model()
    # CPU results are bit-reproducible only at the same kernel level (mapkd/utils/machine.py)
    info['cpu_capability'] = cpu_capability()
    return info


def main(argv: Optional[Sequence[str]] = None) -> int:
    argparse.ArgumentParser(prog='tools/collect_env.py', description=__doc__).parse_args(argv)
    for key, value in collect().items():
        print(f'{key:<16} {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
