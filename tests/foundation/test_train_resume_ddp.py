"""End-to-end runner behaviour on the synthetic city with a tiny real model config.

- train a few iterations, save, resume (iteration counter, optimizer and scheduler continue);
- tools/test.py evaluates the checkpoint and writes metrics JSON + submission;
- 2-process DDP on CPU (torchrun, gloo) trains and both ranks end with the same weights.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'quickstart', 'student_baseline.py')


def tiny_options(data_root: str, iters_per_epoch_batch: int = 2) -> list[str]:
    """--cfg-options that point the config at the fixture city and make every loop tiny."""
    opts = [f'train_dataloader.batch_size={iters_per_epoch_batch}', 'train_dataloader.num_workers=0',
            'default_hooks.checkpoint.by_epoch=False', 'log_processor.by_epoch=False',
            'test_dataloader.num_workers=0', 'test_dataloader.batch_size=2',
            'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=5']
    for loader in ('train_dataloader', 'test_dataloader'):  # the quickstart configs do not validate
        opts.append(f'{loader}.dataset.data_root={data_root}')
        opts.append(f'{loader}.dataset.version=v1.0-mini')   # the fixture city
    return opts


def run_tool(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, **kwargs)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def load_ckpt(path: str) -> dict:
    from mapkd.utils.checkpoint import register_safe_globals
    register_safe_globals()
    return torch.load(path, map_location='cpu', weights_only=True)


@pytest.fixture(scope='module')
def trained(tmp_path_factory, synthetic_root):
    work = tmp_path_factory.mktemp('train')
    opts = tiny_options(str(synthetic_root)) + ['train_cfg.max_iters=2', 'train_cfg.val_interval=100',
                                                'default_hooks.checkpoint.interval=2',
                                                'param_scheduler.0.milestones=[3]', 'param_scheduler.0.end=4']
    run_tool([sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work), '--cfg-options', *opts])
    return work, opts


def test_train_saves_checkpoint_with_state(trained):
    work, _ = trained
    ckpt = load_ckpt(str(work / 'iter_2.pth'))
    assert ckpt['meta']['iter'] == 2
    assert ckpt['optimizer']['state'], 'optimizer state (Adam moments) must be saved'
    assert ckpt['param_schedulers'], 'scheduler state must be saved'


def test_resume_continues_counters_and_optimizer(trained):
    work, opts = trained
    first = load_ckpt(str(work / 'iter_2.pth'))
    proc = run_tool([sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work), '--resume',
                     '--cfg-options', *[o for o in opts if not o.startswith('train_cfg.max_iters')],
                     'train_cfg.max_iters=4'])
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    second = load_ckpt(str(work / 'iter_4.pth'))
    assert second['meta']['iter'] == 4
    # Adam's step counter continued from the resumed state rather than restarting at 0.
    step1 = next(iter(first['optimizer']['state'].values()))['step']
    step2 = next(iter(second['optimizer']['state'].values()))['step']
    assert float(step2) == 2 * float(step1)
    sched1, sched2 = first['param_schedulers'][0], second['param_schedulers'][0]
    assert (sched1['_global_step'], sched2['_global_step']) == (2, 4)
    # the MultiStepLR milestone at iteration 3 was crossed after resuming: lr decayed from the resumed state
    assert sched2['_last_value'][0] == pytest.approx(sched1['_last_value'][0] * 0.2)
    # weights moved on from the resumed ones
    key = next(k for k, v in first['state_dict'].items() if v.dtype.is_floating_point and v.numel() > 10)
    assert not torch.equal(first['state_dict'][key], second['state_dict'][key])


def test_tools_test_evaluates_checkpoint(trained, tmp_path):
    work, opts = trained
    out = tmp_path / 'sub.json'
    proc = run_tool([sys.executable, 'tools/test.py', CONFIG, str(work / 'iter_2.pth'), '--work-dir',
                     str(tmp_path), '--out', str(out), '--cfg-options', *opts])
    assert 'mIoU' in proc.stdout
    metrics = json.loads((tmp_path / 'metrics.json').read_text())['metrics']
    assert 0.0 <= metrics['mIoU'] <= 1.0
    submission = json.loads(out.read_text())
    assert set(submission) == {'meta', 'results'}
    assert len(submission['results']) > 0


def test_resume_from_an_explicit_checkpoint_into_a_new_work_dir_with_amp(trained, tmp_path):
    """``--resume CKPT`` (not the auto-found last checkpoint) continues from that file's counters,
    here in another work dir and under ``--amp`` (bf16 autocast on the CPU)."""
    work, opts = trained
    proc = run_tool([sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(tmp_path), '--amp',
                     '--resume', str(work / 'iter_2.pth'),
                     '--cfg-options', *[o for o in opts if not o.startswith('train_cfg.max_iters')],
                     'train_cfg.max_iters=3'])
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    ckpt = load_ckpt(str(tmp_path / 'iter_3.pth'))
    assert ckpt['meta']['iter'] == 3
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values() if v.dtype.is_floating_point)
    assert not (tmp_path / 'iter_2.pth').exists()


def test_resume_from_a_missing_checkpoint_is_a_one_line_error(tmp_path):
    proc = subprocess.run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(tmp_path),
                           '--resume', str(tmp_path / 'nope.pth')], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT), timeout=300)
    assert proc.returncode != 0
    assert 'checkpoint to resume from not found' in proc.stderr and 'nope.pth' in proc.stderr


def test_tools_test_show_dir_writes_one_picture_per_sample(trained, tmp_path):
    work, opts = trained
    show = tmp_path / 'show'
    run_tool([sys.executable, 'tools/test.py', CONFIG, str(work / 'iter_2.pth'), '--work-dir', str(tmp_path),
              '--show-dir', str(show), '--show-samples', '3', '--cfg-options', *opts])
    pictures = sorted(p for p in show.rglob('*') if p.suffix in ('.png', '.jpg'))
    assert len(pictures) == 3, pictures
    import cv2
    for picture in pictures:
        image = cv2.imread(str(picture))
        assert image is not None and image.shape[0] > 100 and image.shape[1] > 100 and image.std() > 1


def test_two_process_ddp_ranks_agree(tmp_path, synthetic_root):
    work = tmp_path / 'ddp'
    opts = tiny_options(str(synthetic_root), iters_per_epoch_batch=1) + [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=2',
        'randomness.seed=3']
    dump = tmp_path / 'weights'
    dump.mkdir()
    script = osp.join(ROOT, 'tests', 'foundation', 'ddp_train_and_dump.py')
    run_tool([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
              '--master_port', '29533', script, CONFIG, str(work), str(dump), *opts])
    rank0 = torch.load(dump / 'rank0.pth', weights_only=True)
    rank1 = torch.load(dump / 'rank1.pth', weights_only=True)
    assert rank0.keys() == rank1.keys()
    for name in rank0:
        assert torch.allclose(rank0[name], rank1[name], atol=1e-6), name
    ckpt = load_ckpt(str(work / 'iter_2.pth'))
    model_key = next(iter(rank0))
    assert torch.allclose(ckpt['state_dict'][model_key], rank0[model_key], atol=1e-6)


def test_tools_test_zero_inputs_ablation(trained, tmp_path):
    """``--zero-inputs`` evaluates with the named inputs zeroed; a name the batch lacks is named."""
    work, opts = trained
    run_tool([sys.executable, 'tools/test.py', CONFIG, str(work / 'iter_2.pth'), '--work-dir', str(tmp_path),
              '--zero-inputs', 'imgs', '--cfg-options', *opts])
    payload = json.loads((tmp_path / 'metrics.json').read_text())
    assert 0.0 <= payload['metrics']['mIoU'] <= 1.0
    proc = subprocess.run([sys.executable, 'tools/test.py', CONFIG, str(work / 'iter_2.pth'), '--work-dir',
                           str(tmp_path / 'bad'), '--zero-inputs', 'radar', '--cfg-options', *opts],
                          cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1'))
    assert proc.returncode != 0
    assert 'zero_inputs names "radar"' in proc.stderr and "'imgs'" in proc.stderr
