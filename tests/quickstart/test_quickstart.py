"""The quickstart end to end on a tiny city (2 training iterations per stage), and its city reuse."""
from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools'))

import quickstart  # noqa: E402  (tools/quickstart.py)


def test_quickstart_runs_every_stage_and_writes_the_report(tmp_path):
    work, city = tmp_path / 'work', tmp_path / 'city'
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, 'tools/quickstart.py', '--work-dir', str(work), '--data-root', str(city),
                           '--scenes', '3', '--val-scenes', '1', '--samples-per-scene', '4', '--iters', '2',
                           '--seed', '3', '--ablations', 'msrd_only', 'tgpd_only'],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert 'synthetic city generated' in proc.stdout
    # CPU-only: the tools are forked, and every sample was decoded once before they were (sample_memo);
    # with a GPU the tools run as fresh processes and read the files
    import torch
    if not torch.cuda.is_available():
        assert 'decoded 12 samples in' in proc.stdout and 'the stages read them from memory' in proc.stdout
    # the city went where --data-root said, and nothing read the default data/synthetic
    stamp = json.loads((city / 'quickstart.json').read_text())
    assert stamp['scenes'] == 3 and stamp['generator_version'] == quickstart_generator_version()
    assert stamp['val_scenes'] == 1 and stamp['version'] == 'v1.0-trainval'
    assert (city / 'v1.0-trainval' / 'scene.json').is_file()
    # GT vectors are cached for the one BEV range the quickstart reads
    caches = sorted(p for p in os.listdir(city / 'mapkd_cache') if p.startswith('gt_vectors'))
    assert caches == ['gt_vectors_v1.0-trainval_train_60x30.pkl', 'gt_vectors_v1.0-trainval_val_60x30.pkl'], caches
    for stage in ('teacher', 'coach', 'student_distilled', 'student_baseline'):
        cfg_dump = (work / stage / f'{stage_config(stage)}').read_text()
        assert str(city) in cfg_dump
        assert (work / stage / 'iter_2.pth').is_file()
        # BatchNorm statistics re-estimated before the final checkpoint is written
        log = (work / f'{stage}.log').read_text()
        assert 'PreciseBNHook: recomputed' in log
        assert log.index('PreciseBNHook: recomputed') < log.index('Saving checkpoint at 2 iterations')
        assert 'deterministic: True' in log   # CPU runs of the quickstart are reproducible
    # stage 0 (masked HD-prior pre-training) ran and the teacher's MAE head started from it
    assert (work / 'hd_prior' / 'iter_2.pth').is_file()
    assert f"mae_head initialised from {work / 'hd_prior' / 'iter_2.pth'}" in (work / 'teacher.log').read_text()
    # the quickstart teacher trains its LiDAR branch with the auxiliary loss (training-only head)
    from mapkd.utils.checkpoint import load_state_dict_file
    teacher_state = load_state_dict_file(str(work / 'teacher' / 'iter_2.pth'))
    assert {'lidar_aux_head.weight', 'lidar_aux_head.bias'} <= set(teacher_state)
    # the coach starts its shared parts from the trained teacher (configs/quickstart/coach_distill.py)
    assert "student modules ['camera_bev', 'conv_bev', 'sd_fusion'" in (work / 'coach.log').read_text()
    # the coach stage saved its teacher targets; the student stages read them instead of running
    # the teacher over the training set again (the first batch checked them bit for bit)
    saved = sorted(p.split('-')[0] for p in os.listdir(work / 'frozen_targets'))
    assert saved == ['coach', 'teacher'], saved
    for stage in ('student_distilled', 'student_msrd_only', 'student_tgpd_only'):
        log = (work / f'{stage}.log').read_text()
        assert "FrozenTargetCache: 'teacher' targets of 8 samples read from" in log, stage
        assert 'not using' not in log
    assert 'targets of' not in (work / 'coach.log').read_text()
    results = json.loads((work / 'results.json').read_text())
    assert results['seed'] == 3
    assert set(results['results']) == {'teacher', 'coach', 'student_distilled', 'student_baseline',
                                       'student_msrd_only', 'student_tgpd_only'}
    for metrics in results['results'].values():
        assert 0.0 <= metrics['mIoU'] <= 1.0 and 0.0 <= metrics['mAP'] <= 1.0
    report = (work / 'report.md').read_text()
    for label in quickstart.LABELS.values():
        assert f'| {label} |' in report
    # the ablations trained exactly their loss set against the run's teacher and coach
    for name, (_, label) in quickstart.ABLATIONS.items():
        assert f'| {label} (ablation) |' in report
        log = (work / f'student_{name}.log').read_text()
        assert str(work / 'teacher' / 'iter_2.pth') in log and str(work / 'coach' / 'iter_2.pth') in log
    from mmengine.config import Config
    for name, want in (('msrd_only', ['MSRDLoss', 'MSRDLoss']), ('tgpd_only', ['TGPDLoss', 'TGPDLoss'])):
        dumped = Config.fromfile(str(work / f'student_{name}' / f'student_{name}.py'))
        assert [loss['type'] for loss in dumped.model.distill_losses] == want
    assert '## Checks' in report and 'teacher > coach > baseline student on mIoU' in report
    # the students share one architecture: timed once, the same latency and params in both rows
    rows = {line.split(' | ')[0].lstrip('| '): line.split(' | ') for line in report.splitlines() if line.startswith('| ')}
    distilled, baseline = rows[quickstart.LABELS['student_distilled']], rows[quickstart.LABELS['student_baseline']]
    assert distilled[-2:] == baseline[-2:] and baseline[-1].strip(' |') != '-'
    assert not (work / 'student_baseline.bench.log').exists() and (work / 'student_distilled.bench.log').is_file()
    assert 'mAP clusters the raw instance embeddings' in report   # the protocol is stated
    # the machine is stated: CPU bits depend on the kernel level (mapkd/utils/machine.py)
    from mapkd.utils.machine import cpu_capability
    assert f'Machine: {results["machine"]}.' in report
    if not torch.cuda.is_available():
        assert f'{cpu_capability()} kernels' in results['machine']
    pngs = sorted(p for p in os.listdir(work / 'vis') if p.endswith('.png'))
    assert len(pngs) == 4 and all(f'(vis/{p})' in report for p in pngs)


def quickstart_generator_version() -> int:
    from mapkd.datasets.synthetic.generator import GENERATOR_VERSION
    return GENERATOR_VERSION


def stage_config(stage: str) -> str:
    config = {name: cfg for name, cfg, _, _ in quickstart.STAGES}[stage]
    return osp.basename(config)


def test_city_from_an_older_generator_is_regenerated(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(quickstart, 'run', lambda cmd, log_file: calls.append(cmd))
    args = quickstart.parse_args(['--data-root', str(tmp_path), '--scenes', '3', '--val-scenes', '1',
                                  '--samples-per-scene', '4'])
    args.data_root = str(tmp_path)
    stamp = tmp_path / 'quickstart.json'
    current = dict(scenes=3, val_scenes=1, samples_per_scene=4, seed=0, image_size=[225, 400],
                   version='v1.0-trainval', generator_version=quickstart_generator_version())
    stamp.write_text(json.dumps(current))
    quickstart.ensure_city(args, sys.executable, str(tmp_path / 'log'))
    assert calls == []                      # same arguments, same generator: reused
    stamp.write_text(json.dumps(dict(current, generator_version=current['generator_version'] - 1)))
    quickstart.ensure_city(args, sys.executable, str(tmp_path / 'log'))
    assert len(calls) == 1 and '--overwrite' in calls[0] and str(tmp_path) in calls[0]
    assert json.loads(stamp.read_text()) == current


def test_same_seed_gives_the_same_teacher_bit_for_bit(tmp_path, synthetic_root):
    """Without deterministic algorithms two CPU runs of the quickstart teacher drifted apart from the
    3rd iteration; with them (the quickstart configs' ``randomness``) they are identical."""
    import torch
    weights = []
    for run in ('a', 'b'):
        work = tmp_path / run
        proc = subprocess.run(
            [sys.executable, 'tools/train.py', 'configs/quickstart/teacher.py', '--work-dir', str(work),
             '--cfg-options', f'train_dataloader.dataset.data_root={synthetic_root}',
             'train_dataloader.dataset.version=v1.0-mini', 'train_cfg.max_iters=4',
             'default_hooks.checkpoint.interval=4', 'custom_hooks.1.num_batches=2',
             'model.hd_prior_checkpoint=None'],  # MAE head from scratch (no stage 0 here)
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        weights.append(torch.load(work / 'iter_4.pth', map_location='cpu', weights_only=False)['state_dict'])
    assert weights[0].keys() == weights[1].keys()
    different = [k for k in weights[0] if not torch.equal(weights[0][k], weights[1][k])]
    assert not different, different[:5]


def test_report_names_the_mAP_clustering_of_the_config():
    # the quickstart evaluates with the raw-embedding clustering, the nuScenes configs officially
    assert 'raw instance embeddings' in quickstart.clustering_note(
        osp.join(ROOT, 'configs/quickstart/student_baseline.py'))
    assert '(official)' in quickstart.clustering_note(
        osp.join(ROOT, 'configs/mapkd/student_cam_only_60x30_10e.py'))
