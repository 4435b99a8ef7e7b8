"""Build a frozen (eval, no-grad, strictly loaded) target model for distillation."""
from __future__ import annotations

import os.path as osp
from typing import Mapping

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from torch import nn

from mapkd.registry import MODELS
from mapkd.utils.checkpoint import load_state_dict_file, load_strict, select_prefixed

FROZEN_SPEC_KEYS = ('config', 'model', 'checkpoint', 'prefix')
DISTILLER_TYPES = ('MapDistiller', 'mapkd.MapDistiller')
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def resolve_config_path(path: str) -> str:
    """``path`` as given if it exists, else relative to the repository root (configs/...)."""
    if osp.isfile(path) or osp.isabs(path):
        return path
    candidate = osp.join(REPO_ROOT, path)
    return candidate if osp.isfile(candidate) else path


def frozen_model_config(name: str, spec: Mapping) -> tuple[dict, str | None]:
    """Return ``(model config, default checkpoint key prefix)`` of one ``teachers`` entry.

    ``spec`` has exactly one of ``config`` (a config file whose ``model`` is used; if that model
    is itself a ``MapDistiller`` its ``student`` is used and the default prefix is ``'student.'``,
    so the coach of a coach-distillation run loads straight from that run's checkpoint) or
    ``model`` (a model config dict).
    """
    unknown = sorted(set(spec) - set(FROZEN_SPEC_KEYS))
    if unknown:
        raise KeyError(f'teachers[{name!r}] has unknown key(s) {unknown}; valid keys: {FROZEN_SPEC_KEYS}')
    if ('config' in spec) == ('model' in spec):
        raise KeyError(f'teachers[{name!r}] needs exactly one of "config" (a config file) or "model" '
                       f'(a model dict); got keys {sorted(spec)}')
    if 'config' in spec:
        path = resolve_config_path(spec['config'])
        if not osp.isfile(path):
            raise FileNotFoundError(f'teachers[{name!r}].config not found: {path}')
        cfg = Config.fromfile(path)
        if 'model' not in cfg:
            raise KeyError(f'teachers[{name!r}].config {path} has no "model"')
        model_cfg = cfg.model
    else:
        model_cfg = spec['model']
    model_cfg = dict(model_cfg) if isinstance(model_cfg, ConfigDict) else dict(model_cfg)
    default_prefix = None
    if model_cfg.get('type') in DISTILLER_TYPES:
        model_cfg = dict(model_cfg['student'])
        default_prefix = 'student.'
    return model_cfg, default_prefix


def build_frozen_model(name: str, spec: Mapping) -> nn.Module:
    """Build, strictly load, freeze and ``eval()`` one ``teachers`` entry of ``MapDistiller``.

    ``checkpoint=None`` keeps the random initialisation (tests only; a warning is logged).
    ``prefix`` selects and strips a key prefix (default ``'student.'`` for distiller configs).
    """
    model_cfg, default_prefix = frozen_model_config(name, spec)
    model = MODELS.build(model_cfg)
    checkpoint = spec.get('checkpoint')
    if checkpoint is None:
        print_log(f'MapDistiller: frozen model {name!r} has no checkpoint; it keeps its random '
                  'initialisation (only sensible in tests)', logger='current', level=30)
    else:
        state = load_state_dict_file(checkpoint)
        prefix = spec.get('prefix', default_prefix)
        load_strict(model, select_prefixed(state, prefix, checkpoint), checkpoint, name)
        print_log(f'MapDistiller: loaded frozen model {name!r} from {checkpoint}', logger='current')
    model.requires_grad_(False)
    model.eval()
    return model
