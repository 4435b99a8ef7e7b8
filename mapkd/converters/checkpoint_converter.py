"""Convert official MapKD / P-MapNet / HDMapNet checkpoints onto our models, strictly."""
from __future__ import annotations

import datetime
from typing import Mapping

import torch
from torch import Tensor, nn

from mapkd.converters.official_layouts import ARCHS

DP_PREFIX = 'module.'


class CheckpointConversionError(ValueError):
    """The file does not fit the architecture; the message lists every offending key."""


def strip_data_parallel_prefix(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Remove ``module.`` when *every* key carries it (DataParallel checkpoints)."""
    keys = list(state)
    if keys and all(k.startswith(DP_PREFIX) for k in keys):
        return {k[len(DP_PREFIX):]: v for k, v in state.items()}
    return dict(state)


def _format_keys(title: str, keys: list[str], limit: int = 40) -> str:
    shown = '\n    '.join(keys[:limit])
    more = f'\n    ... and {len(keys) - limit} more' if len(keys) > limit else ''
    return f'  {title} ({len(keys)}):\n    {shown}{more}'


def expected_constants(model: nn.Module, arch: str) -> dict[str, Tensor]:
    """Official non-learned tensors our model recomputes (coach LiftSplat grid)."""
    if not ARCHS[arch]['constants']:
        return {}
    lss = model.sim_lidar
    nx = torch.tensor(lss.num_cells, dtype=torch.int64)
    return {'pp.frustum': lss.frustum.detach().cpu(), 'pp.dx': lss.cell_size.detach().cpu(),
            'pp.bx': lss.first_centre.detach().cpu(), 'pp.nx': nx}


def convert_state_dict(official: Mapping[str, Tensor], arch: str, model: nn.Module,
                       source: str = '<state dict>') -> tuple[dict[str, Tensor], dict]:
    """Map ``official`` onto ``model``'s state-dict keys.

    Returns ``(state_dict, report)`` where report lists dropped keys and prefix handling.
    Raises :class:`CheckpointConversionError` listing missing / unexpected / shape-mismatched
    keys or wrong grid constants. Nothing is loaded partially.
    """
    if arch not in ARCHS:
        raise CheckpointConversionError(f'unknown arch {arch!r}; choose from {sorted(ARCHS)}')
    table = ARCHS[arch]
    had_prefix = bool(official) and all(k.startswith(DP_PREFIX) for k in official)
    state = strip_data_parallel_prefix(official)
    ours = model.state_dict()
    converted: dict[str, Tensor] = {}
    dropped, unexpected, mismatched, bad_constants = [], [], [], []
    constants = expected_constants(model, arch)
    for key, value in state.items():
        if key in table['constants']:
            want = constants[key]
            if tuple(value.shape) != tuple(want.shape) or not torch.allclose(value.double(), want.double(),
                                                                              rtol=0, atol=1e-6):
                bad_constants.append(f'{key}: file {tuple(value.shape)} {value.flatten()[:6].tolist()} vs config '
                                     f'{tuple(want.shape)} {want.flatten()[:6].tolist()}')
            dropped.append(key)
            continue
        if any(key.startswith(prefix) or key == prefix.rstrip('.') for prefix in table['dropped']):
            dropped.append(key)
            continue
        target = next((our + key[len(off):] for off, our in table['renames'] if key.startswith(off)), None)
        if target is None or target not in ours:
            unexpected.append(key if target is None else f'{key} (-> {target})')
            continue
        if tuple(value.shape) != tuple(ours[target].shape):
            mismatched.append(f'{key}: file {tuple(value.shape)} vs model {target} {tuple(ours[target].shape)}')
            continue
        converted[target] = value.to(ours[target].dtype)
    missing = sorted(set(ours) - set(converted))
    if missing or unexpected or mismatched or bad_constants:
        parts = [f'{source} does not match arch {arch!r} ({table["official_class"]}; model '
                 f'{type(model).__name__}):']
        if missing:
            parts.append(_format_keys('missing (our keys nothing in the file maps to)', missing))
        if unexpected:
            parts.append(_format_keys('unexpected (file keys with no place in our model)', sorted(unexpected)))
        if mismatched:
            parts.append(_format_keys('shape mismatch', sorted(mismatched)))
        if bad_constants:
            parts.append(_format_keys('grid constants differ from the config (wrong range or image size?)',
                                      bad_constants))
        raise CheckpointConversionError('\n'.join(parts))
    converted = {k: converted[k] for k in ours}  # our key order
    report = dict(arch=arch, official_class=table['official_class'], source=source,
                  stripped_module_prefix=had_prefix, num_official_keys=len(state), num_converted=len(converted),
                  dropped_keys=sorted(dropped),
                  dropped_numel=int(sum(state[k].numel() for k in dropped)),
                  converted_at=datetime.datetime.now().isoformat(timespec='seconds'))
    return converted, report
