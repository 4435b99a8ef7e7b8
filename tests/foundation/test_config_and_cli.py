"""Config inheritance, --cfg-options, registry-type validation and CLI error handling."""
from __future__ import annotations

import os.path as osp
import subprocess
import sys

import pytest

from mapkd.cli import CLIError
from mapkd.engine.launch import load_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(ROOT, 'configs', '_base_')


def _write_config(tmp_path, body: str) -> str:
    path = tmp_path / 'child.py'
    path.write_text(body)
    return str(path)


def test_base_inheritance_and_override(tmp_path):
    path = _write_config(tmp_path, f"""
_base_ = [r'{BASE}/default_runtime.py', r'{BASE}/schedules/adam_30e.py']
model = dict(type='MapDataPreprocessor')
""")
    cfg = load_config(path, {}, 'none', 0, str(tmp_path / 'wd'))
    assert cfg.max_epochs == 30
    assert cfg.train_cfg.max_epochs == 30
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(5e-4)  # from adam_10e via adam_30e
    assert cfg.optim_wrapper.clip_grad.max_norm == 5.0
    assert cfg.param_scheduler[0].step_size == 10
    assert cfg.runner_type == 'MapRunner'
    assert cfg.work_dir == str(tmp_path / 'wd')

    cfg = load_config(path, {'optim_wrapper.optimizer.lr': 1e-3, 'train_cfg.max_epochs': 2},
                      'none', 0, None)
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(1e-3)
    assert cfg.train_cfg.max_epochs == 2
    assert cfg.work_dir.endswith(osp.join('work_dirs', 'child'))


def test_typo_in_cfg_options_is_refused(tmp_path):
    path = _write_config(tmp_path, f"_base_ = [r'{BASE}/default_runtime.py', r'{BASE}/schedules/adam_10e.py']\n")
    with pytest.raises(CLIError, match=r"no key 'max_epoch' in train_cfg; did you mean max_epochs"):
        load_config(path, {'train_cfg.max_epoch': 3}, 'none', 0, None)


def test_unknown_registry_type_lists_close_names(tmp_path):
    path = _write_config(tmp_path, f"""
_base_ = [r'{BASE}/default_runtime.py', r'{BASE}/schedules/adam_10e.py']
model = dict(type='MapDataPreprocesor')
""")
    with pytest.raises(CLIError, match=r"unknown model type 'MapDataPreprocesor' at model; close names: .*MapDataPreprocessor"):
        load_config(path, {}, 'none', 0, None)

    path = _write_config(tmp_path, f"""
_base_ = [r'{BASE}/default_runtime.py', r'{BASE}/schedules/adam_10e.py']
model = dict(type='MapDataPreprocessor')
param_scheduler = [dict(type='StepLr', step_size=3)]
""")
    with pytest.raises(CLIError, match=r"unknown parameter scheduler type 'StepLr'.*StepLR"):
        load_config(path, {}, 'none', 0, None)


def test_syntax_error_in_config_names_the_file(tmp_path):
    path = _write_config(tmp_path, 'model = dict(type=\n')
    with pytest.raises(CLIError, match='cannot read config .*child.py'):
        load_config(path, {}, 'none', 0, None)


TOOLS = ['train.py', 'test.py', 'create_data.py', 'benchmark.py', 'collect_env.py',
         'convert_checkpoint.py', 'download_checkpoints.py', 'eval_submission.py',
         'export_gt.py', 'visualize.py']


@pytest.mark.parametrize('tool', TOOLS)
def test_every_tool_has_help(tool):
    path = osp.join(ROOT, 'tools', tool)
    assert osp.isfile(path), f'tools/{tool} is missing'
    proc = subprocess.run([sys.executable, path, '--help'], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'usage' in proc.stdout.lower()


@pytest.mark.parametrize('argv, message', [
    (['train.py', 'configs/does_not_exist.py'], 'config file not found: configs/does_not_exist.py'),
    (['test.py', 'configs/_base_/default_runtime.py', 'missing.pth'], 'checkpoint not found: missing.pth'),
    (['train.py', 'configs/_base_/default_runtime.py', '--launcher', 'lsf'], 'invalid arguments'),
    (['create_data.py', 'nuscenez'], "unknown sub-command 'nuscenez'"),
])
def test_bad_input_gives_one_line_error(argv, message):
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tools', argv[0]), *argv[1:]],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('error:') and message in last, proc.stderr


def test_dist_scripts_accept_both_local_rank_spellings():
    from mapkd.engine.launch import add_common_args
    import argparse
    parser = argparse.ArgumentParser()
    add_common_args(parser)
    assert parser.parse_args(['--local-rank', '3']).local_rank == 3
    assert parser.parse_args(['--local_rank=2']).local_rank == 2
    for script in ('dist_train.sh', 'dist_test.sh', 'slurm_train.sh', 'slurm_test.sh'):
        text = open(osp.join(ROOT, 'tools', script)).read()
        assert 'torch.distributed.run' in text or 'srun' in text
    text = open(osp.join(ROOT, 'tools', 'dist_train.sh')).read()
    for var in ('NNODES', 'NODE_RANK', 'MASTER_ADDR', 'PORT'):
        assert var in text
