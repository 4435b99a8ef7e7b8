"""Hand-made cases with known answers for IoU, Chamfer, matching, AP and the protocols."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mapkd.evaluation.average_precision import average_precision, frame_ap, summarize_ap
from mapkd.evaluation.chamfer import chamfer_matrix, extract_instances, iou_matrix
from mapkd.evaluation.grid import BevGrid
from mapkd.evaluation.matching import greedy_match
from mapkd.evaluation.protocols import PROTOCOLS, get_protocol
from mapkd.evaluation.rasterize import rasterize_instances
from mapkd.evaluation.segmentation_iou import intersection_union, iou_from_sums

# A coarse grid (0.25 m pixels, 40 x 20 m) where thickness-1 lines are exact pixel rows.
GRID = BevGrid.from_bounds([0.0, 40.0, 0.25], [0.0, 20.0, 0.25])
THIN = dataclasses.replace(PROTOCOLS['pmapnet'], name='thin', thickness=1, iou_gate=0.0)


def hline(y: float, x0: float = 5.0, x1: float = 35.0, cls: int = 0, conf: float = 1.0) -> dict:
    return dict(pts=np.array([[x0, y], [x1, y]]), pts_num=2, type=cls, confidence_level=conf)


# ------------------------------------------------------------------ semantic IoU
def test_segmentation_iou_known_counts():
    seg = torch.zeros(4, 2, 3)
    seg[0] = 1.0
    seg[1, 0, :2] = 5.0          # divider predicted at (0,0), (0,1)
    seg[3, 1, 2] = 5.0           # boundary predicted at (1,2)
    gt = torch.zeros(4, 2, 3)
    gt[1, 0, 1:] = 1.0           # divider GT at (0,1), (0,2)
    gt[3, 1, 2] = 1.0
    gt[0] = 1 - gt[1:].amax(0)
    inter, union = intersection_union(seg, gt)
    assert inter[1:].tolist() == [1, 0, 1]
    assert union[1:].tolist() == [3, 0, 1]
    iou = iou_from_sums(inter, union)
    assert iou[1] == pytest.approx(1 / 3) and iou[2] == 0.0 and iou[3] == pytest.approx(1.0)


# ------------------------------------------------------------------ chamfer / IoU matrices
def test_chamfer_one_directional_and_symmetric_known_values():
    pred_mask = np.zeros((4, 12), np.int32)
    gt_mask = np.zeros((4, 12), np.int32)
    pred_mask[0, 0:10] = 1       # 10 px
    gt_mask[0, 0:5] = 1          # the first 5 px of it
    pred, gt = extract_instances(pred_mask), extract_instances(gt_mask)
    one = chamfer_matrix(pred, gt, 0.15, 0.15, bidirectional=False)
    sym = chamfer_matrix(pred, gt, 0.15, 0.15, bidirectional=True)
    assert one[0, 0] == pytest.approx(0.15 * (1 + 2 + 3 + 4 + 5) / 10)   # pred -> GT
    assert sym[0, 0] == pytest.approx((0.225 + 0.0) / 2)                  # GT -> pred is 0
    iou = iou_matrix(pred_mask, pred, gt_mask, gt)
    assert iou[0, 0] == pytest.approx(5 / 10, abs=1e-6)


def test_chamfer_parallel_rows_and_anisotropic_resolution():
    pred_mask = np.zeros((6, 8), np.int32)
    gt_mask = np.zeros((6, 8), np.int32)
    pred_mask[3, :] = 1
    gt_mask[0, :] = 2
    cd = chamfer_matrix(extract_instances(pred_mask), extract_instances(gt_mask), 0.1, 0.5, False)
    assert cd[0, 0] == pytest.approx(3 * 0.5)  # rows are y: 3 rows x 0.5 m


# ------------------------------------------------------------------ greedy matching
def test_greedy_matching_takes_global_minimum_first():
    cd = np.array([[0.30, 0.10], [0.20, 0.90]])
    iou = np.ones_like(cd)
    assert greedy_match(cd, iou, 0.5) == [(0, 1), (1, 0)]
    assert greedy_match(cd, iou, 0.15) == [(0, 1)]


def test_iou_gate_rejection_still_removes_row_and_column():
    cd = np.array([[0.10, 0.20], [0.15, 0.90]])
    iou = np.array([[0.0, 1.0], [1.0, 1.0]])
    # (0,0) is the best pair but fails the gate; pred 0 and GT 0 both leave the pool (official
    # quirk), so pred 0 cannot take GT 1 and pred 1 cannot take GT 0 -> nothing matches.
    assert greedy_match(cd, iou, 0.5, iou_gate=0.1) == []
    assert greedy_match(cd, iou, 0.5, iou_gate=0.0) == [(0, 0)]


# ------------------------------------------------------------------ AP on hand-made frames
@pytest.mark.parametrize('protocol', ['pmapnet', 'hdmapnet', 'corrected'])
def test_perfect_prediction_gives_ap_one(protocol):
    gt = [hline(5.0), hline(10.0), hline(15.0, cls=2), dict(pts=np.array([[20., 2.], [20., 18.]]), pts_num=2, type=1)]
    pred = [dict(v, confidence_level=0.5 + 0.1 * i) for i, v in enumerate(gt)]
    result = frame_ap(pred, gt, GRID, protocol)
    assert result.counted.all()
    np.testing.assert_allclose(result.ap, 1.0)


@pytest.mark.parametrize('shift, expected', [(0.25, [1, 1, 1]), (0.75, [0, 1, 1]),
                                             (1.25, [0, 0, 1]), (1.75, [0, 0, 0])])
def test_shifted_prediction_crosses_each_threshold(shift, expected):
    # thickness-1 rows, same columns: the one-directional Chamfer distance is exactly the shift
    result = frame_ap([hline(10.0 + shift)], [hline(10.0)], GRID, THIN)
    np.testing.assert_allclose(result.ap[0], expected)
    assert result.counted.tolist() == [True, False, False]


def test_iou_gate_rejects_close_but_disjoint_prediction():
    # 1.2 m lateral shift at 0.15 m / thickness 5 (cv2 draws a 7-row band): the bands do not
    # overlap (IoU 0) although the Chamfer distance (~0.75 m) is below 1.0 m -> P-MapNet AP 0;
    # HDMapNet (no gate, 2/4/6 m) AP 1.
    grid = BevGrid.from_bounds([-30.0, 30.0, 0.15], [-15.0, 15.0, 0.15])
    gt, pred = [hline(0.0, -20, 20)], [hline(1.2, -20, 20)]
    np.testing.assert_allclose(frame_ap(pred, gt, grid, 'pmapnet').ap[0], [0, 0, 0])
    np.testing.assert_allclose(frame_ap(pred, gt, grid, 'hdmapnet').ap[0], [1, 1, 1])
    nogate = dataclasses.replace(PROTOCOLS['pmapnet'], iou_gate=0.0)
    np.testing.assert_allclose(frame_ap(pred, gt, grid, nogate).ap[0], [0, 1, 1])


def test_extra_false_positive_lowers_precision_by_rank():
    gt = [hline(10.0)]
    tp = hline(10.0, conf=0.9)
    fp_low = hline(3.0, conf=0.2)     # far away: unmatched
    fp_high = hline(3.0, conf=0.95)
    corrected = get_protocol('corrected')   # standard ranking: high confidence first
    assert frame_ap([tp, fp_low], gt, GRID, corrected).ap[0].tolist() == [1.0, 1.0, 1.0]
    assert frame_ap([tp, fp_high], gt, GRID, corrected).ap[0].tolist() == [0.5, 0.5, 0.5]
    # the official ascending order ranks the low-confidence FP first
    assert frame_ap([tp, fp_low], gt, GRID, 'pmapnet').ap[0].tolist() == [0.5, 0.5, 0.5]
    assert frame_ap([tp, fp_high], gt, GRID, 'pmapnet').ap[0].tolist() == [1.0, 1.0, 1.0]


def test_ap_from_ranked_list_known_values():
    corrected = get_protocol('corrected')
    # 4 GT; ranked TP, FP, TP: precision 1, .5, .667 -> smoothed 1, .667, .667 at recall .25,.25,.5
    ap = average_precision([0.9, 0.8, 0.7], [True, False, True], 4, corrected)
    assert ap == pytest.approx((2 * 1.0 + 3 * (2 / 3)) / 10, abs=1e-6)
    assert average_precision([], [], 3, corrected) == 0.0
    assert average_precision([0.5], [False], 0, corrected) == 0.0   # no GT -> recall NaN -> 0


def test_official_float32_recall_levels_quirk():
    # 10 GT lines, 7 predicted perfectly: recall 7/10 in float32 (0.69999999) is below the
    # official sampled level float32 linspace(0.1, 1, 10)[6] (0.70000005).
    gt = [hline(1.0 + 1.8 * k) for k in range(10)]
    pred = gt[:7]
    assert frame_ap(pred, gt, GRID, 'pmapnet').ap[0][0] == pytest.approx(0.6)
    assert frame_ap(pred, gt, GRID, 'corrected').ap[0][0] == pytest.approx(0.7)


def test_per_frame_averaging_and_summary():
    protocol = get_protocol('pmapnet')
    perfect = frame_ap([hline(10.0)], [hline(10.0)], GRID, protocol)
    missed = frame_ap([], [hline(10.0)], GRID, protocol)
    empty = frame_ap([], [], GRID, protocol)
    assert not empty.counted.any()
    ap_sum = perfect.ap + missed.ap + empty.ap
    count = perfect.counted.astype(int) + missed.counted + empty.counted
    record = summarize_ap(ap_sum, count, protocol)
    assert record['ap_matrix'][0] == [0.5, 0.5, 0.5]
    assert record['per_class_ap'] == {'divider': 0.5, 'ped_crossing': None, 'boundary': None}
    assert record['frames_per_class']['divider'] == 2
    assert record['mAP'] == 0.5
    assert record['protocol']['thresholds'] == [0.5, 1.0, 1.5] and record['threshold_unit'] == 'm'


# ------------------------------------------------------------------ rasteriser
def test_rasterizer_keeps_confidences_aligned_with_clipped_pieces():
    # the first line leaves and re-enters the patch: two pieces, two ids, both with its confidence;
    # the official list would give the second piece the next line's confidence.
    leaving = dict(pts=np.array([[5., 10.], [20., 25.], [35., 10.]]), pts_num=3, type=0, confidence_level=0.3)
    other = hline(4.0, conf=0.8)
    raster = rasterize_instances([leaving, other], GRID, thickness=1)
    assert raster.confidences[0] == {1: 0.3, 2: 0.3, 3: 0.8}
    assert set(np.unique(raster.masks[0])) == {0, 1, 2, 3}


def test_rasterizer_ids_beyond_255_do_not_merge():
    vectors = [dict(pts=np.array([[0.1, 0.05 + 0.07 * k], [39.9, 0.05 + 0.07 * k]]), pts_num=2, type=2,
                    confidence_level=1.0) for k in range(280)]
    grid = BevGrid.from_bounds([0.0, 40.0, 0.25], [0.0, 20.0, 0.0625])  # 320 rows
    raster = rasterize_instances(vectors, grid, thickness=1)
    assert len(np.unique(raster.masks[2])) - 1 > 255


def test_unknown_protocol_is_a_clear_error():
    with pytest.raises(ValueError, match='unknown mAP protocol'):
        get_protocol('coco')
