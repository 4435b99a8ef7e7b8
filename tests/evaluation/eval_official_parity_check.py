"""Compare our AP and vectoriser with the official implementations (run as a script).

Imports the official modules from local checkouts of ``jike5/P-MapNet`` and
``Tsinghua-MARS-Lab/HDMapNet`` (nothing is copied into MapKD), makes them CPU-runnable
(``Tensor.cuda`` -> identity, ``np.bool``/``np.int`` aliases, ``random.randint`` -> 0, matched by
our ``start_point='first'``), and prints a JSON summary of the differences.

    python tests/evaluation/eval_official_parity_check.py --pmapnet P --hdmapnet H --gt GT.json
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import sys

import numpy as np
import torch

HERE = osp.dirname(osp.abspath(__file__))


def random_submission(gt: dict, rng: np.random.Generator) -> dict:
    """Perturbed copies of the GT (shifted, partial, missed) plus false positives, kept inside the
    patch so the official confidence/id misalignment bug cannot trigger."""
    preds = {}
    for token, vectors in gt.items():
        out = []
        for vector in vectors:
            pts = np.array(vector['pts'])
            r = rng.random()
            if r < 0.15:
                continue
            pts = np.clip(pts + rng.normal(0, rng.choice([0.05, 0.3, 0.8]), size=2), [-29.9, -14.9], [29.9, 14.9])
            if r > 0.8 and len(pts) > 3:
                pts = pts[: len(pts) // 2]
            out.append(dict(pts=pts.tolist(), pts_num=len(pts), type=vector['type'],
                            confidence_level=float(rng.random())))
        for _ in range(int(rng.integers(0, 3))):
            p0 = rng.uniform([-25, -12], [25, 12])
            p1 = np.clip(p0 + rng.normal(0, 5, 2), [-29.9, -14.9], [29.9, 14.9])
            out.append(dict(pts=[p0.tolist(), p1.tolist()], pts_num=2, type=int(rng.integers(0, 3)),
                            confidence_level=float(rng.random())))
        preds[token] = out
    return preds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--pmapnet', required=True)
    parser.add_argument('--hdmapnet', required=True)
    parser.add_argument('--gt', required=True, help='GT-vector JSON on the 60 x 30 m / 0.15 m grid')
    parser.add_argument('--trials', type=int, default=2)
    args = parser.parse_args()

    sys.path[:0] = [args.pmapnet, osp.dirname(osp.dirname(HERE)), HERE]
    torch.Tensor.cuda = lambda self, *a, **k: self
    np.bool = bool
    np.int = int
    from data_osm.rasterize import rasterize_map          # official (P-MapNet)
    from tools.evaluation.AP import instance_mask_AP      # official (P-MapNet)
    sys.path.insert(0, args.hdmapnet)
    import postprocess.connect as official_connect        # official (HDMapNet)
    from postprocess.vectorize import vectorize as official_vectorize
    official_connect.random.randint = lambda a, b: 0

    from eval_raster_helpers import clean_head_outputs
    from mapkd.evaluation import BevGrid, VectorizeConfig, evaluate_vectors, vectorize

    grid = BevGrid.from_bounds([-30, 30, 0.15], [-15, 15, 0.15])
    gt = json.load(open(args.gt))['results']
    rng = np.random.default_rng(0)
    ap_diffs = []
    for _ in range(args.trials):
        preds = random_submission(gt, rng)
        for name, bidirectional, gate, thresholds in (('pmapnet', False, 0.1, [0.5, 1.0, 1.5]),
                                                      ('hdmapnet', True, 0.0, [2, 4, 6])):
            ap, count = torch.zeros(3, 3), torch.zeros(3, 3)
            for token in gt:
                gt_map, _ = rasterize_map([dict(v, pts=np.array(v['pts'])) for v in gt[token]], (30, 60), (200, 400), 3, 5)
                pred_map, conf = rasterize_map([dict(v, pts=np.array(v['pts'])) for v in preds[token]],
                                               (30, 60), (200, 400), 3, 5)
                conf = torch.tensor(conf + [-1] * (300 - len(conf)))
                instance_mask_AP(ap, count, torch.tensor(pred_map)[None].long(), torch.tensor(gt_map)[None].long(),
                                 0.15, 0.15, conf[None], thresholds, torch.linspace(0.1, 1, 10),
                                 bidirectional=bidirectional, threshold_iou=gate)
            ours = np.array(evaluate_vectors(preds, gt, grid, name)['ap_matrix'], dtype=np.float64)
            ap_diffs.append(float(np.abs((ap / count).numpy() - ours).max()))

    identical, frames = 0, 0
    for k, vectors in enumerate(gt.values()):
        for noise in (0.0, 1.0):
            seg, emb, direction, _ = clean_head_outputs([(np.array(v['pts']), v['type']) for v in vectors], grid)
            gen = torch.Generator().manual_seed(k)
            seg = seg + noise * torch.randn(seg.shape, generator=gen)
            direction = direction + noise * torch.randn(direction.shape, generator=gen)
            coords, confs, types = official_vectorize(seg.clone(), emb.clone(), direction.clone(), 36)
            ours = vectorize(seg, emb, direction, grid, VectorizeConfig(start_point='first', max_class_pixels=None))
            same = len(coords) == len(ours) and all(
                np.array_equal(grid.pixels_to_ego(c).astype(np.float32), o['pts']) and t == o['type']
                and abs(cf - o['confidence_level']) < 1e-7 for c, cf, t, o in zip(coords, confs, types, ours))
            identical += int(same)
            frames += 1
    print(json.dumps(dict(ap_max_abs_diff=max(ap_diffs), vectorizer_identical=identical, vectorizer_frames=frames)))


if __name__ == '__main__':
    main()
