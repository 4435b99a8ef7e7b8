"""Task losses shared by every map model (official ``loss.py`` + the direction loss of the train scripts)."""
from .direction_loss import DirectionLoss
from .discriminative_loss import DiscriminativeLoss
from .map_task_loss import MapTaskLoss
from .segmentation_bce_loss import SegmentationBCELoss

__all__ = ['DirectionLoss', 'DiscriminativeLoss', 'MapTaskLoss', 'SegmentationBCELoss']
