# Masked HD-prior pre-training of the MAE head (P-MapNet hdmapnet_pretrain) on inputs['hd_prior'].
grid_conf = dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15],
                 zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0])
image_size = (128, 352)
model = dict(
    type='HDPriorPretrainModel',
    grid_conf=grid_conf,
    image_size=image_size,
    mae=dict(patch_size=8, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0, pos_embed_offset_bug=True),
    data_preprocessor=dict(type='MapDataPreprocessor'),
    loss=dict(type='MapTaskLoss'),
)
