"""Front-view -> BEV: HDMapNet view MLPs + IPM, Lift-Splat."""
from .camera_bev_encoder import CameraBEVEncoder
from .ipm import IPM
from .lift_splat import LiftSplat
from .view_transformation import ViewTransformation

__all__ = ['CameraBEVEncoder', 'IPM', 'LiftSplat', 'ViewTransformation']
