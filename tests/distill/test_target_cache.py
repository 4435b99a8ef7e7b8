"""MapDistiller(cache_targets=True): frozen models run once per sample, training is bit-identical."""
from __future__ import annotations

import copy

import pytest
import torch
from helpers import distiller_cfg
from mmengine.optim import OptimWrapper
from toy_models import toy_batch

from mapkd.models.distillers.target_cache import FrozenTargetCache, RecordingTargets, weights_fingerprint
from mapkd.registry import MODELS


def _select(batch: dict, indices: list) -> dict:
    """Samples ``indices`` of a collated batch (tensors and per-sample lists alike)."""
    def pick(value):
        if torch.is_tensor(value):
            return value[indices].clone()
        return [value[i] for i in indices]
    return dict(inputs={k: pick(v) for k, v in batch['inputs'].items()},
                data_samples={k: pick(v) for k, v in batch['data_samples'].items()})


def _count_frozen_calls(distiller) -> dict:
    calls = {name: 0 for name in distiller.frozen}
    for name, model in distiller.frozen.items():
        original = model.extract

        def counted(inputs, _name=name, _original=original):
            calls[_name] += 1
            return _original(inputs)
        model.extract = counted
    return calls


def _train(cache: bool, pool: dict, epochs: list) -> tuple:
    torch.manual_seed(0)
    cfg = distiller_cfg()
    cfg['cache_targets'] = cache
    distiller = MODELS.build(cfg)
    distiller.train()
    calls = _count_frozen_calls(distiller)
    optim = OptimWrapper(torch.optim.Adam(distiller.parameters(), lr=1e-2))
    for epoch in epochs:
        for indices in epoch:
            distiller.train_step(_select(pool, indices), optim)
    return distiller, calls


def test_cached_training_is_bit_identical_and_runs_each_frozen_model_once_per_sample():
    pool = toy_batch(batch=8, seed=0)
    # two epochs over 8 samples; the second puts every sample in a batch with different neighbours
    epochs = [[[0, 1, 2, 3], [4, 5, 6, 7]], [[5, 2, 7, 0], [1, 6, 3, 4]], [[3, 0, 6, 5], [7, 4, 1, 2]]]
    plain, plain_calls = _train(False, pool, epochs)
    cached, cached_calls = _train(True, pool, epochs)
    assert plain_calls == {'teacher': 6, 'coach': 6}
    assert cached_calls == {'teacher': 2, 'coach': 2}   # the first epoch only
    state, cached_state = plain.state_dict(), cached.state_dict()
    assert state.keys() == cached_state.keys()
    different = [k for k in state if not torch.equal(state[k], cached_state[k])]
    assert not different, different[:5]
    # only what the losses read is kept: TGPD reads bev_small, MSRD the semantic logits
    cache = cached.target_cache
    assert set(cache.keys_of('teacher')) == {'bev_small', 'seg'} and cache.num_samples('teacher') == 8
    # the cache holds no state of its own in the checkpoint
    assert not any('cache' in key for key in cached_state)


def test_a_batch_with_one_unseen_sample_runs_the_frozen_model_on_the_whole_batch():
    pool = toy_batch(batch=6, seed=1)
    cfg = distiller_cfg()
    cfg['cache_targets'] = True
    distiller = MODELS.build(cfg)
    calls = _count_frozen_calls(distiller)
    optim = OptimWrapper(torch.optim.SGD(distiller.parameters(), lr=0.0))
    distiller.train_step(_select(pool, [0, 1, 2, 3]), optim)
    distiller.train_step(_select(pool, [3, 1, 0, 2]), optim)   # all seen: no frozen forward
    assert calls == {'teacher': 1, 'coach': 1}
    distiller.train_step(_select(pool, [1, 4, 2, 5]), optim)   # two unseen samples
    assert calls == {'teacher': 2, 'coach': 2}
    assert distiller.target_cache.num_samples('coach') == 6


def test_cache_needs_tokens_and_rejects_a_sample_twice_in_one_batch():
    cfg = distiller_cfg()
    cfg['cache_targets'] = True
    distiller = MODELS.build(cfg)
    optim = OptimWrapper(torch.optim.SGD(distiller.parameters(), lr=0.0))
    batch = toy_batch(batch=2, seed=0)
    no_tokens = copy.deepcopy(batch)
    del no_tokens['data_samples']['token']
    with pytest.raises(KeyError, match='token'):
        distiller.train_step(no_tokens, optim)
    twice = copy.deepcopy(batch)
    twice['data_samples']['token'] = ['a', 'a']
    with pytest.raises(ValueError, match="same sample twice"):
        distiller.train_step(twice, optim)


def test_reading_an_output_that_was_not_cached_names_it():
    cache = FrozenTargetCache()
    outputs = dict(seg=torch.randn(2, 4, 8, 8), bev_small=torch.randn(2, 16, 4, 8))
    view = RecordingTargets(outputs, 'teacher')
    assert view['seg'] is outputs['seg'] and view.read == ['seg']
    cache.store('teacher', ['a', 'b'], view, view.read)
    batch = cache.lookup('teacher', ['b', 'a'])
    assert set(batch) == {'seg'} and torch.equal(batch['seg'][0], outputs['seg'][1])
    assert cache.lookup('teacher', ['a', 'c']) is None
    later = RecordingTargets(batch, 'teacher', cache.keys_of('teacher'))
    with pytest.raises(KeyError, match="'bev_small' of the frozen model 'teacher'"):
        later['bev_small']
    with pytest.raises(ValueError, match='not a per-sample tensor'):
        cache.store('coach', ['a', 'b'], dict(seg=torch.randn(3, 4)), ['seg'])
    with pytest.raises(ValueError, match='no loss read'):
        cache.store('coach', ['a', 'b'], outputs, [])


def test_quickstart_frozen_outputs_do_not_depend_on_the_other_samples_of_the_batch(synthetic_root):
    """What makes cached training bit-identical on the CPU: the quickstart teacher's and coach's
    eval-mode outputs for a sample are the same bits whichever samples share its batch of 4."""
    from mmengine.config import Config

    from mapkd.datasets.mapkd_collate import mapkd_collate
    from mapkd.registry import DATASETS

    teacher_cfg = Config.fromfile('configs/quickstart/teacher.py')
    teacher_cfg.model.hd_prior_checkpoint = None
    coach_cfg = Config.fromfile('configs/quickstart/coach_distill.py')
    cfg = Config.fromfile('configs/quickstart/student_distill.py')
    cfg.model.teachers = dict(teacher=dict(model=teacher_cfg.model.to_dict(), checkpoint=None),
                              coach=dict(model=coach_cfg.model.student.to_dict(), checkpoint=None))
    torch.manual_seed(0)
    distiller = MODELS.build(cfg.model)
    dataset_cfg = cfg.train_dataloader.dataset.to_dict()
    dataset_cfg.update(data_root=synthetic_root, version='v1.0-mini')
    train = DATASETS.build(dataset_cfg)
    val = DATASETS.build(dict(dataset_cfg, split='val'))
    samples = [train[i] for i in range(4)] + [val[i] for i in range(2)]   # the fixture city: 4 + 4

    def targets(indices):
        batch = distiller.data_preprocessor(mapkd_collate([samples[i] for i in indices]), True)
        return distiller.extract_targets(batch['inputs'])

    torch.set_num_threads(2)   # the quickstart's thread count (the fixture restores it)
    first, second = targets([0, 1, 2, 3]), targets([5, 2, 4, 0])
    for name in ('teacher', 'coach'):
        for key in ('seg', 'bev_small'):
            assert torch.equal(first[name][key][0], second[name][key][3]), (name, key)
            assert torch.equal(first[name][key][2], second[name][key][1]), (name, key)


def _build(cache_dir=None, **overrides):
    torch.manual_seed(0)
    cfg = distiller_cfg()
    cfg.update(cache_targets=True, target_cache_dir=cache_dir, **overrides)
    return MODELS.build(cfg)


def test_saved_targets_are_reused_by_a_later_run_with_the_same_frozen_weights(tmp_path):
    pool = toy_batch(batch=8, seed=0)
    epochs = [[[0, 1, 2, 3], [4, 5, 6, 7]], [[5, 2, 7, 0], [1, 6, 3, 4]]]
    first = _build(str(tmp_path))
    optim = OptimWrapper(torch.optim.Adam(first.parameters(), lr=1e-2))
    for epoch in epochs:
        for indices in epoch:
            first.train_step(_select(pool, indices), optim)
    written = first.save_target_cache()
    assert sorted(p.split('/')[-1].split('-')[0] for p in written) == ['coach', 'teacher']
    assert first.save_target_cache() == []   # nothing new since: not rewritten

    # a second run (a new process in the quickstart): the frozen models run on its first batch only,
    # and it trains exactly like a run without the files
    reference, _ = _train(True, pool, [[[2, 5, 1, 7], [0, 3, 4, 6]], [[5, 2, 7, 0], [1, 6, 3, 4]]])
    second = _build(str(tmp_path))
    calls = _count_frozen_calls(second)
    optim = OptimWrapper(torch.optim.Adam(second.parameters(), lr=1e-2))
    for indices in ([2, 5, 1, 7], [0, 3, 4, 6], [5, 2, 7, 0], [1, 6, 3, 4]):
        second.train_step(_select(pool, indices), optim)
    assert calls == {'teacher': 1, 'coach': 1}
    state, other = reference.state_dict(), second.state_dict()
    assert not [k for k in state if not torch.equal(state[k], other[k])]


def test_saved_targets_of_other_weights_or_other_values_are_not_used(tmp_path):
    pool = toy_batch(batch=4, seed=0)
    first = _build(str(tmp_path))
    optim = OptimWrapper(torch.optim.SGD(first.parameters(), lr=0.0))
    first.train_step(_select(pool, [0, 1, 2, 3]), optim)
    (path,) = [p for p in first.save_target_cache() if '/teacher-' in p]

    # other teacher weights: another fingerprint, another file name; the saved file is not read
    changed = _build(str(tmp_path))
    with torch.no_grad():
        next(changed.frozen['teacher'].parameters()).add_(1.0)
    fingerprint = changed.target_cache._fingerprints['teacher']
    changed.target_cache.set_fingerprint('teacher', weights_fingerprint(changed.frozen['teacher']))
    assert changed.target_cache._fingerprints['teacher'] != fingerprint
    assert changed.target_cache.disk_path('teacher') != path

    # a tampered file under the right name: the first batch does not match it, so it is ignored
    saved = torch.load(path, weights_only=True)
    token = next(iter(saved['samples']))
    saved['samples'][token]['seg'] = saved['samples'][token]['seg'] + 1e-6
    torch.save(saved, path)
    second = _build(str(tmp_path))
    calls = _count_frozen_calls(second)
    optim = OptimWrapper(torch.optim.SGD(second.parameters(), lr=0.0))
    second.train_step(_select(pool, [0, 1]), optim)
    second.train_step(_select(pool, [2, 3]), optim)   # not adopted: unseen samples run the teacher again
    assert calls['teacher'] == 2
    assert second.target_cache.num_samples('teacher') == 4


def test_target_cache_dir_needs_cache_targets():
    cfg = distiller_cfg()
    cfg.update(cache_targets=False, target_cache_dir='somewhere')
    with pytest.raises(ValueError, match='target_cache_dir needs cache_targets=True'):
        MODELS.build(cfg)


def test_an_unreadable_saved_file_is_an_error_naming_it(tmp_path):
    pool = toy_batch(batch=4, seed=0)
    first = _build(str(tmp_path))
    first.train_step(_select(pool, [0, 1, 2, 3]), OptimWrapper(torch.optim.SGD(first.parameters(), lr=0.0)))
    (path,) = [p for p in first.save_target_cache() if '/teacher-' in p]
    with open(path, 'wb') as handle:
        handle.write(b'not a torch file')
    second = _build(str(tmp_path))
    with pytest.raises(RuntimeError, match='cannot read the saved targets .*teacher-'):
        second.train_step(_select(pool, [0, 1]), OptimWrapper(torch.optim.SGD(second.parameters(), lr=0.0)))
