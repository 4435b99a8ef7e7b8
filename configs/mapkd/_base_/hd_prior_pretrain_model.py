# Model-only base (no grid_conf / image_size variables, so it combines with a dataset base);
# the architecture values mirror configs/_base_/models/hd_prior_pretrain.py. Stage configs add
# model = dict(grid_conf={{_base_.grid_conf}}, image_size={{_base_.image_size}}).
# Masked HD-prior pre-training of the MAE head (P-MapNet hdmapnet_pretrain) on inputs['hd_prior'].
model = dict(
    type='HDPriorPretrainModel',
    mae=dict(patch_size=8, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0, pos_embed_offset_bug=True),
    data_preprocessor=dict(type='MapDataPreprocessor'),
    loss=dict(type='MapTaskLoss'),
)
