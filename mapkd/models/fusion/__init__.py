"""BEV fusion: SD-prior cross attention, position embedding, student feature expansion."""
from .feature_expansion import FeatureExpansion
from .position_embedding_sine import PositionEmbeddingSine
from .sd_map_cross_attn import SDMapCrossAttn
from .sd_map_fusion import SDMapFusion

__all__ = ['FeatureExpansion', 'PositionEmbeddingSine', 'SDMapCrossAttn', 'SDMapFusion']
