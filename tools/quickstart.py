#!/usr/bin/env python
"""The quickstart: synthetic city -> teacher -> coach -> distilled student + baseline -> report.

Every stage runs the same command a user would run (tools/create_data.py, tools/train.py,
tools/test.py, tools/benchmark.py, tools/visualize.py) in its own process (forked from this one
on a CPU-only machine, to skip the imports; see --subprocesses), so the quickstart exercises the
real code paths. Progress lines are printed throughout. The report is written to
WORK_DIR/report.md.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mapkd.cli import CLIError, run_cli  # noqa: E402

# The quickstart city's table version (configs/_base_/datasets/synthetic_quick.py reads it): the
# devkit's v1.0-mini splits list only 2 val scenes, too few to rank models on mAP (docs/benchmarks.md).
CITY_VERSION = 'v1.0-trainval'
# trained first, not evaluated as a map model: the official stage 1a (masked GT-map completion)
PRETRAIN_STAGES = (
    # name, config, needs
    ('hd_prior', 'configs/quickstart/hd_prior_pretrain.py', ()),
)
STAGES = (
    # name, config, modalities, needs
    ('teacher', 'configs/quickstart/teacher.py', 'C + L + SD + HD', ('hd_prior',)),
    ('coach', 'configs/quickstart/coach_distill.py', 'C + sim-L + SD', ('teacher',)),
    ('student_distilled', 'configs/quickstart/student_distill.py', 'C', ('teacher', 'coach')),
    ('student_baseline', 'configs/quickstart/student_baseline.py', 'C', ()),
)
# the option that hands a finished stage's checkpoint to a stage that needs it
NEED_OPTIONS = {'hd_prior': 'model.hd_prior_checkpoint', 'teacher': 'model.teachers.teacher.checkpoint',
                'coach': 'model.teachers.coach.checkpoint'}
STAGE_NAMES = tuple(name for name, _, _, _ in STAGES)
# Optional student variants (--ablations): the distilled student with one MapKD loss switched off,
# same architecture, schedule and seed as the two students above; trained after them against the
# run's teacher and coach, evaluated the same way and added to the report.
ABLATIONS = {
    'msrd_only': ('configs/quickstart/ablations/student_msrd_only.py', 'Student, MSRD only'),
    'tgpd_only': ('configs/quickstart/ablations/student_tgpd_only.py', 'Student, TGPD only'),
}
# Latency is a property of the architecture, not of the weights: the two students share one
# architecture and config, so they are timed once (as 'student_distilled') and share that figure;
# timing them separately only showed the measurement noise (e.g. 139 vs 97 ms for one network).
BENCH_OF = {'teacher': 'teacher', 'coach': 'coach', 'student_distilled': 'student_distilled',
            'student_baseline': 'student_distilled'}
LATENCY_WARMUP, LATENCY_ITERS = 3, 10
LABELS = {'teacher': 'Teacher (P-MapNet)', 'coach': 'Coach (distilled from teacher)',
          'student_distilled': 'Student, MapKD (TGPD + MSRD)', 'student_baseline': 'Student, baseline'}


def log(message: str) -> None:
    print(f'[quickstart {time.strftime("%H:%M:%S")}] {message}', flush=True)


# Set by main(): run the tools in forked children of this process, which imported torch, mmengine and
# mapkd once (mapkd/utils/forked_tool.py; saves ~6 s of imports per tool on a 2-core CPU). Off when
# a GPU is present (a process must not fork after initialising CUDA) and with --subprocesses.
FORK_TOOLS = False


def run(cmd: Sequence[str], log_file: str) -> None:
    """Run a tool, streaming its output to the console and to ``log_file``."""
    log('$ ' + ' '.join(cmd))
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    forked = FORK_TOOLS and cmd[0] == sys.executable and len(cmd) > 1 and cmd[1].endswith('.py')
    with open(log_file, 'a') as handle:
        if forked:
            from mapkd.utils.forked_tool import start_forked_tool, wait_forked_tool
            pid, output = start_forked_tool(cmd[1], cmd[2:], ROOT)
        else:
            proc = subprocess.Popen(list(cmd), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, bufsize=1)
            assert proc.stdout is not None
            output = proc.stdout
        with output:
            for line in output:
                handle.write(line)
                if any(key in line for key in ('Iter(', 'Epoch(', 'Traceback', 'Error', 'error:',
                                               'samples', 'city', 'mIoU', 'mAP', 'ms/batch')):
                    sys.stdout.write('    ' + line)
                    sys.stdout.flush()
        code = wait_forked_tool(pid) if forked else proc.wait()
    if code != 0:
        raise CLIError(f'command failed with exit code {code}: {" ".join(cmd)} (log: {log_file})')


def last_checkpoint(work_dir: str) -> str:
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise CLIError(f'no checkpoint found in {work_dir}')
    with open(marker) as handle:
        return handle.read().strip()


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='tools/quickstart.py', description=__doc__)
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--data-root', default='data/synthetic',
                        help='where the synthetic city is generated (the quickstart configs read it)')
    parser.add_argument('--seed', type=int, default=0, help='training seed (the city uses seed 0)')
    parser.add_argument('--scenes', type=int, default=14, help='scenes of the synthetic city (default 14)')
    parser.add_argument('--val-scenes', type=int, default=6,
                        help='of which validation scenes (default 6: 8 training scenes, 240 val samples)')
    parser.add_argument('--samples-per-scene', type=int, default=40)
    parser.add_argument('--skip-visualization', action='store_true')
    parser.add_argument('--reuse', action='store_true',
                        help='keep stages that already have a final checkpoint in the work dir')
    parser.add_argument('--ablations', nargs='+', default=[], choices=sorted(ABLATIONS),
                        help='also train and evaluate these distilled-student variants (one loss off each); '
                             'with --reuse, an existing run only trains what it lacks')
    parser.add_argument('--subprocesses', action='store_true',
                        help='start every tool as a new Python process (default on a CPU-only machine: forked '
                             'from this one, which imported torch/mmengine/mapkd once)')
    parser.add_argument('--iters', type=int, default=None,
                        help='override the training iterations of every stage (default: the configs\' value)')
    return parser.parse_args(argv)


def ensure_city(args: argparse.Namespace, python: str, log_file: str) -> None:
    stamp = osp.join(args.data_root, 'quickstart.json')   # args.data_root is absolute (main)
    from mapkd.datasets.synthetic.generator import GENERATOR_VERSION
    want = dict(scenes=args.scenes, val_scenes=args.val_scenes, samples_per_scene=args.samples_per_scene,
                seed=0, image_size=[225, 400], version=CITY_VERSION, generator_version=GENERATOR_VERSION)
    if osp.isfile(stamp):
        with open(stamp) as handle:
            if json.load(handle) == want:
                log(f'synthetic city already in {args.data_root}')
                return
    start = time.time()
    run([python, 'tools/create_data.py', 'synthetic', '--root', args.data_root, '--scenes',
         str(args.scenes), '--val-scenes', str(args.val_scenes), '--version', CITY_VERSION,
         '--samples-per-scene', str(args.samples_per_scene), '--seed', '0',
         '--image-size', '225', '400', '--overwrite', '--ranges', '60x30'], log_file)   # the only range it reads
    with open(stamp, 'w') as handle:
        json.dump(want, handle)
    log(f'synthetic city generated in {time.time() - start:.0f} s')


# the stages whose datasets share one item signature (all but the HD-prior head, which loads no sensors)
MEMO_CONFIG = 'configs/quickstart/teacher.py'


def memoize_samples(data_root: str) -> None:
    """Decode every train and val sample once in this process, before the stage tools are forked from it.

    The forked stages and their DataLoader workers inherit the items (mapkd/datasets/sample_memo.py)
    instead of decoding the same JPEGs, sweeps and rasters in every stage and evaluation pass; the
    items are identical. Only numpy, PIL and OpenCV drawing run here: no torch kernels or thread
    pools that a forked child could not use.
    """
    from mmengine.config import Config

    from mapkd.datasets import sample_memo
    from mapkd.registry import DATASETS
    from mapkd.utils.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(ROOT, MEMO_CONFIG))
    start = time.time()
    for loader in ('train_dataloader', 'test_dataloader'):
        dataset_cfg = cfg[loader]['dataset'].copy()
        dataset_cfg['data_root'] = data_root
        sample_memo.memoize_dataset(DATASETS.build(dataset_cfg))
    log(f'decoded {sample_memo.memo_size()} samples in {time.time() - start:.0f} s; '
        'the stages read them from memory (mapkd/datasets/sample_memo.py)')


def cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


def iteration_overrides(iters: int) -> List[str]:
    """--cfg-options for a schedule of ``iters`` iterations: the loop, the x0.2 step at 80 % and the
    final checkpoint move together (as ``configs/quickstart/_quick_runtime.py`` derives them)."""
    return [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters + 1}',
            f'param_scheduler.0.milestones=[{int(iters * 0.8)}]', f'param_scheduler.0.end={iters}',
            f'default_hooks.checkpoint.interval={iters}']


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    args.data_root = osp.abspath(osp.join(ROOT, args.data_root))
    python = sys.executable
    work = osp.abspath(osp.join(ROOT, args.work_dir))
    os.makedirs(work, exist_ok=True)
    log_file = osp.join(work, 'quickstart.log')
    t_start = time.time()
    timings: dict = {}

    targets_dir = osp.join(work, 'frozen_targets')
    if not args.reuse and osp.isdir(targets_dir):
        shutil.rmtree(targets_dir)   # the stages are retrained: their targets would never match
    ensure_city(args, python, log_file)
    timings['data'] = time.time() - t_start

    gpu = cuda_available()
    global FORK_TOOLS
    FORK_TOOLS = not gpu and not args.subprocesses and hasattr(os, 'fork')
    if FORK_TOOLS:
        from mapkd.utils.forked_tool import preload
        preload()
        memoize_samples(args.data_root)

    # every stage reads the city at --data-root (the configs' default is data/synthetic/)
    data_opt = [f'randomness.seed={args.seed}', f'train_dataloader.dataset.data_root={args.data_root}',
                f'test_dataloader.dataset.data_root={args.data_root}']
    train_opt = [] if args.iters is None else iteration_overrides(args.iters)
    if gpu:
        # the configs ask for deterministic algorithms (CPU runs are then reproducible); some CUDA
        # kernels have no deterministic form and would raise
        train_opt.append('randomness.deterministic=False')
    ckpts: dict = {}
    train_stages = list(PRETRAIN_STAGES) + [(name, config, needs) for name, config, _, needs in STAGES]
    train_stages += [(f'student_{name}', ABLATIONS[name][0], ('teacher', 'coach')) for name in args.ablations]
    for name, config, needs in train_stages:
        stage_dir = osp.join(work, name)
        extra = list(data_opt) + train_opt
        for need in needs:
            extra.append(f'{NEED_OPTIONS[need]}={ckpts[need]}')
        t0 = time.time()
        log(f'training {name} ({config})')
        if args.reuse and osp.isfile(osp.join(stage_dir, 'last_checkpoint')):
            ckpts[name] = last_checkpoint(stage_dir)
            log(f'reusing {ckpts[name]} (--reuse)')
            continue
        if osp.isdir(stage_dir):
            shutil.rmtree(stage_dir)
        if any(need in ('teacher', 'coach') for need in needs):
            # distillers: the teacher targets computed by the coach stage are reused by the student
            # stages (same teacher weights; mapkd/models/distillers/target_cache.py)
            extra.append(f'model.target_cache_dir={osp.join(work, "frozen_targets")}')
        extra += [f'experiment_name=quickstart_{name}', f'visualizer.name=quickstart_{name}']
        run([python, 'tools/train.py', config, '--work-dir', stage_dir, '--cfg-options', *extra],
            osp.join(stage_dir + '.log'))
        ckpts[name] = last_checkpoint(stage_dir)
        timings[f'train_{name}'] = time.time() - t0

    # The distilled student is exported from its distiller checkpoint and evaluated with the
    # baseline student's config: same architecture, so the two rows are directly comparable.
    student_ckpt = export_student(python, work, 'student_distilled', ckpts)
    eval_plan = {
        'teacher': ('configs/quickstart/teacher.py', ckpts['teacher'], []),
        'coach': ('configs/quickstart/coach_distill.py', ckpts['coach'],
                  [f'model.teachers.teacher.checkpoint={ckpts["teacher"]}']),
        'student_distilled': ('configs/quickstart/student_baseline.py', student_ckpt, []),
        'student_baseline': ('configs/quickstart/student_baseline.py', ckpts['student_baseline'], []),
    }
    for name in args.ablations:
        stage = f'student_{name}'
        eval_plan[stage] = ('configs/quickstart/student_baseline.py', export_student(python, work, stage, ckpts), [])
    results: dict = {}
    bench: dict = {}
    for name, (config, ckpt, extra) in eval_plan.items():
        t0 = time.time()
        test_dir = osp.join(work, name, 'test')
        log(f'evaluating {name}')
        run([python, 'tools/test.py', config, ckpt, '--work-dir', test_dir, '--cfg-options',
             *data_opt, *extra], osp.join(work, name + '.test.log'))
        with open(osp.join(test_dir, 'metrics.json')) as handle:
            results[name] = json.load(handle)['metrics']
        if BENCH_OF.get(name) == name:   # one timing per architecture (BENCH_OF)
            out = osp.join(work, name, 'benchmark.json')
            run([python, 'tools/benchmark.py', 'latency', config, '--batch-sizes', '1',
                 '--precisions', 'fp32', '--warmup', str(LATENCY_WARMUP), '--iters', str(LATENCY_ITERS),
                 '--out', out,
                 *(['--cfg-options', *extra] if extra else [])],
                osp.join(work, name + '.bench.log'))
            with open(out) as handle:
                bench[name] = json.load(handle)
        timings[f'eval_{name}'] = time.time() - t0

    if not args.skip_visualization:
        run([python, 'tools/visualize.py', 'configs/quickstart/student_baseline.py', student_ckpt,
             '--out-dir', osp.join(work, 'vis'), '--samples', '4', '--cfg-options',
             f'test_dataloader.dataset.data_root={args.data_root}'], osp.join(work, 'vis.log'))

    timings['total'] = time.time() - t_start
    from mapkd.utils.machine import describe_machine
    machine = describe_machine('cuda' if gpu else 'cpu')
    report = write_report(work, results, bench, timings, args, machine)
    with open(osp.join(work, 'results.json'), 'w') as handle:
        json.dump(dict(results=results, benchmark=bench, timings=timings, seed=args.seed, machine=machine),
                  handle, indent=2)
    log(f'done in {timings["total"] / 60:.1f} min; report: {report}')
    return 0


def export_student(python: str, work: str, stage: str, ckpts: dict) -> str:
    """Export the student of a distiller checkpoint (``stage``) for evaluation with the student config."""
    out = osp.join(work, stage, 'student_only.pth')
    run([python, 'scripts/extract_student.py', ckpts[stage], out], osp.join(work, f'{stage}.log'))
    return out


def _fmt(value, scale: float = 100.0) -> str:
    return '-' if value is None else f'{value * scale:.2f}'


def result_checks(results: dict) -> list[tuple[str, bool]]:
    """The orderings the quickstart is expected to show (issue: 'the result must be real')."""
    miou = {name: results[name].get('mIoU', 0.0) for name in results}
    m_ap = {name: results[name].get('mAP', 0.0) for name in results}
    return [
        ('teacher > coach > baseline student on mIoU',
         miou['teacher'] > miou['coach'] > miou['student_baseline']),
        ('distilled student > baseline student on mIoU', miou['student_distilled'] > miou['student_baseline']),
        ('distilled student > baseline student on mAP', m_ap['student_distilled'] > m_ap['student_baseline']),
    ]


def clustering_note(config: str) -> str:
    """How the mAP of ``config``'s test evaluator clusters instance embeddings, for the report."""
    from mmengine.config import Config
    vectorize_cfg = Config.fromfile(config).test_evaluator.get('vectorize_cfg') or {}
    if vectorize_cfg.get('standardize_embeddings', True):
        return 'mAP clusters StandardScaler-normalised instance embeddings (official).'
    return ('mAP clusters the raw instance embeddings (the official StandardScaler step is off: '
            'docs/evaluation.md, deviation 13).')


def write_report(work: str, results: dict, bench: dict, timings: dict, args, machine: str) -> str:
    """Write the paper-style table (model, modalities, IoU per class, mIoU, mAP, params, latency)."""
    lines = ['# MapKD quickstart report', '',
             f'Machine: {machine}. CPU runs are deterministic for one torch version and one CPU kernel '
             'level: another kernel level (e.g. AVX2 against AVX512) gives a different, equally valid '
             'training run of the same seed (docs/benchmarks.md, quickstart results).', '',
             f'Synthetic city ({args.scenes} scenes x {args.samples_per_scene} samples, {args.val_scenes} of them '
             f'val, city seed 0), '
             f'training seed {args.seed}; evaluated on the synthetic val split. IoU/mAP in %; '
             f'{clustering_note(osp.join(ROOT, STAGES[-1][1]))}', '',
             '| model | modalities | divider | ped crossing | boundary | mIoU | mAP | params (M) | latency bs1 (ms) |',
             '|---|---|---|---|---|---|---|---|---|']
    rows = [(name, LABELS[name], modalities, BENCH_OF[name]) for name, _, modalities, _ in STAGES]
    rows += [(f'student_{name}', ABLATIONS[name][1] + ' (ablation)', 'C', 'student_distilled')
             for name in args.ablations]
    for name, label, modalities, bench_name in rows:
        m = results[name]
        b = bench.get(bench_name, {})
        params = b.get('params')
        latency = b.get('latency_ms', {}).get('fp32_bs1')
        lines.append(f'| {label} | {modalities} | {_fmt(m.get("IoU/divider"))} | '
                     f'{_fmt(m.get("IoU/ped_crossing"))} | {_fmt(m.get("IoU/boundary"))} | '
                     f'{_fmt(m.get("mIoU"))} | {_fmt(m.get("mAP"))} | '
                     f'{"-" if params is None else f"{params / 1e6:.2f}"} | '
                     f'{"-" if latency is None else f"{latency:.1f}"} |')
    lines += ['', f'Latency: model forward at batch 1, fp32, mean of {LATENCY_ITERS} passes after '
              f'{LATENCY_WARMUP} warm-up passes on this machine (`tools/benchmark.py latency`); the two '
              'students share one architecture and one measurement.']
    lines += ['', '## Checks', '']
    lines += [f'- {text}: **{"yes" if ok else "no"}**' for text, ok in result_checks(results)]
    lines += ['', '## Time', '']
    lines += [f'- {k}: {v / 60:.1f} min' for k, v in timings.items()]
    vis_dir = osp.join(work, 'vis')
    if osp.isdir(vis_dir):
        pngs = sorted(f for f in os.listdir(vis_dir) if f.endswith('.png'))
        lines += ['', '## Visualisations (distilled student)', '']
        lines += [f'![{p}](vis/{p})' for p in pngs[:4]]
    path = osp.join(work, 'report.md')
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')
    return path


if __name__ == '__main__':
    sys.exit(run_cli(main))
