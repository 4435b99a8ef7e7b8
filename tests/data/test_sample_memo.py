"""sample_memo: memoised items equal freshly read ones, are private copies, and are used only by datasets
with the same item signature; the quickstart's stages all read the memoised items."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mapkd.datasets import NuScenesMapDataset, sample_memo
from mapkd.registry import DATASETS
from mapkd.utils.setup_env import register_all_modules

from test_dataset import assert_items_equal  # tests/data/test_dataset.py (same folder)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUICK_GRID = dict(xbound=[-30.0, 30.0, 0.375], ybound=[-15.0, 15.0, 0.375])


@pytest.fixture(autouse=True)
def empty_memo():
    sample_memo.clear()
    yield
    sample_memo.clear()


def make(root, tmp_path, **kw):
    args = dict(version='v1.0-mini', split='val', grid_conf=QUICK_GRID, image_size=(64, 192),
                cache_root=str(tmp_path), max_points=20000, test_mode=True)
    return NuScenesMapDataset(root, **dict(args, **kw))


def test_memoised_items_equal_fresh_items_and_are_private_copies(synthetic_root, tmp_path):
    ds = make(synthetic_root, tmp_path)
    fresh = [ds.read_item(ds.get_data_info(i), i) for i in range(len(ds))]
    assert sample_memo.memoize_dataset(ds) == len(ds) and sample_memo.memo_size() == len(ds)
    assert sample_memo.memoize_dataset(ds) == 0            # already there
    other = make(synthetic_root, tmp_path)                  # another dataset object, same arguments
    for i, item in enumerate(fresh):
        served = other.load_item(other.get_data_info(i), i)
        assert_items_equal(served, item)
        assert served['inputs']['imgs'].data_ptr() != item['inputs']['imgs'].data_ptr()
    # a caller that writes into its item does not change what the next caller gets
    first = other.load_item(other.get_data_info(0), 0)
    first['inputs']['lidar'].fill_(7.0)
    first['data_samples']['gt_vectors'][0]['pts'][:] = -1.0
    assert_items_equal(other.load_item(other.get_data_info(0), 0), fresh[0])


def test_another_signature_or_hd_prior_masks_read_the_files(synthetic_root, tmp_path, monkeypatch):
    ds = make(synthetic_root, tmp_path)
    sample_memo.memoize_dataset(ds)
    calls = []
    original = NuScenesMapDataset.read_item

    def counting(self, info, idx):
        calls.append(idx)
        return original(self, info, idx)
    monkeypatch.setattr(NuScenesMapDataset, 'read_item', counting)
    ds.load_item(ds.get_data_info(0), 0)
    assert calls == []                                      # served from the memo
    smaller = make(synthetic_root, tmp_path, image_size=(32, 96))
    assert smaller.item_signature != ds.item_signature
    item = smaller.load_item(smaller.get_data_info(0), 0)
    assert calls == [0] and item['inputs']['imgs'].shape[-2:] == (32, 96)
    masked = make(synthetic_root, tmp_path, hd_prior=dict(seed=1))
    masked.load_item(masked.get_data_info(0), 0)
    assert calls == [0, 0] and 'hd_prior' in masked.load_item(masked.get_data_info(1), 1)['inputs']
    with pytest.raises(ValueError, match='hd_prior'):
        sample_memo.memoize_dataset(masked)


def test_every_quickstart_map_stage_has_the_memoised_signature(synthetic_root):
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    import quickstart
    register_all_modules(init_default_scope=False)

    def signatures(config):
        cfg = Config.fromfile(osp.join(ROOT, config))
        out = []
        for loader in ('train_dataloader', 'test_dataloader'):
            ds_cfg = cfg[loader]['dataset'].copy()
            ds_cfg.update(data_root=synthetic_root, version='v1.0-mini')
            out.append(DATASETS.build(ds_cfg).item_signature)
        return out
    memo = signatures(quickstart.MEMO_CONFIG)
    for _, config, _, _ in quickstart.STAGES:
        assert signatures(config) == memo, config


def test_a_forked_child_reads_the_parents_memo(synthetic_root, tmp_path):
    # the quickstart's use: memoise in the parent, fork, read in the child (a fresh process, as the
    # quickstart process is one that has run no torch kernels)
    script = f'''
import os, sys
sys.path.insert(0, {ROOT!r})
from mapkd.datasets import NuScenesMapDataset, sample_memo
ds = NuScenesMapDataset({str(synthetic_root)!r}, version='v1.0-mini', split='val', cache_root={str(tmp_path)!r},
                        max_points=20000, test_mode=True)
sample_memo.memoize_dataset(ds)
NuScenesMapDataset.read_item = None   # the child must not read files
pid = os.fork()
if pid == 0:
    item = ds.load_item(ds.get_data_info(1), 1)
    os._exit(0 if item['inputs']['imgs'].shape[0] == 6 else 3)
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status))
'''
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert done.returncode == 0, done.stderr[-3000:]
