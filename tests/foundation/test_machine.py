"""The machine description that reports and benchmarks carry (mapkd/utils/machine.py)."""
import os
import subprocess
import sys

import torch

from mapkd.benchmarks.common import machine_description
from mapkd.utils.machine import cpu_capability, cpu_model, describe_machine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model name\t: AMD EPYC 9B14
flags\t\t: fpu avx2 avx512f

processor\t: 1
model name\t: AMD EPYC 9B14
"""


def test_cpu_model_reads_the_first_model_name(tmp_path):
    path = tmp_path / 'cpuinfo'
    path.write_text(CPUINFO)
    assert cpu_model(str(path)) == 'AMD EPYC 9B14'


def test_cpu_model_falls_back_when_there_is_no_cpuinfo(tmp_path):
    name = cpu_model(str(tmp_path / 'missing'))
    assert name and 'EPYC 9B14' not in name


def test_capability_is_the_level_torch_dispatches_to():
    level = cpu_capability()
    assert level == torch.backends.cpu.get_cpu_capability()
    assert level in {'DEFAULT', 'NO AVX', 'AVX2', 'AVX512', 'ZVECTOR', 'VSX', 'SVE256', 'SVE128'} or \
        level.startswith(('SVE', 'AVX')), level


def test_description_names_model_cores_kernels_and_threads(tmp_path):
    path = tmp_path / 'cpuinfo'
    path.write_text(CPUINFO)
    text = describe_machine('cpu', cpuinfo=str(path), threads=3)
    assert text == (f'AMD EPYC 9B14, {os.cpu_count()} CPU cores, {cpu_capability()} kernels, '
                    f'3 torch threads (torch {torch.__version__})')
    # the benchmarks' JSON carries the same line
    assert machine_description('cpu') == describe_machine('cpu')


def test_collect_env_prints_the_cpu_and_its_kernel_level():
    out = subprocess.run([sys.executable, 'tools/collect_env.py'], cwd=ROOT, capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONPATH=ROOT)).stdout
    lines = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
    assert lines['cpu'].strip() == cpu_model()
    assert lines['cpu_capability'].strip() == cpu_capability()
