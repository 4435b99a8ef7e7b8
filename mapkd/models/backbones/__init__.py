"""Camera encoders (EfficientNet-B0) and the PointPillars LiDAR encoder."""
from .cam_encoder import CamEncoder
from .depth_cam_encoder import DepthCamEncoder
from .efficient_net_b0 import EfficientNetB0
from .point_pillar_encoder import PointPillarEncoder

__all__ = ['CamEncoder', 'DepthCamEncoder', 'EfficientNetB0', 'PointPillarEncoder']
