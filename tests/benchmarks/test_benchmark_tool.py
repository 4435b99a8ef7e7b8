"""tools/benchmark.py: every sub-command runs on real configs and writes what docs/benchmarks.md quotes.

No timing is asserted (speed targets are checked by running the benchmarks, not by tests); the tests
check that the figures exist, are consistent with each other and come from the configured models.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STUDENT = 'configs/quickstart/student_baseline.py'
DISTILL = 'configs/quickstart/student_distill.py'
RANDOM_TEACHERS = ['model.teachers.teacher.checkpoint=None', 'model.teachers.coach.checkpoint=None']


def bench(*args: str) -> str:
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, 'tools/benchmark.py', *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _total(stdout: str) -> int:
    line = next(line for line in stdout.splitlines() if line.startswith('total'))
    return int(line.split()[-1].replace(',', ''))


def test_params_of_a_distiller_config_count_its_student():
    student = _total(bench('params', STUDENT))
    distill_out = bench('params', DISTILL)
    assert 'counting model.student of MapDistiller' in distill_out
    assert _total(distill_out) == student > 1_000_000


def test_latency_and_flops_of_student_and_teacher(tmp_path):
    results = {}
    for name, config in (('student', STUDENT), ('teacher', 'configs/quickstart/teacher.py')):
        out = tmp_path / f'{name}.json'
        bench('latency', config, '--batch-sizes', '1', '2', '--precisions', 'fp32', 'amp', '--warmup', '0',
              '--iters', '1', '--out', str(out))
        results[name] = json.loads(out.read_text())
        assert set(results[name]['latency_ms']) == {'fp32_bs1', 'amp_bs1', 'fp32_bs2', 'amp_bs2'}
        for key, ms in results[name]['latency_ms'].items():
            batch = int(key.split('bs')[1])
            assert ms > 0 and abs(results[name]['fps'][key] - batch * 1000.0 / ms) < 1e-6
        assert results[name]['peak_memory_mb'] > 0
    assert results['teacher']['params'] > results['student']['params']
    flops_student = bench('flops', STUDENT)
    flops_teacher = bench('flops', 'configs/quickstart/teacher.py')
    gflops = [float(text.split('GFLOPs')[0].split(':')[-1]) for text in (flops_student, flops_teacher)]
    assert 0 < gflops[0] < gflops[1]


def test_train_step_times_student_alone_and_full_distillation(tmp_path):
    out = tmp_path / 'step.json'
    stdout = bench('train-step', DISTILL, '--batch-size', '1', '--warmup', '0', '--iters', '1', '--out', str(out),
                   '--cfg-options', *RANDOM_TEACHERS)
    result = json.loads(out.read_text())
    assert result['student_step_ms'] > 0 and result['distill_step_ms'] > 0
    assert abs(result['overhead'] - result['distill_step_ms'] / result['student_step_ms']) < 1e-9
    assert 'full distillation' in stdout


def test_data_loader_throughput_on_the_synthetic_city(tmp_path, synthetic_root):
    out = tmp_path / 'data.json'
    bench('data', 'configs/_base_/datasets/synthetic_quick.py', '--data-root', synthetic_root, '--version', 'v1.0-mini',
          '--inputs', 'teacher',
          '--samples', '3', '--warmup', '1', '--workers', '1', '--batch-size', '2', '--out', str(out))
    result = json.loads(out.read_text())
    assert result['samples_per_s_per_worker'] > 0 and result['samples_per_cpu_s'] > 0
    assert result['dataloader_workers'] == 1 and result['dataloader_batch_size'] == 2
    assert result['dataloader_samples_per_s_per_worker'] == result['dataloader_samples_per_s'] > 0


def test_data_benchmark_rejects_bad_arguments(synthetic_root):
    proc = subprocess.run([sys.executable, 'tools/benchmark.py', 'data', 'configs/_base_/datasets/synthetic_quick.py',
                           '--data-root', synthetic_root, '--workers', '-1'], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert '--workers must be >= 0' in proc.stderr
