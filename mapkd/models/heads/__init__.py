"""BEV decoder (ResNet-18, seg/emb/dir heads) and the MAE HD-prior head."""
from .bev_decoder import BevDecoder
from .mae_head import MAEHead

__all__ = ['BevDecoder', 'MAEHead']
