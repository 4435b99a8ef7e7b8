"""``tools/benchmark.py data CONFIG``: data-loader samples/s per worker.

Example (student inputs = 6 images + GT rasters, from 1600x900 JPEGs of a synthetic city)::

    python tools/create_data.py synthetic --root data/synthetic_900 --scenes 2 --samples-per-scene 8 \\
        --image-size 900 1600
    python tools/benchmark.py data configs/_base_/datasets/nus_60x30.py --data-root data/synthetic_900 \\
        --version v1.0-mini --inputs student

One worker = one process producing items; its rate is measured in-process over ``--samples``
items (after ``--warmup``), i.e. the throughput each DataLoader worker contributes. The rate per
CPU-second of the process is printed too: it is what a worker achieves on an idle core.

``--workers N`` (N >= 1) also times a real ``torch.utils.data.DataLoader`` with N worker processes,
``--batch-size`` and ``mapkd_collate`` (worker start-up excluded): this includes the transfer of
the items from the workers to the main process and the collation, and is divided by N.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from typing import Sequence

from mapkd.cli import CLIError

INPUT_SETS = {
    'student': dict(load_images=True, load_lidar=False, load_sd_map=False),
    'coach': dict(load_images=True, load_lidar=False, load_sd_map=True),
    'teacher': dict(load_images=True, load_lidar=True, load_sd_map=True),
    'gt': dict(load_images=False, load_lidar=False, load_sd_map=False),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='tools/benchmark.py data', description=__doc__.split('\n\n')[0])
    p.add_argument('config', help='config with a train_dataloader (e.g. configs/_base_/datasets/nus_60x30.py)')
    p.add_argument('--data-root', help='override the dataset data_root')
    p.add_argument('--version', help='override the dataset version')
    p.add_argument('--split', default='train')
    p.add_argument('--inputs', choices=sorted(INPUT_SETS), default='student',
                   help='which inputs to load: student = 6 images + GT rasters; teacher adds LiDAR + SD map')
    p.add_argument('--samples', type=int, default=40, help='items to time (cycled over the split)')
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--workers', type=int, default=0,
                   help='also time a DataLoader with this many worker processes (0 = in-process only)')
    p.add_argument('--batch-size', type=int, default=4, help='batch size of the --workers DataLoader')
    p.add_argument('--out', help='also write the result as JSON to this file')
    return p


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as fh:
            names = [line.split(':', 1)[1].strip() for line in fh if line.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f'{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}'


def time_dataloader(dataset, workers: int, batch_size: int, samples: int) -> dict:
    """Samples/s of a DataLoader with ``workers`` processes, after its first batch (start-up)."""
    import torch
    from torch.utils.data import DataLoader, RandomSampler
    from mapkd.datasets.mapkd_collate import mapkd_collate
    num_batches = max(1, -(-samples // batch_size))
    sampler = RandomSampler(dataset, replacement=True, num_samples=(num_batches + workers) * batch_size,
                            generator=torch.Generator().manual_seed(0))
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                        collate_fn=mapkd_collate, prefetch_factor=2)
    batches = iter(loader)
    for _ in range(workers):  # every worker has started and produced one batch
        next(batches)
    start = time.perf_counter()
    for _ in range(num_batches):
        next(batches)
    elapsed = time.perf_counter() - start
    del batches
    total = num_batches * batch_size
    return dict(dataloader_workers=workers, dataloader_batch_size=batch_size,
                dataloader_samples_per_s=total / elapsed,
                dataloader_samples_per_s_per_worker=total / elapsed / workers)


def main(argv: Sequence[str] | None = None) -> int:
    from mmengine.config import Config
    from mapkd.registry import DATASETS
    from mapkd.utils.setup_env import register_all_modules
    args = build_parser().parse_args(argv)
    if args.workers < 0 or args.batch_size < 1 or args.samples < 1:
        raise CLIError('--workers must be >= 0, --batch-size and --samples >= 1')
    if not os.path.isfile(args.config):
        raise CLIError(f'config {args.config} not found')
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if 'train_dataloader' not in cfg:
        raise CLIError(f'{args.config} defines no train_dataloader')
    ds_cfg = dict(cfg.train_dataloader.dataset)
    ds_cfg.update(INPUT_SETS[args.inputs], split=args.split, test_mode=True, hd_prior=None)
    if args.data_root:
        ds_cfg['data_root'] = args.data_root
    if args.version:
        ds_cfg['version'] = args.version
    dataset = DATASETS.build(ds_cfg)
    if len(dataset) == 0:
        raise CLIError(f'the {args.split} split of {ds_cfg["data_root"]} is empty')
    for i in range(args.warmup):
        dataset[i % len(dataset)]
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(args.samples):
        dataset[(args.warmup + i) % len(dataset)]
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    first = dataset.get_data_info(0)['cams'][0]
    result = dict(samples_per_s_per_worker=args.samples / elapsed, ms_per_sample=1000 * elapsed / args.samples,
                  samples_per_cpu_s=args.samples / cpu, load_average_1min=load,
                  inputs=args.inputs, config=args.config, data_root=ds_cfg['data_root'],
                  source_image_size=[first.get('height'), first.get('width')],
                  image_size=list(dataset.image_size), canvas=list(dataset.grid.canvas_size), machine=machine())
    print(f'{result["samples_per_s_per_worker"]:.1f} samples/s per worker ({result["ms_per_sample"]:.1f} ms/sample), '
          f'inputs={args.inputs}, source images {first.get("width")}x{first.get("height")} -> '
          f'{dataset.image_size[1]}x{dataset.image_size[0]}, BEV {dataset.grid.canvas_size}, on {result["machine"]}')
    print(f'{result["samples_per_cpu_s"]:.1f} samples per CPU-second of the worker (wall-clock rate above is '
          f'lower when the machine is oversubscribed: 1-min load average {load:.1f} on {os.cpu_count()} CPUs)')
    if args.workers:
        result.update(time_dataloader(dataset, args.workers, args.batch_size, args.samples))
        print(f'DataLoader, {args.workers} worker(s), batch {args.batch_size}, mapkd_collate: '
              f'{result["dataloader_samples_per_s"]:.1f} samples/s = '
              f'{result["dataloader_samples_per_s_per_worker"]:.1f} samples/s per worker')
    if args.out:
        with open(args.out, 'w') as fh:
            json.dump(result, fh, indent=2)
    return 0
