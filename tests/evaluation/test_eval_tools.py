"""tools/export_gt.py, tools/eval_submission.py, tools/visualize.py and the visualisation API on
the synthetic nuScenes-format city."""
from __future__ import annotations

import importlib.util
import json
import os.path as osp

import cv2
import pytest
import torch

from mapkd.cli import run_cli

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BOUNDS = ['--xbound', '-30', '30', '0.15', '--ybound', '-15', '15', '0.15']


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f'tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def gt_json(synthetic_root, tmp_path_factory):
    path = str(tmp_path_factory.mktemp('gt') / 'gt_val.json')
    code = run_cli(load_tool('export_gt').main, ['--dataroot', synthetic_root, '--version', 'v1.0-mini',
                                                 '--split', 'val', '--out', path])
    assert code == 0
    return path


def perfect_submission(gt_path: str, out_path: str, drop_token: bool = False, extra_token: str | None = None) -> str:
    payload = json.load(open(gt_path))
    for vectors in payload['results'].values():
        for k, vector in enumerate(vectors):
            vector['confidence_level'] = 0.5 + 0.01 * k
    if drop_token:
        payload['results'].pop(next(iter(payload['results'])))
    if extra_token:
        payload['results'][extra_token] = []
    payload['meta'] = dict(use_camera=True, use_lidar=False, use_radar=False, use_external=False, vector=True)
    json.dump(payload, open(out_path, 'w'))
    return out_path


def test_export_gt_writes_the_schema(gt_json):
    payload = json.load(open(gt_json))
    assert payload['meta']['vector'] is True and payload['meta']['kind'] == 'ground_truth'
    assert payload['meta']['grid'] == {'xbound': [-30.0, 30.0, 0.15], 'ybound': [-15.0, 15.0, 0.15]}
    assert len(payload['results']) == 4
    vectors = [v for vs in payload['results'].values() for v in vs]
    assert vectors and all(set(v) == {'pts', 'pts_num', 'type'} for v in vectors)
    assert {v['type'] for v in vectors} == {0, 1, 2}


@pytest.mark.parametrize('protocol', ['pmapnet', 'hdmapnet', 'corrected'])
def test_perfect_submission_scores_one(gt_json, tmp_path, protocol, capsys):
    sub = perfect_submission(gt_json, str(tmp_path / 'sub.json'))
    out = str(tmp_path / 'result.json')
    assert run_cli(load_tool('eval_submission').main,
                   ['--submission', sub, '--gt', gt_json, *BOUNDS, '--protocol', protocol, '--out', out]) == 0
    record = json.load(open(out))
    assert record['protocol']['name'] == protocol and record['mAP'] == pytest.approx(1.0)
    assert record['ap_matrix'] == [[1.0] * 3] * 3 and record['num_frames'] == 4
    assert 'mAP' in capsys.readouterr().out


def test_dataroot_gt_equals_json_gt(gt_json, synthetic_root, tmp_path):
    sub = str(tmp_path / 'sub.json')
    payload = json.load(open(perfect_submission(gt_json, sub)))
    for vectors in payload['results'].values():   # an imperfect submission: shift every other line
        for k, vector in enumerate(vectors):
            if k % 2:
                vector['pts'] = [[x, y + 2.0] for x, y in vector['pts']]
    json.dump(payload, open(sub, 'w'))
    tool = load_tool('eval_submission')
    out_json, out_root = str(tmp_path / 'a.json'), str(tmp_path / 'b.json')
    assert run_cli(tool.main, ['--submission', sub, '--gt', gt_json, *BOUNDS, '--out', out_json]) == 0
    assert run_cli(tool.main, ['--submission', sub, '--gt', synthetic_root, '--version', 'v1.0-mini', *BOUNDS,
                               '--out', out_root]) == 0
    a, b = json.load(open(out_json)), json.load(open(out_root))
    assert a['ap_matrix'] == b['ap_matrix'] and 0.0 < a['mAP'] < 1.0


@pytest.mark.parametrize('case, message', [
    ('extra_token', 'results["not-a-token"]: token is not a sample of the GT split'),
    ('missing_token', 'GT sample(s) have no entry'),
    ('no_version', 'pass --version'),
    ('bad_bounds', 'xbound must satisfy'),
    ('no_submission', 'submission file not found'),
])
def test_eval_submission_errors_are_one_line(gt_json, synthetic_root, tmp_path, capsys, case, message):
    sub = str(tmp_path / 'sub.json')
    perfect_submission(gt_json, sub, drop_token=case == 'missing_token',
                       extra_token='not-a-token' if case == 'extra_token' else None)
    args = ['--submission', sub, '--gt', gt_json, *BOUNDS]
    if case == 'no_version':
        args = ['--submission', sub, '--gt', synthetic_root, *BOUNDS]
    elif case == 'bad_bounds':
        args = ['--submission', sub, '--gt', gt_json, '--xbound', '30', '-30', '0.15', '--ybound', '-15', '15', '0.15']
    elif case == 'no_submission':
        args[1] = str(tmp_path / 'absent.json')
    assert run_cli(load_tool('eval_submission').main, args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_missing_tokens_allowed_on_request(gt_json, tmp_path):
    sub = perfect_submission(gt_json, str(tmp_path / 'sub.json'), drop_token=True)
    out = str(tmp_path / 'r.json')
    assert run_cli(load_tool('eval_submission').main, ['--submission', sub, '--gt', gt_json, *BOUNDS,
                                                       '--allow-missing', '--out', out]) == 0
    assert json.load(open(out))['mAP'] < 1.0


def test_help_exits_zero():
    for name in ('eval_submission', 'export_gt', 'visualize'):
        with pytest.raises(SystemExit) as info:
            load_tool(name).main(['--help'])
        assert info.value.code == 0


# ------------------------------------------------------------------ visualisation
@pytest.fixture(scope='module')
def dataset(synthetic_root):
    from mapkd.datasets import NuScenesMapDataset
    return NuScenesMapDataset(synthetic_root, version='v1.0-mini', split='val', load_lidar=False, load_sd_map=False)


def test_save_predictions_writes_pngs_of_the_expected_size(dataset, tmp_path):
    from eval_raster_helpers import clean_head_outputs
    from mapkd.evaluation import BevGrid
    from mapkd.visualization import figure_size, save_predictions

    grid_conf = dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15])
    grid = BevGrid.from_conf(grid_conf)
    outputs = []
    for index in range(2):
        samples = dataset[index]['data_samples']
        seg, emb, direction, _ = clean_head_outputs([(v['pts'], v['type']) for v in samples['gt_vectors']], grid)
        outputs.append(dict(seg_logits=seg, embedding=emb, direction=direction, token=samples['token'],
                            semantic=samples['semantic'], gt_vectors=samples['gt_vectors'],
                            img_paths=samples['img_paths']))
    paths = save_predictions(outputs, dataset, str(tmp_path / 'show'), grid_conf, max_samples=1)
    assert len(paths) == 1 and osp.getsize(paths[0]) > 10_000
    image = cv2.imread(paths[0])
    assert image.shape[:2] == figure_size(grid) == (728, 1200)
    # the GT BEV panel shows class colours, and the camera panel shows projected GT (orange/green)
    assert (image[:, :, 0] < 80).sum() > 1000


def test_visualize_tool_with_a_small_model(synthetic_root, tmp_path, capsys):
    from mmengine.config import Config

    from mapkd.registry import MODELS
    from mapkd.utils.setup_env import register_all_modules

    register_all_modules()
    cfg_path = tmp_path / 'tiny.py'
    cfg_path.write_text(
        f"_base_ = ['{ROOT}/configs/_base_/datasets/synthetic_quick.py']\n"
        "grid_conf = dict(xbound=[-24.0, 24.0, 0.3], ybound=[-12.0, 12.0, 0.3], zbound=[-10.0, 10.0, 20.0],"
        " dbound=[4.0, 45.0, 1.0])\n"
        f"test_dataloader = dict(dataset=dict(data_root='{synthetic_root}', version='v1.0-mini', grid_conf=grid_conf,"
        " load_lidar=False, load_sd_map=False))\n"
        "model = dict(type='HDMapNet', grid_conf=grid_conf, image_size={{_base_.image_size}}, view_hidden=8,"
        " decoder_channels=16)\n")
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(cfg_path)).model)
    ckpt = str(tmp_path / 'tiny.pth')
    torch.save(model.state_dict(), ckpt)
    out_dir = tmp_path / 'vis'
    assert run_cli(load_tool('visualize').main, [str(cfg_path), ckpt, '--out-dir', str(out_dir),
                                                 '--samples', '2', '--video']) == 0
    pngs = sorted(out_dir.glob('*.png'))
    assert len(pngs) == 2 and all(p.stat().st_size > 10_000 for p in pngs)
    assert cv2.imread(str(pngs[0])).shape[:2] == (24 + 450 + 24 + 200 + 30, 1200)
    videos = list((out_dir / 'videos').glob('*.mp4'))
    assert len(videos) == 1 and videos[0].stat().st_size > 1000
    capture = cv2.VideoCapture(str(videos[0]))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 2
    # a checkpoint that does not fit the model is refused (strict loading)
    torch.save({'bogus': torch.zeros(1)}, ckpt)
    with pytest.raises(RuntimeError):
        load_tool('visualize').main([str(cfg_path), ckpt, '--out-dir', str(out_dir), '--samples', '1'])
