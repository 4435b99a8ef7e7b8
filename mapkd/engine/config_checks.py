"""Validation of configs before the Runner is built, so that mistakes give one clear line."""
from __future__ import annotations

import difflib
from typing import Any, Iterable

from mmengine.config import Config, ConfigDict

from mapkd.cli import CLIError


def _registered_names(registry) -> list[str]:
    names: set[str] = set()
    node = registry
    while node is not None:
        names.update(node.module_dict)
        node = node.parent
    return sorted(names)


def _check_type(registry, type_name: Any, where: str) -> None:
    if not isinstance(type_name, str):
        return  # a class object or callable given directly in a Python config
    if registry.get(type_name) is not None:
        return
    close = difflib.get_close_matches(type_name, _registered_names(registry), n=5, cutoff=0.5)
    hint = f'; close names: {", ".join(close)}' if close else ''
    raise CLIError(f'unknown {registry.name} type {type_name!r} at {where}{hint}')


def _walk_types(node: Any, path: str, registry) -> Iterable[tuple[str, Any]]:
    """Yield (path, type) of every dict with a ``type`` key below ``node`` (same registry)."""
    if isinstance(node, dict):
        if 'type' in node:
            yield path, node['type']
        for key, value in node.items():
            if key in ('type', 'init_cfg'):
                continue
            yield from _walk_types(value, f'{path}.{key}', registry)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _walk_types(value, f'{path}[{i}]', registry)


def check_registry_types(cfg: Config) -> None:
    """Raise :class:`CLIError` for the first unknown ``type=`` in the config, with close names."""
    from mapkd import registry as reg

    if 'model' in cfg:
        for path, name in _walk_types(cfg.model, 'model', reg.MODELS):
            _check_type(reg.MODELS, name, path)
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader:
            dataset = loader.get('dataset', {})
            if 'type' in dataset:
                _check_type(reg.DATASETS, dataset['type'], f'{split}_dataloader.dataset')
            for i, step in enumerate(dataset.get('pipeline', []) or []):
                if isinstance(step, dict) and 'type' in step:
                    _check_type(reg.TRANSFORMS, step['type'], f'{split}_dataloader.dataset.pipeline[{i}]')
            collate = loader.get('collate_fn')
            if isinstance(collate, dict) and 'type' in collate:
                _check_type(reg.FUNCTIONS, collate['type'], f'{split}_dataloader.collate_fn')
        evaluator = cfg.get(f'{split}_evaluator')
        metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
        for i, metric in enumerate(m for m in metrics if m):
            if 'type' in metric and metric['type'] != 'Evaluator':
                _check_type(reg.METRICS, metric['type'], f'{split}_evaluator[{i}]')
    optim = cfg.get('optim_wrapper')
    if optim:
        if 'type' in optim:
            _check_type(reg.OPTIM_WRAPPERS, optim['type'], 'optim_wrapper')
        if isinstance(optim.get('optimizer'), dict):
            _check_type(reg.OPTIMIZERS, optim['optimizer'].get('type'), 'optim_wrapper.optimizer')
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for i, sched in enumerate(schedulers):
        _check_type(reg.PARAM_SCHEDULERS, sched.get('type'), f'param_scheduler[{i}]')
    hooks = dict(cfg.get('default_hooks') or {})
    for name, hook in hooks.items():
        if isinstance(hook, dict):
            _check_type(reg.HOOKS, hook.get('type'), f'default_hooks.{name}')
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        _check_type(reg.HOOKS, hook.get('type'), f'custom_hooks[{i}]')


def check_override_keys(cfg: Config, overrides: dict) -> None:
    """Reject ``--cfg-options`` keys that look like typos of existing keys.

    A key whose parent exists but which is absent itself is an error when a close spelling
    of it exists among its siblings (``batchsize`` vs ``batch_size``); genuinely new keys
    (a new model argument, say) are accepted.
    """
    for dotted in overrides:
        parts = dotted.split('.')
        node: Any = cfg
        for depth, part in enumerate(parts):
            if isinstance(node, (list, tuple)) and part.isdigit():
                index = int(part)
                if index >= len(node):
                    raise CLIError(f'--cfg-options {dotted}: index {index} out of range '
                                   f'(list of length {len(node)})')
                node = node[index]
                continue
            if not isinstance(node, (dict, ConfigDict, Config)):
                break
            if part not in node:
                siblings = [str(k) for k in node.keys()]
                close = difflib.get_close_matches(part, siblings, n=3, cutoff=0.8)
                if close:
                    parent = '.'.join(parts[:depth]) or '<top level>'
                    raise CLIError(f'--cfg-options {dotted}: no key {part!r} in {parent}; '
                                   f'did you mean {", ".join(close)}?')
                break
            node = node[part]
