"""Tools run in a forked child of a pre-importing process (mapkd/utils/forked_tool.py), as the
quickstart runs them on CPU-only machines: same behaviour and same bits as a new Python process."""
from __future__ import annotations

import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mapkd.utils.forked_tool import start_forked_tool, wait_forked_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
pytestmark = pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs os.fork')


def _run_forked(script: str, args: list, cwd: str) -> tuple[int, str]:
    pid, output = start_forked_tool(script, args, cwd)
    with output:
        text = output.read()
    return wait_forked_tool(pid), text


def test_the_child_runs_the_script_as_main_with_its_argv_cwd_and_exit_code(tmp_path):
    (tmp_path / 'tool.py').write_text(
        'import os, sys\n'
        'print("name", __name__, "argv", sys.argv[1:], "cwd", os.getcwd())\n'
        'print("path0", sys.path[0])\n'
        'print("to stderr", file=sys.stderr)\n'
        'if __name__ == "__main__":\n'
        '    sys.exit(int(sys.argv[1]))\n')
    code, text = _run_forked('tool.py', ['3', 'x y'], str(tmp_path))
    assert code == 3
    assert f"name __main__ argv ['3', 'x y'] cwd {tmp_path}" in text
    assert f'path0 {tmp_path}' in text and 'to stderr' in text
    assert os.getcwd() != str(tmp_path)   # the parent did not move
    assert _run_forked('tool.py', ['0'], str(tmp_path))[0] == 0


def test_an_exception_in_the_tool_is_its_exit_status_1_with_the_traceback(tmp_path):
    (tmp_path / 'bad.py').write_text('raise KeyError("the missing key")\n')
    code, text = _run_forked('bad.py', [], str(tmp_path))
    assert code == 1 and 'Traceback' in text and 'the missing key' in text
    with pytest.raises(FileNotFoundError, match='absent.py'):
        start_forked_tool('absent.py', [], str(tmp_path))


def test_processes_the_tool_leaves_running_do_not_keep_the_parent_waiting(tmp_path):
    """A DataLoader worker of an infinite sampler outlives the tool's main(); a fresh process would
    stop it at exit, and so must the forked child (the worker holds the output pipe open)."""
    import time
    (tmp_path / 'leaves_worker.py').write_text(
        'import multiprocessing, time\n'
        'worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(600,), daemon=True)\n'
        'worker.start()\n'
        'print("worker", worker.pid, flush=True)\n')
    start = time.time()
    code, text = _run_forked('leaves_worker.py', [], str(tmp_path))
    assert code == 0 and 'worker' in text
    assert time.time() - start < 60
    pid = int(text.split()[1])
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_forked_training_run_gives_the_same_bits_as_a_new_process(tmp_path, synthetic_root):
    from mapkd.utils.checkpoint import load_state_dict_file
    opts = ['train_cfg.max_iters=2', 'train_cfg.val_interval=3', 'param_scheduler.0.milestones=[1]',
            'param_scheduler.0.end=2', 'default_hooks.checkpoint.interval=2', 'custom_hooks.1.num_batches=1',
            'train_dataloader.batch_size=2', 'randomness.seed=5']
    for loader in ('train_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={synthetic_root}', f'{loader}.dataset.version=v1.0-mini']
    config = 'configs/quickstart/student_baseline.py'
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, 'tools/train.py', config, '--work-dir', str(tmp_path / 'spawned'),
                           '--cfg-options', *opts], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # forked from a fresh process that only imported (as tools/quickstart.py does), not from this
    # pytest process: earlier tests ran torch ops here, and OpenMP's thread pool does not survive fork
    driver = ('import sys\n'
              'from mapkd.utils.forked_tool import preload, start_forked_tool, wait_forked_tool\n'
              'preload()\n'
              'root = sys.argv.pop(1)\n'
              'pid, output = start_forked_tool("tools/train.py", sys.argv[1:], root)\n'
              'text = output.read()\n'
              'print(text)\n'
              'sys.exit(wait_forked_tool(pid))\n')
    proc = subprocess.run([sys.executable, '-c', driver, ROOT, config, '--work-dir', str(tmp_path / 'forked'),
                           '--cfg-options', *opts], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    code, text = proc.returncode, proc.stdout + proc.stderr
    assert code == 0, text[-3000:]
    spawned = load_state_dict_file(str(tmp_path / 'spawned' / 'iter_2.pth'))
    forked = load_state_dict_file(str(tmp_path / 'forked' / 'iter_2.pth'))
    assert spawned.keys() == forked.keys()
    assert [k for k in spawned if not torch.equal(spawned[k], forked[k])] == []
    assert 'PreciseBNHook: recomputed' in text
