"""Per-sample cache of frozen-model outputs ("offline" targets) for distillation without augmentation.

A frozen teacher in ``eval()`` mode maps a sample to the same outputs every epoch when the data
pipeline has no random augmentation (the map pipelines here have none). ``MapDistiller(cache_targets=True)``
then runs each frozen model once per training sample, keeps the outputs its distillation losses
read (and only those) per sample token, and assembles later batches from the cache.

The cache learns which outputs to keep on a model's first batch: the losses read the full output
dict through :class:`RecordingTargets`, which notes every key. A later read of a key that was not
kept fails with an error naming it, never with a silently wrong target.

On the CPU, eval-mode outputs of a sample are bit-identical whichever samples share its batch (same
batch size; checked in tests/distillation/test_target_cache.py), so a cached run trains exactly like
an uncached one. Memory: the kept outputs of every training sample, on the training device (the
quickstart: ~0.26 MB per sample and model).
"""
from __future__ import annotations

from typing import Iterator, Mapping, Sequence

import torch
from torch import Tensor


class RecordingTargets(Mapping):
    """A read-only view of a frozen model's outputs that records (or restricts) the keys read.

    Args:
        outputs: the model's outputs (``name -> (B, ...) tensor``).
        model_name: the frozen model's name, for error messages.
        allowed: ``None`` to record every key read; else the keys a cached batch holds, reading any
            other key raises a ``KeyError`` that names it.
    """

    def __init__(self, outputs: Mapping[str, Tensor], model_name: str, allowed: Sequence[str] | None = None) -> None:
        self._outputs = outputs
        self._model_name = model_name
        self._allowed = None if allowed is None else frozenset(allowed)
        self.read: list[str] = []

    def _check(self, key: str) -> None:
        if self._allowed is not None and key not in self._allowed:
            raise KeyError(f'MapDistiller target cache: a loss read output {key!r} of the frozen model '
                           f'{self._model_name!r}, but only {sorted(self._allowed)} were read on its first '
                           'batch and cached. Losses must read the same outputs every batch; set '
                           'cache_targets=False otherwise.')
        if key not in self.read:
            self.read.append(key)

    def __getitem__(self, key: str) -> Tensor:
        self._check(key)
        return self._outputs[key]

    def __contains__(self, key: object) -> bool:
        return key in self._outputs

    def __iter__(self) -> Iterator[str]:
        return iter(self._outputs)

    def __len__(self) -> int:
        return len(self._outputs)


class FrozenTargetCache:
    """Per-sample outputs of each frozen model, keyed by sample token.

    ``lookup`` returns a whole batch only when every sample of it is cached (otherwise the caller
    runs the frozen model on the full batch, so that batch sizes - and with them the numerics -
    match an uncached run); ``store`` keeps the outputs the losses read on that batch.
    """

    def __init__(self) -> None:
        self._keys: dict[str, tuple[str, ...]] = {}
        self._samples: dict[str, dict[str, dict[str, Tensor]]] = {}

    def keys_of(self, model_name: str) -> tuple[str, ...] | None:
        """The outputs kept for ``model_name`` (``None`` before its first batch was stored)."""
        return self._keys.get(model_name)

    def num_samples(self, model_name: str) -> int:
        return len(self._samples.get(model_name, {}))

    def lookup(self, model_name: str, tokens: Sequence[str]) -> dict[str, Tensor] | None:
        """The batch of ``tokens`` assembled from the cache, or ``None`` if any sample is missing."""
        samples = self._samples.get(model_name)
        if not samples or any(token not in samples for token in tokens):
            return None
        return {key: torch.stack([samples[token][key] for token in tokens]) for key in self._keys[model_name]}

    def store(self, model_name: str, tokens: Sequence[str], outputs: Mapping[str, Tensor],
              keys: Sequence[str]) -> None:
        """Keep ``outputs[key][i]`` for every ``key`` in ``keys`` and sample ``i``."""
        if not keys:
            raise ValueError(f'MapDistiller target cache: no loss read any output of the frozen model '
                             f'{model_name!r}; nothing to cache')
        known = self._keys.get(model_name)
        if known is None:
            self._keys[model_name] = tuple(keys)
        elif set(keys) - set(known):
            raise KeyError(f'MapDistiller target cache: the losses read outputs {sorted(set(keys) - set(known))} '
                           f'of the frozen model {model_name!r} that earlier batches did not; cached: {list(known)}')
        samples = self._samples.setdefault(model_name, {})
        for key in self._keys[model_name]:
            value = outputs[key]
            if not torch.is_tensor(value) or value.dim() == 0 or value.shape[0] != len(tokens):
                raise ValueError(f'MapDistiller target cache: output {key!r} of the frozen model {model_name!r} '
                                 f'is not a per-sample tensor of batch size {len(tokens)} '
                                 f'(got {getattr(value, "shape", type(value).__name__)}); set cache_targets=False')
        for index, token in enumerate(tokens):
            samples[token] = {key: outputs[key][index].detach().clone() for key in self._keys[model_name]}
