"""HDMapNet post-processing: segmentation + embedding + direction logits -> polylines.

:func:`vectorize` returns, per instance, a polyline in ego metres with its class and a
confidence (mean class probability over the instance's pixels), in the submission-vector format.
Steps (docs/evaluation.md has the details): softmax + argmax one-hot; per class morphological
close, connected components (area > 100 px), DBSCAN on normalised embeddings; line NMS (1x5 / 5x1
max-pool peaks chosen by a 9x5 vs 5x9 average pool); sort the NMS points; direction-guided
connection with a 7 px step from a seeded start point.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .cluster import clean_mask, cluster_instances
from .connect import connect_by_direction, sort_points_by_dist
from .grid import BevGrid


@dataclass(frozen=True)
class VectorizeConfig:
    """Post-processing parameters (official defaults)."""

    morphology: str = 'close'
    kernel_size: int = 5
    min_area: int = 100
    dbscan_eps: float = 1.5
    dbscan_min_samples: int = 50
    connect_step: float = 7.0
    angle_class: int = 36
    seed: int = 0
    # Where the direction walk starts: 'random' (official; a seeded draw here) or 'first' (the
    # first point of the distance-sorted chain, an end of the line: avoids the jump back over the
    # line that a start in the middle causes). 'first' is not part of any official protocol.
    start_point: str = 'random'
    # Guard against degenerate outputs (e.g. an untrained model painting a whole class map): a class
    # whose cleaned mask has more than this many pixels is skipped with a warning, because DBSCAN's
    # neighbourhoods grow quadratically with the pixel count (an 80 000-pixel 400 x 200 class map takes
    # minutes and gigabytes). A pixel count, not a fraction of the raster: the cost is what it guards,
    # and GT/predicted lines are 5 px wide at every resolution, so on coarse CPU grids legitimate
    # predictions cover a large fraction (a boundary on 26 % of a 64 x 128 raster; on 80 x 160 the
    # former 25 % fraction guard dropped whole classes of trained models in up to 28 of 240 frames).
    # 20 000 = a quarter of the 400 x 200 raster, the old threshold there. ``None`` disables it
    # (official behaviour).
    max_class_pixels: int | None = 20000
    # DBSCAN on StandardScaler-normalised embeddings (True, official) or on the raw embeddings
    # (False, not official): with one instance of a class in view, the official scaling makes the
    # clustering split the line and drop pixels as noise at random (docs/evaluation.md).
    standardize_embeddings: bool = True


def _as_tensor(value: Any, name: str, channels: int | None = None) -> torch.Tensor:
    tensor = torch.as_tensor(value).detach().float().cpu()
    if tensor.dim() != 3 or (channels is not None and tensor.shape[0] != channels):
        want = f'({channels}, H, W)' if channels else '(C, H, W)'
        raise ValueError(f'{name} must have shape {want}, got {tuple(tensor.shape)}')
    return tensor


def top2_directions(direction_logits: torch.Tensor) -> np.ndarray:
    """(37, H, W) logits -> (H, W, 2) int bins: argmax, and argmax after suppressing +-2 bins
    around it, both minus 1 (so -1 = background bin, 0..35 = angle bins)."""
    prob = torch.softmax(direction_logits.permute(1, 2, 0), dim=-1).detach().numpy()
    # numpy's argmax picks the first maximum (and the first NaN) like torch's, and is faster here
    first = prob.argmax(-1)[..., None]
    suppressed = prob.copy()
    bins = np.clip(first + np.arange(-2, 3), 0, prob.shape[-1] - 1)
    np.put_along_axis(suppressed, bins, 0.0, axis=-1)
    second = suppressed.argmax(-1)[..., None]
    return np.concatenate([first, second], axis=-1).astype(np.int64) - 1


def line_nms(prob: torch.Tensor) -> np.ndarray:
    """Peaks across the line: horizontal (1x5) peaks where the line runs vertically (9x5 average
    beats 5x9), vertical (5x1) peaks elsewhere. ``prob`` (H, W), zero outside instances."""
    p = prob[None, None]
    peak_h = (F.max_pool2d(p, (1, 5), stride=1, padding=(0, 2)) - p) < 0.0001
    peak_v = (F.max_pool2d(p, (5, 1), stride=1, padding=(2, 0)) - p) < 0.0001
    tall = F.avg_pool2d(p, (9, 5), stride=1, padding=(4, 2))
    wide = F.avg_pool2d(p, (5, 9), stride=1, padding=(2, 4))
    vertical = tall > wide
    return ((vertical & peak_h) | (~vertical & peak_v))[0, 0].numpy()


def vectorize(seg_logits: Any, embedding: Any, direction: Any, grid: BevGrid,
              config: VectorizeConfig | None = None) -> list[dict]:
    """Vectorise one sample's head outputs.

    Args:
        seg_logits: (4, H, W) segmentation logits (channel 0 = background).
        embedding: (D, H, W) instance embeddings.
        direction: (angle_class + 1, H, W) direction logits.
        grid: the BEV grid of the rasters (pixel -> ego metres).
        config: post-processing parameters.

    Returns:
        list of dicts ``pts`` (N, 2) float ego metres, ``pts_num``, ``type`` (0 divider, 1 ped
        crossing, 2 boundary), ``confidence_level`` (float), in class then instance order.
    """
    config = config or VectorizeConfig()
    if config.start_point not in ('random', 'first'):
        raise ValueError(f'start_point must be "random" or "first", got {config.start_point!r}')
    seg = _as_tensor(seg_logits, 'seg_logits')
    emb = _as_tensor(embedding, 'embedding')
    dirs = _as_tensor(direction, 'direction', config.angle_class + 1)
    if not (seg.shape[1:] == emb.shape[1:] == dirs.shape[1:] == grid.shape):
        raise ValueError(f'raster sizes differ: seg {tuple(seg.shape)}, embedding {tuple(emb.shape)}, '
                         f'direction {tuple(dirs.shape)}, grid {grid.shape}')
    prob = torch.softmax(seg, dim=0)
    label = prob.numpy().argmax(0)  # first maximum, as torch's argmax (numpy's is faster)
    emb_hwd = emb.permute(1, 2, 0).numpy()
    directions = top2_directions(dirs)
    per_deg = 360.0 / config.angle_class
    rng = np.random.default_rng(config.seed)

    vectors: list[dict] = []
    for cls in range(1, seg.shape[0]):
        mask = clean_mask(label == cls, config.morphology, config.kernel_size, config.min_area)
        if config.max_class_pixels is not None and int(mask.sum()) > config.max_class_pixels:
            warnings.warn(f'vectorize: class {cls} covers {int(mask.sum())} pixels ({mask.mean():.0%} of the '
                          f'raster; > max_class_pixels={config.max_class_pixels}); not vectorised')
            continue
        instance = cluster_instances(mask, emb_hwd, config.dbscan_eps, config.dbscan_min_samples,
                                     config.standardize_embeddings)
        if instance is None:
            continue
        class_prob = prob[cls].clone()
        class_prob[torch.from_numpy(instance == 0)] = 0
        nms = line_nms(class_prob)
        for inst_id in range(1, int(instance.max()) + 1):
            inside = instance == inst_id
            rows, cols = np.nonzero(inside)
            if len(rows) == 0:
                continue
            confidence = float(class_prob[torch.from_numpy(inside)].mean())
            peak_rows, peak_cols = np.nonzero(nms & inside)
            if len(peak_rows) == 0:
                continue
            points = np.stack([peak_cols, peak_rows], axis=1)  # (x=col, y=row), row-major order
            key = 0 if np.ptp(cols) > np.ptp(rows) else 1
            points = points[np.argsort(points[:, key], kind='stable')]
            points = sort_points_by_dist(points).astype(np.int32)
            line = connect_by_direction(points, directions, config.connect_step, per_deg,
                                        rng if config.start_point == 'random' else None)
            pts = grid.pixels_to_ego(line).astype(np.float32)
            vectors.append(dict(pts=pts, pts_num=int(len(pts)), type=cls - 1,
                                confidence_level=confidence))
    return vectors
