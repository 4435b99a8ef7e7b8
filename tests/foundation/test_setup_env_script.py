"""scripts/setup_env.sh: which installer it runs with which requirement files, and its fallbacks.

The venv's python is replaced by a recording stub, so these tests check the script's own logic
(installer choice, constraints, fallback from uv to pip, the up-to-date stamp) without installing.
"""
import os
import os.path as osp
import shutil
import stat
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FILES = ('scripts/setup_env.sh', 'requirements.txt', 'requirements-dev.txt', 'constraints.txt', 'setup.py')

STUB = """#!/usr/bin/env bash
echo "$*" >> "{log}"
if [ "$1 $2" = "-m uv" ] && [ -n "${{STUB_UV_FAILS:-}}" ]; then exit 1; fi
exit 0
"""


@pytest.fixture()
def checkout(tmp_path):
    for name in FILES:
        os.makedirs(tmp_path / osp.dirname(name), exist_ok=True)
        shutil.copy(osp.join(ROOT, name), tmp_path / name)
    python = tmp_path / '.venv' / 'bin' / 'python'
    python.parent.mkdir(parents=True)
    log = tmp_path / 'calls.log'
    python.write_text(STUB.format(log=log))
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return tmp_path, log


def run_setup(root, **env):
    full = {k: v for k, v in os.environ.items() if k not in ('PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL',
                                                             'MAPKD_INSTALLER', 'MAPKD_KEEP_TORCH')}
    full.update(env)
    done = subprocess.run(['bash', str(root / 'scripts/setup_env.sh')], env=full, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def installs(log):
    return [line for line in log.read_text().splitlines() if ' install ' in f' {line} ']


def test_uv_installs_with_the_constraints_then_the_stamp_skips_reinstall(checkout):
    root, log = checkout
    done = run_setup(root)
    assert done.stdout.strip().splitlines()[-1] == str(root / '.venv/bin/python')
    calls = installs(log)
    uv = [c for c in calls if c.startswith('-m uv pip install')]
    assert len(uv) == 1 and '--compile-bytecode' in uv[0]
    assert f'-c {root}/constraints.txt -r {root}/requirements-dev.txt' in uv[0]
    assert not any(c.startswith('-m pip install') and '-r ' in c for c in calls)   # pip did not install them too
    assert any('-e ' + str(root) in c for c in calls)                              # MapKD itself, editable
    before = log.read_text()
    again = run_setup(root)
    assert 'up to date' in again.stderr and log.read_text() == before


def test_a_failing_uv_falls_back_to_pip(checkout):
    root, log = checkout
    done = run_setup(root, STUB_UV_FAILS='1')
    assert 'uv failed; installing with pip instead' in done.stderr
    pip = [c for c in installs(log) if c.startswith('-m pip install') and '-r ' in c]
    assert pip == [f'-m pip install --quiet -c {root}/constraints.txt -r {root}/requirements-dev.txt']
    assert (root / '.venv/.mapkd-requirements.sha256').is_file()


@pytest.mark.parametrize('env', [{'MAPKD_INSTALLER': 'pip'}, {'PIP_INDEX_URL': 'https://mirror.example/simple'}])
def test_pip_when_asked_or_when_pip_has_its_own_index(checkout, env):
    root, log = checkout
    run_setup(root, **env)
    calls = installs(log)
    assert not any(c.startswith('-m uv') or c.endswith(' uv') for c in calls)
    assert any(c.startswith('-m pip install --quiet -c ') for c in calls)


def test_keep_torch_drops_the_torch_constraints(checkout):
    root, log = checkout
    run_setup(root, MAPKD_KEEP_TORCH='1')
    uv = [c for c in installs(log) if c.startswith('-m uv pip install')]
    assert len(uv) == 1 and 'constraints.txt' not in uv[0] and f'-r {root}/requirements-dev.txt' in uv[0]
