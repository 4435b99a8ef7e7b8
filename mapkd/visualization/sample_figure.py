"""One picture per sample: 6 cameras with the GT projected, GT BEV, predicted BEV, vectors."""
from __future__ import annotations

import os
import os.path as osp
from typing import Any, Mapping, Sequence

import cv2
import numpy as np
import torch

from mapkd.datasets import constants
from mapkd.evaluation.grid import BevGrid
from mapkd.evaluation.vectorize import vectorize

from .bev_drawing import draw_ego_car, prediction_to_bgr, semantic_to_bgr, vectors_to_bgr
from .camera_projection import draw_vectors_on_camera
from .palette import CLASS_COLORS_BGR, CLASS_NAMES, TEXT_BGR

CAMS = ('CAM_FRONT_LEFT', 'CAM_FRONT', 'CAM_FRONT_RIGHT', 'CAM_BACK_LEFT', 'CAM_BACK', 'CAM_BACK_RIGHT')
CAM_TILE = (400, 225)       # (w, h) of one camera tile
FIGURE_W = 3 * CAM_TILE[0]  # 1200
TITLE_H = 24
LEGEND_H = 30
IMAGENET_MEAN = np.asarray(constants.IMAGENET_MEAN)
IMAGENET_STD = np.asarray(constants.IMAGENET_STD)


def _np(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def figure_size(grid: BevGrid) -> tuple[int, int]:
    """(height, width) of the picture :func:`visualize_sample` writes for ``grid``."""
    panel_w = FIGURE_W // 3
    panel_h = int(round(panel_w * grid.H / grid.W))
    return TITLE_H + 2 * CAM_TILE[1] + TITLE_H + panel_h + LEGEND_H, FIGURE_W


def _title(image: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((TITLE_H, image.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (6, TITLE_H - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.5, TEXT_BGR, 1, cv2.LINE_AA)
    return np.concatenate([bar, image], 0)


def _camera_image(index: int, inputs: Mapping, img_paths: Sequence[str] | None) -> tuple[np.ndarray | None, np.ndarray]:
    """Original image from disk (with its intrinsics), else the network input (uint8 RGB as the
    dataset gives it, or de-normalised float) with the intrinsics mapped through the
    post-augmentation; ``None`` if neither exists."""
    intrin = _np(inputs['intrins'][index]).astype(np.float64)
    if img_paths and index < len(img_paths) and osp.isfile(img_paths[index]):
        image = cv2.imread(img_paths[index], cv2.IMREAD_COLOR)
        if image is not None:
            return image, intrin
    if 'imgs' in inputs:
        net_input = _np(inputs['imgs'][index]).transpose(1, 2, 0)
        if net_input.dtype == np.uint8:
            rgb8 = net_input
        else:
            rgb8 = (np.clip(net_input * IMAGENET_STD + IMAGENET_MEAN, 0, 1) * 255).astype(np.uint8)
        image = np.ascontiguousarray(rgb8[:, :, ::-1])
        affine = np.eye(3)
        if 'post_rots' in inputs and 'post_trans' in inputs:
            affine[:2, :2] = _np(inputs['post_rots'][index])[:2, :2]
            affine[:2, 2] = _np(inputs['post_trans'][index])[:2]
        return image, affine @ intrin
    return None, intrin


def camera_panel(inputs: Mapping, gt_vectors: Sequence[Mapping], img_paths: Sequence[str] | None) -> np.ndarray:
    """2 x 3 grid of the cameras (official order) with the GT map elements projected."""
    tiles = []
    for index, name in enumerate(CAMS):
        image, intrin = _camera_image(index, inputs, img_paths)
        if image is None:
            tile = np.full((CAM_TILE[1], CAM_TILE[0], 3), 200, np.uint8)
            cv2.putText(tile, 'no image', (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, TEXT_BGR, 1, cv2.LINE_AA)
        else:
            thickness = max(2, image.shape[1] // 300)
            draw_vectors_on_camera(image, gt_vectors, _np(inputs['rots'][index]), _np(inputs['trans'][index]),
                                   intrin, thickness)
            tile = cv2.resize(image, CAM_TILE, interpolation=cv2.INTER_AREA)
        cv2.putText(tile, name, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 2, cv2.LINE_AA)
        cv2.putText(tile, name, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, TEXT_BGR, 1, cv2.LINE_AA)
        tiles.append(tile)
    return np.concatenate([np.concatenate(tiles[:3], 1), np.concatenate(tiles[3:], 1)], 0)


def legend_bar(width: int) -> np.ndarray:
    bar = np.full((LEGEND_H, width, 3), 255, np.uint8)
    x = 10
    for name, color in zip(CLASS_NAMES, CLASS_COLORS_BGR):
        cv2.rectangle(bar, (x, 8), (x + 24, 22), color, -1)
        cv2.putText(bar, name, (x + 30, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.5, TEXT_BGR, 1, cv2.LINE_AA)
        x += 40 + 10 * len(name)
    cv2.putText(bar, 'BEV: forward = right, left = up', (width - 290, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                TEXT_BGR, 1, cv2.LINE_AA)
    return bar


def _predicted_vectors(prediction: Mapping, grid: BevGrid) -> list[dict] | None:
    if 'vectors' in prediction:
        return list(prediction['vectors'])
    if all(k in prediction for k in ('seg_logits', 'embedding', 'direction')):
        return vectorize(prediction['seg_logits'], prediction['embedding'], prediction['direction'], grid)
    return None


def render_sample(sample_inputs: Mapping, data_sample: Mapping, prediction: Mapping,
                  grid_conf: Mapping) -> np.ndarray:
    """The picture as a (H, W, 3) BGR array (see :func:`figure_size`)."""
    grid = BevGrid.from_conf(grid_conf)
    panel_w = FIGURE_W // 3
    panel_h = figure_size(grid)[0] - (TITLE_H + 2 * CAM_TILE[1] + TITLE_H + LEGEND_H)
    gt_vectors = list(data_sample.get('gt_vectors') or [])
    cams = camera_panel(sample_inputs, gt_vectors, data_sample.get('img_paths'))

    def panel(image: np.ndarray | None, title: str) -> np.ndarray:
        if image is None:
            image = np.full((panel_h, panel_w, 3), 230, np.uint8)
            cv2.putText(image, 'not available', (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, TEXT_BGR, 1, cv2.LINE_AA)
        else:
            image = draw_ego_car(cv2.resize(image, (panel_w, panel_h), interpolation=cv2.INTER_NEAREST), grid)
        cv2.rectangle(image, (0, 0), (panel_w - 1, panel_h - 1), (120, 120, 120), 1)
        return _title(image, title)

    gt_bev = semantic_to_bgr(_np(data_sample['semantic'])) if 'semantic' in data_sample else None
    pred_bev = prediction_to_bgr(_np(prediction['seg_logits'])) if 'seg_logits' in prediction else None
    vectors = _predicted_vectors(prediction, grid)
    vec_bev = vectors_to_bgr(vectors, grid) if vectors is not None else None
    n_vec = '' if vectors is None else f' ({len(vectors)} instances)'
    bev_row = np.concatenate([panel(gt_bev, 'GT BEV'), panel(pred_bev, 'predicted BEV (argmax)'),
                              panel(vec_bev, f'vectorised prediction{n_vec}')], 1)
    token = str(data_sample.get('token', ''))
    return np.concatenate([_title(cams, f'sample {token}: cameras with GT map elements'), bev_row,
                           legend_bar(FIGURE_W)], 0)


def visualize_sample(sample_inputs: Mapping, data_sample: Mapping, prediction: Mapping, out_path: str,
                     grid_conf: Mapping) -> str:
    """Write the picture of one sample to ``out_path`` (PNG, written atomically); returns the path.

    Args:
        sample_inputs: the sample's ``inputs`` (needs ``rots``, ``trans``, ``intrins``; ``imgs`` with
            ``post_rots``/``post_trans`` are used when ``data_sample['img_paths']`` are unreadable).
        data_sample: ``semantic`` (4,H,W), ``gt_vectors``, ``img_paths``, ``token``.
        prediction: ``seg_logits`` (+ ``embedding``/``direction`` to vectorise, or ready ``vectors``).
        out_path: PNG path.
        grid_conf: dict with ``xbound``/``ybound``.
    """
    image = render_sample(sample_inputs, data_sample, prediction, grid_conf)
    folder = osp.dirname(osp.abspath(out_path))
    os.makedirs(folder, exist_ok=True)
    ok, encoded = cv2.imencode('.png', image)
    if not ok:
        raise RuntimeError(f'could not encode the picture for {out_path}')
    tmp = osp.join(folder, f'.tmp_{os.getpid()}_{osp.basename(out_path)}')
    with open(tmp, 'wb') as handle:
        handle.write(encoded.tobytes())
    os.replace(tmp, out_path)
    return out_path
