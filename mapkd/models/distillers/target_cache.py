"""Per-sample cache of frozen-model outputs ("offline" targets) for distillation without augmentation.

A frozen teacher in ``eval()`` mode maps a sample to the same outputs every epoch when the data
pipeline has no random augmentation (the map pipelines here have none). ``MapDistiller(cache_targets=True)``
then runs each frozen model once per training sample, keeps the outputs its distillation losses
read (and only those) per sample token, and assembles later batches from the cache.

The cache learns which outputs to keep on a model's first batch: the losses read the full output
dict through :class:`RecordingTargets`, which notes every key. A later read of a key that was not
kept fails with an error naming it, never with a silently wrong target.

On the CPU, eval-mode outputs of a sample are bit-identical whichever samples share its batch (same
batch size; checked in tests/distill/test_target_cache.py), so a cached run trains exactly like
an uncached one. Memory: the kept outputs of every training sample, on the training device (the
quickstart: ~0.26 MB per sample and model).

With a ``disk_dir``, :meth:`FrozenTargetCache.save` writes each frozen model's cache to
``<disk_dir>/<model name>-<weights fingerprint>.pt``, and a later run whose frozen model has the
same weights (the same fingerprint) reuses the file: the quickstart's student stage reads the
teacher targets its coach stage computed, instead of running the teacher over the training set a
second time. A file is adopted only after the first batch, computed afresh, matched it bit for bit
(and only if it holds every output the losses read); otherwise it is ignored with a warning.
"""
from __future__ import annotations

import hashlib
import os.path as osp
from typing import Iterator, Mapping, Sequence

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from mapkd.utils.checkpoint import atomic_torch_save


def weights_fingerprint(model: nn.Module) -> str:
    """A hex digest of the model's class and every ``state_dict`` entry (name, dtype, shape, bytes)."""
    digest = hashlib.sha256(type(model).__name__.encode())
    for name, value in model.state_dict().items():
        tensor = value.detach().cpu().contiguous()
        digest.update(f'{name}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:20]


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

    def __init__(self, disk_dir: str | None = None) -> None:
        self._keys: dict[str, tuple[str, ...]] = {}
        self._samples: dict[str, dict[str, dict[str, Tensor]]] = {}
        self.disk_dir = disk_dir
        self._fingerprints: dict[str, str] = {}
        self._saved_counts: dict[str, int] = {}

    # ------------------------------------------------------------------ on disk
    def set_fingerprint(self, model_name: str, fingerprint: str) -> None:
        """Name the frozen model's weights (:func:`weights_fingerprint`) for its file on disk."""
        self._fingerprints[model_name] = fingerprint

    def disk_path(self, model_name: str) -> str | None:
        """Where ``model_name``'s cache is saved/read, or ``None`` without a ``disk_dir``/fingerprint."""
        if self.disk_dir is None or model_name not in self._fingerprints:
            return None
        return osp.join(self.disk_dir, f'{model_name}-{self._fingerprints[model_name]}.pt')

    def save(self) -> list[str]:
        """Write every model's cache that grew since it was loaded/saved; returns the files written."""
        written = []
        for model_name, samples in self._samples.items():
            path = self.disk_path(model_name)
            if path is None or len(samples) <= self._saved_counts.get(model_name, 0):
                continue
            atomic_torch_save(dict(fingerprint=self._fingerprints[model_name], keys=list(self._keys[model_name]),
                                   samples=samples), path)
            self._saved_counts[model_name] = len(samples)
            written.append(path)
        return written

    def _adopt_from_disk(self, model_name: str, tokens: Sequence[str], outputs: Mapping[str, Tensor],
                         keys: Sequence[str]) -> None:
        """After ``model_name``'s first fresh batch: take its saved samples if they match that batch."""
        path = self.disk_path(model_name)
        if path is None or not osp.isfile(path):
            return
        try:
            saved = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as exc:
            raise RuntimeError(f'FrozenTargetCache: cannot read the saved targets {path} ({exc}); delete the '
                               'file or unset target_cache_dir') from exc
        missing = sorted(set(keys) - set(saved.get('keys', ())))
        absent = [token for token in tokens if token not in saved.get('samples', {})]
        if saved.get('fingerprint') != self._fingerprints[model_name] or missing or absent:
            reason = (f'it lacks the outputs {missing}' if missing else
                      f'it lacks the samples {absent}' if absent else 'its fingerprint differs')
            print_log(f'FrozenTargetCache: not using {path}: {reason}', logger='current', level=30)
            return
        for index, token in enumerate(tokens):
            for key in keys:
                fresh = outputs[key][index].detach().cpu()
                if not torch.equal(saved['samples'][token][key], fresh):
                    print_log(f'FrozenTargetCache: not using {path}: output {key!r} of sample {token} differs '
                              'from a fresh forward of the same weights', logger='current', level=30)
                    return
        device = outputs[keys[0]].device
        samples = self._samples[model_name]
        for token, kept in saved['samples'].items():
            if token not in samples:
                samples[token] = {key: kept[key].to(device) for key in keys}
        self._saved_counts[model_name] = len(saved['samples'])
        print_log(f'FrozenTargetCache: {model_name!r} targets of {len(saved["samples"])} samples read from {path} '
                  '(the first batch matched them bit for bit)', logger='current')

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
        first = known is None
        if first:
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
        if first:
            self._adopt_from_disk(model_name, tokens, outputs, self._keys[model_name])
