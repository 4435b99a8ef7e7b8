"""Determinism, argument checking, atomic writes and the CLI of the synthetic city generator."""
import hashlib
import importlib.machinery
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import mapkd.datasets.synthetic.generator as generator
from mapkd.cli import CLIError
from mapkd.datasets.synthetic import generate_city
from mapkd.datasets.synthetic.cli import main

TINY = dict(scenes=1, samples_per_scene=2, image_size=(64, 112))
REPO = Path(__file__).resolve().parents[2]


def _digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob('*')) if p.is_file()}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    two = dict(TINY, scenes=2)
    a = generate_city(tmp_path / 'a', seed=3, workers=1, **two)
    c = generate_city(tmp_path / 'c', seed=3, workers=2, **two)   # parallel rendering, same bytes
    da, dc = _digest(a), _digest(c)
    assert da == dc and len(da) > 30
    d = generate_city(tmp_path / 'd', seed=4, workers=1, **TINY)
    dd = _digest(d)
    differing = [k for k in da if da[k] != dd.get(k)]
    assert 'maps/expansion/boston-seaport.json' in differing
    assert any(k.endswith('.jpg') for k in differing) and any(k.endswith('.pcd.bin') for k in differing)
    assert not any(p.name.startswith('.') for p in tmp_path.iterdir())   # no temporary folders left


@pytest.mark.parametrize('argv, message', [
    (['--scenes', '0'], 'scenes must be a positive integer'),
    (['--samples-per-scene', '-3'], 'samples_per_scene must be a positive integer'),
    (['--samples-per-scene', '1'], 'samples_per_scene must be at least 2'),
    (['--image-size', '0', '100'], 'image_size'),
    (['--val-scenes', '5', '--scenes', '2'], 'val_scenes must be an integer between 0 and scenes=2'),
    (['--workers', '0'], '--workers must be positive'),
    (['--seed', '-1'], 'seed must be a non-negative integer'),
    (['--scenes', '14', '--val-scenes', '6'], 'v1.0-mini lists at most 8 train and 2 val scenes'),
])
def test_bad_arguments_raise_one_line_cli_errors(tmp_path, argv, message):
    with pytest.raises(CLIError, match=message) as info:
        main(['--root', str(tmp_path / 'out'), *argv])
    assert '\n' not in str(info.value)
    assert not (tmp_path / 'out').exists()


def test_existing_non_empty_root_needs_overwrite(tmp_path):
    root = tmp_path / 'city'
    root.mkdir()
    (root / 'keep.txt').write_text('mine')
    with pytest.raises(CLIError, match='exists and is not empty; pass --overwrite'):
        main(['--root', str(root), '--scenes', '1', '--samples-per-scene', '2'])
    assert (root / 'keep.txt').read_text() == 'mine'


@pytest.mark.skipif(os.name != 'posix' or os.geteuid() == 0, reason='needs a non-root POSIX user')
def test_unwritable_root_is_a_clear_error(tmp_path):
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(CLIError, match='cannot write into'):
            main(['--root', str(locked / 'city'), '--scenes', '1', '--samples-per-scene', '2'])
    finally:
        locked.chmod(0o700)


def test_root_below_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / 'file.txt'
    blocker.write_text('not a folder')
    with pytest.raises(CLIError, match='cannot create the parent folder'):
        main(['--root', str(blocker / 'city'), '--scenes', '1', '--samples-per-scene', '2'])


def test_failure_leaves_no_complete_looking_dataset(tmp_path, monkeypatch):
    def broken_tables(*args, **kwargs):
        raise RuntimeError('simulated crash while writing tables')

    monkeypatch.setattr(generator, 'build_tables', broken_tables)
    with pytest.raises(RuntimeError, match='simulated crash'):
        generate_city(tmp_path / 'city', seed=0, workers=1, **TINY)
    assert list(tmp_path.iterdir()) == []
    # an existing dataset survives a failed --overwrite run
    old = tmp_path / 'old'
    old.mkdir()
    (old / 'marker').write_text('previous dataset')
    with pytest.raises(RuntimeError):
        generate_city(old, seed=0, workers=1, overwrite=True, **TINY)
    assert (old / 'marker').read_text() == 'previous dataset'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['old']


def test_cli_generates_and_calls_create_infos_when_available(tmp_path, monkeypatch, caplog):
    calls = []
    fake = types.ModuleType('mapkd.datasets.create_infos')
    fake.__spec__ = importlib.machinery.ModuleSpec('mapkd.datasets.create_infos', None)
    fake.create_infos = lambda root, version: calls.append((root, version))
    monkeypatch.setitem(sys.modules, 'mapkd.datasets.create_infos', fake)
    root = tmp_path / 'city'
    caplog.set_level('INFO')
    assert main(['--root', str(root), '--scenes', '1', '--samples-per-scene', '2', '--image-size', '64', '112',
                 '--workers', '1']) == 0
    assert calls == [(str(root), 'v1.0-mini')]
    assert 'create_infos' in caplog.text
    assert (root / 'v1.0-mini' / 'scene.json').is_file() and (root / 'osm' / 'boston-seaport.shp').is_file()


def test_create_data_tool_reports_one_line_error(tmp_path):
    out = subprocess.run([sys.executable, str(REPO / 'tools' / 'create_data.py'), 'synthetic', '--root',
                          str(tmp_path / 'x'), '--scenes', '-2'], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert out.stderr.strip() == 'error: scenes must be a positive integer, got -2'


@pytest.mark.parametrize('version, train_split, val_split', [('v1.0-mini', 'mini_train', 'mini_val'),
                                                               ('v1.0-trainval', 'train', 'val')])
def test_scene_names_fall_in_the_devkit_split_they_are_generated_for(version, train_split, val_split):
    """Two mini_train scenes (scene-0553, scene-0796) are in the devkit's val split: a v1.0-trainval
    city must not use them as training scenes, or its loader would mix them into val."""
    from nuscenes.utils.splits import create_splits_scenes
    from mapkd.datasets.synthetic.scenes import scene_names
    splits = create_splits_scenes()
    scenes, val = (10, 2) if version == 'v1.0-mini' else (30, 10)
    names = scene_names(scenes, val, version)
    assert [split for _, split in names] == ['train'] * (scenes - val) + ['val'] * val
    assert len({name for name, _ in names}) == scenes
    assert all(name in splits[train_split] for name, split in names if split == 'train')
    assert all(name in splits[val_split] for name, split in names if split == 'val')
