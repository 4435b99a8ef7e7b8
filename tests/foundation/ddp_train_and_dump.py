"""Helper for the DDP test: train with tools/train.py's code path, then dump this rank's weights."""
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)


def main() -> None:
    config, work_dir, dump_dir, *options = sys.argv[1:]
    import torch
    from mapkd.engine.launch import build_runner, load_config
    from mmengine.config import DictAction
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    overrides = parser.parse_args(['--cfg-options', *options]).cfg_options
    cfg = load_config(config, overrides, 'pytorch', int(os.environ['LOCAL_RANK']), work_dir)
    runner = build_runner(cfg)
    runner.train()
    model = runner.model.module
    state = {k: v.detach().clone() for k, v in model.named_parameters()}
    torch.save(state, osp.join(dump_dir, f'rank{runner.rank}.pth'))


if __name__ == '__main__':
    main()
