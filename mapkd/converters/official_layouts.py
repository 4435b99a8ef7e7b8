"""Key mapping from the official MapKD / P-MapNet / HDMapNet state dicts onto our models.

Each architecture lists
- ``renames``: (official prefix, our prefix) pairs, first match wins;
- ``dropped``: official key prefixes of modules the official models carry but never run
  (documented by name in ``docs/model_zoo.md``);
- ``constants``: official non-learned tensors we recompute from the config instead of storing;
  the converter checks that the file's values equal ours (a wrong range/image size fails).
"""
from __future__ import annotations

EFFICIENTNET_HEAD = ('trunk._conv_head.', 'trunk._bn1.', 'trunk._fc.')

_CAMERA_RENAMES = (('camencode.', 'camera_bev.camencode.'), ('view_fusion.', 'camera_bev.view_fusion.'))
_SD_RENAMES = (('conv_osm.', 'sd_fusion.conv_osm.'), ('input_proj.', 'sd_fusion.input_proj.'),
               ('sdmap_crossattn.', 'sd_fusion.sdmap_crossattn.'), ('conv_up.', 'sd_fusion.conv_up.'))
_DEAD_DECODER_HEADS = tuple(f'bevencode.{name}.' for name in
                            ('up1_embedded', 'up2_embedded', 'up1_direction', 'up2_direction'))
_DEAD_MAE = ('mae_head.cls_token', 'mae_head.patch_embed.', 'mae_head.head.')

ARCHS: dict[str, dict] = {
    'hdmapnet': dict(
        model_type='HDMapNet', official_class='HDMapNet_cam (HDMapNet / P-MapNet / MapKD_new)',
        renames=_CAMERA_RENAMES + (('bevencode.', 'bevencode.'),),
        dropped=tuple('camencode.' + p for p in EFFICIENTNET_HEAD),
        constants=()),
    'student': dict(
        model_type='MapKDStudent', official_class='PMapNet_sdmap_S (MapKD_new)',
        renames=_CAMERA_RENAMES + (('feature_expand.', 'feature_expand.'), ('conv_bev.', 'conv_bev.'),
                                   ('bevencode.', 'bevencode.')),
        dropped=tuple('camencode.' + p for p in EFFICIENTNET_HEAD) + ('input_proj.', 'conv_osm.', 'conv_up.'),
        constants=()),
    'coach': dict(
        model_type='MapKDCoach', official_class='PMapNet_sdmap_C (MapKD_new)',
        renames=_CAMERA_RENAMES + _SD_RENAMES + (
            ('pp.camencode.', 'sim_lidar.camencode.'), ('expand_to_128.', 'expand_to_128.'),
            ('conv_bev.', 'conv_bev.'), ('bevencode.', 'bevencode.'), ('mae_head.', 'mae_head.')),
        dropped=tuple('camencode.' + p for p in EFFICIENTNET_HEAD)
        + tuple('pp.camencode.' + p for p in EFFICIENTNET_HEAD) + ('pp.bevencode.', 'pp.reduce_to_3.')
        + _DEAD_MAE,
        constants=('pp.frustum', 'pp.dx', 'pp.bx', 'pp.nx')),
    'teacher': dict(
        model_type='MapKDTeacher', official_class='PMapNet_mae_head lidar=True (MapKD_new) = pmapnet_hd (P-MapNet)',
        renames=_CAMERA_RENAMES + _SD_RENAMES + (
            ('pp.', 'lidar_encoder.'), ('conv_bev.', 'conv_bev.'), ('bevencode.', 'bevencode.'),
            ('mae_head.', 'mae_head.')),
        dropped=tuple('camencode.' + p for p in EFFICIENTNET_HEAD) + _DEAD_DECODER_HEADS + _DEAD_MAE,
        constants=()),
    'hd_prior': dict(
        model_type='HDPriorPretrainModel', official_class='hdmapnet_pretrain / vit_base_patch8 (P-MapNet)',
        renames=(('mae_head.', 'mae_head.'), ('', 'mae_head.')),
        dropped=('cls_token', 'patch_embed.', 'head.') + _DEAD_MAE,
        constants=()),
}
# The coach with the HD head (PMapNet_mae_head_C) uses the coach table; its own first decoder's
# emb/dir heads are dead there as well.
ARCHS['coach_hd'] = dict(ARCHS['coach'], official_class='PMapNet_mae_head_C (MapKD_new)',
                         dropped=ARCHS['coach']['dropped'] + _DEAD_DECODER_HEADS)
