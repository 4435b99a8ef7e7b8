"""HDMapNet camera branch: CamEncoder -> ViewTransformation -> IPM -> x2 upsample."""
from __future__ import annotations

import math
from typing import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.models.backbones.cam_encoder import CamEncoder
from mapkd.registry import MODELS

from .grid import bev_size as grid_bev_size
from .ipm import IPM
from .view_transformation import ViewTransformation

FEATURE_STRIDE = 16


@MODELS.register_module()
class CameraBEVEncoder(nn.Module):
    """Six camera images -> camera BEV features (B, C, H, W) ("topdown").

    Args:
        grid_conf: BEV grid (xbound/ybound); the BEV is (H, W), the view MLPs output (H/5, W/5).
        image_size: network image size (h, w); the front view is (ceil(h/16), ceil(w/16)).
        channels: camera feature channels (64).
        num_views: number of cameras (6).
        view_hidden: hidden width of the view MLPs (None = H/5*W/5, the official layout).
        pretrained: optional ImageNet EfficientNet-B0 weights for the camera encoder.
    """

    def __init__(self, grid_conf: dict, image_size: Sequence[int], channels: int = 64, num_views: int = 6,
                 view_hidden: int | None = None, pretrained: str | None = None) -> None:
        super().__init__()
        self.bev_size = grid_bev_size(grid_conf)
        self.fv_size = tuple(math.ceil(int(v) / FEATURE_STRIDE) for v in image_size)
        self.bv_size = (self.bev_size[0] // 5, self.bev_size[1] // 5)
        self.channels = channels
        self.camencode = CamEncoder(channels, pretrained=pretrained)
        self.view_fusion = ViewTransformation(self.fv_size, self.bv_size, num_views=num_views, hidden=view_hidden)
        self.ipm = IPM(self.bev_size, self.bv_size)

    def camera_features(self, imgs: Tensor) -> Tensor:
        """(B, N, 3, h, w) -> (B, N, C, h/16, w/16)."""
        batch, views = imgs.shape[:2]
        feats = self.camencode(imgs.flatten(0, 1))
        return feats.view(batch, views, *feats.shape[1:])

    def forward(self, imgs: Tensor, rots: Tensor, trans: Tensor) -> Tensor:
        feats = self.camera_features(imgs)
        bev = self.ipm(self.view_fusion(feats), rots, trans)
        return F.interpolate(bev, size=self.bev_size, mode='bilinear', align_corners=True)
