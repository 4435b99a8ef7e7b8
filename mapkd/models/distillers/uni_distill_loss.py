"""UniDistill baseline adapted to BEV map segmentation."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS

from .base_distill_loss import BaseDistillLoss, check_same_shape, get_output, get_sample_field, normalised_sum
from .region_utils import conv_adapter, foreground, gaussian_blur


def resample_polyline(points: np.ndarray, num: int) -> np.ndarray:
    """``num`` points evenly spaced by arc length along a polyline (N, 2) (both ends included)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) == 1:
        return np.repeat(points, num, axis=0)
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] <= 0:
        return np.repeat(points[:1], num, axis=0)
    targets = np.linspace(0.0, cum[-1], num)
    return np.stack([np.interp(targets, cum, points[:, 0]), np.interp(targets, cum, points[:, 1])], 1)


@MODELS.register_module()
class UniDistillLoss(BaseDistillLoss):
    """UniDistill (Zhou et al., CVPR 2023) for map segmentation.

    The paper samples 9 key points per GT box (corners, centre, edge midpoints). A map element
    is a polyline / polygon outline, so its key points are ``num_points`` points evenly spaced
    by arc length along the GT vector (``gt_vectors``, ego metres -> BEV grid via ``xbound`` /
    ``ybound``). At these points (bilinear sampling):

    * feature: L1 between target and adapted student features;
    * relation: L1 between the K x K cosine-similarity matrices of each element's key points;
    * response: L1 between the class-max probability maps (target at temperature
      ``resp_temperature``, as the official code's ``sigmoid(logit / 2)``), weighted by a
      Gaussian GT mask and normalised by its sum (there is no box-regression map for maps).

    Default term weights keep the official 100 : 40 : 10 ratio, scaled by 1/100 so that the
    terms are of the order of the task loss on 192-channel BEV features.
    """

    NAME = 'unidistill'

    def __init__(self, teacher: str, xbound: Sequence[float], ybound: Sequence[float], weight: float = 1.0,
                 student_feature: str = 'bev_small', teacher_feature: str = 'bev_small',
                 student_channels: int = 192, teacher_channels: int = 192, num_points: int = 9,
                 feat_weight: float = 1.0, rel_weight: float = 0.4, resp_weight: float = 0.1,
                 resp_temperature: float = 2.0, resp_sigma: float = 2.0, name: str | None = None) -> None:
        super().__init__(teacher, weight, name)
        if num_points < 2:
            raise ValueError(f'UniDistillLoss: num_points must be >= 2, got {num_points}')
        self.xbound, self.ybound = tuple(xbound[:2]), tuple(ybound[:2])
        self.student_feature = student_feature
        self.teacher_feature = teacher_feature
        self.num_points = int(num_points)
        self.feat_weight, self.rel_weight, self.resp_weight = float(feat_weight), float(rel_weight), float(resp_weight)
        self.resp_temperature = float(resp_temperature)
        self.resp_sigma = float(resp_sigma)
        self.adapter = conv_adapter(student_channels, teacher_channels)

    def key_point_grid(self, gt_vectors: Sequence, device: torch.device) -> tuple[Tensor, Tensor]:
        """(B, M, K, 2) normalised grid coordinates and (B, M) validity of the M elements."""
        batch = len(gt_vectors)
        most = max([len(v) for v in gt_vectors] + [1])
        grid = torch.zeros(batch, most, self.num_points, 2)
        valid = torch.zeros(batch, most, dtype=torch.bool)
        (x0, x1), (y0, y1) = self.xbound, self.ybound
        for b, vectors in enumerate(gt_vectors):
            for m, vector in enumerate(vectors):
                pts = resample_polyline(np.asarray(vector['pts']), self.num_points)
                grid[b, m, :, 0] = torch.from_numpy((pts[:, 0] - x0) / (x1 - x0) * 2 - 1)
                grid[b, m, :, 1] = torch.from_numpy((pts[:, 1] - y0) / (y1 - y0) * 2 - 1)
                valid[b, m] = True
        return grid.to(device), valid.to(device)

    def compute(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        loss_name = type(self).__name__
        student = self.adapter(get_output(student_out, self.student_feature, 'student', loss_name))
        target = get_output(target_out, self.teacher_feature, self.teacher, loss_name).detach().to(student.dtype)
        check_same_shape(student, target, self.student_feature, loss_name)
        grid, valid = self.key_point_grid(get_sample_field(data_samples, 'gt_vectors', loss_name), student.device)
        grid = grid.to(student.dtype)
        s_pts = F.grid_sample(student, grid, align_corners=False)   # (B, C, M, K)
        t_pts = F.grid_sample(target, grid, align_corners=False)
        mask = valid[:, None, :, None].to(student.dtype)
        count = valid.sum() * self.num_points
        feat = normalised_sum(((s_pts - t_pts).abs().mean(1, keepdim=True) * mask).sum(), count)
        s_rel = torch.einsum('bcmk,bcml->bmkl', F.normalize(s_pts, dim=1), F.normalize(s_pts, dim=1))
        t_rel = torch.einsum('bcmk,bcml->bmkl', F.normalize(t_pts, dim=1), F.normalize(t_pts, dim=1))
        rel_mask = valid[:, :, None, None].to(student.dtype)
        rel = normalised_sum(((s_rel - t_rel).abs() * rel_mask).sum(), valid.sum() * self.num_points ** 2)
        resp = self.response(student_out, target_out, data_samples)
        return {'feat': self.feat_weight * feat, 'rel': self.rel_weight * rel, 'resp': self.resp_weight * resp}

    def response(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                 data_samples: Mapping) -> Tensor:
        loss_name = type(self).__name__
        s_seg = get_output(student_out, 'seg', 'student', loss_name)
        t_seg = get_output(target_out, 'seg', self.teacher, loss_name).detach()
        s_prob = torch.sigmoid(s_seg[:, 1:].float()).amax(1, keepdim=True)
        t_prob = torch.sigmoid(t_seg[:, 1:].float() / self.resp_temperature).amax(1, keepdim=True)
        weights = gaussian_blur(foreground(get_sample_field(data_samples, 'semantic', loss_name)).float(),
                                self.resp_sigma)
        return normalised_sum(((s_prob - t_prob).abs() * weights).sum(), weights.sum(), min_count=1e-6)
