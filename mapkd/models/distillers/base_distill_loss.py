"""Common interface of every distillation loss run by :class:`MapDistiller`."""
from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor, nn


class BaseDistillLoss(nn.Module):
    """A distillation loss between the student and one frozen target model.

    Subclasses implement :meth:`compute`, which returns a dict of named terms, each already
    scaled by its term weight (e.g. ``{'attn': ..., 'feat': ...}``). The distiller multiplies
    their sum by ``weight`` and logs it as ``loss_<name>_<teacher>``; every term is also logged
    (detached, not summed again) as ``<name>_<term>_<teacher>``.

    Args:
        teacher: key of the frozen target in ``MapDistiller(teachers=...)`` (``'teacher'``, ``'coach'``).
        weight: the loss weight (lambda) of this term in the total loss.
        name: log name stem; defaults to the class's ``NAME``.
    """

    NAME = 'distill'
    #: True for losses that call a sub-module of the frozen target with gradients enabled
    #: (DualDistill's cross-head term); the distiller then passes ``target_model``.
    NEEDS_TARGET_MODEL = False

    def __init__(self, teacher: str, weight: float = 1.0, name: str | None = None) -> None:
        super().__init__()
        if not isinstance(teacher, str) or not teacher:
            raise ValueError(f'{type(self).__name__}: teacher must be the name of a frozen model, got {teacher!r}')
        if float(weight) < 0:
            raise ValueError(f'{type(self).__name__}: weight must be >= 0, got {weight}')
        self.teacher = teacher
        self.weight = float(weight)
        self.name = name or self.NAME

    @property
    def log_key(self) -> str:
        return f'loss_{self.name}_{self.teacher}'

    def compute(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        raise NotImplementedError

    def forward(self, student_out: Mapping[str, Tensor], target_out: Mapping[str, Tensor],
                data_samples: Mapping, target_model: nn.Module | None = None) -> dict[str, Tensor]:
        """Return ``{log_key: weighted total, '<name>_<term>_<teacher>': detached weighted term}``."""
        terms = self.compute(student_out, target_out, data_samples, target_model)
        if not terms:
            raise RuntimeError(f'{type(self).__name__}.compute returned no terms')
        total = self.weight * sum(terms.values())
        logs = {self.log_key: total}
        if len(terms) > 1:
            for term, value in terms.items():
                logs[f'{self.name}_{term}_{self.teacher}'] = (self.weight * value).detach()
        return logs

    def extra_repr(self) -> str:
        return f'teacher={self.teacher!r}, weight={self.weight}, name={self.name!r}'


def get_output(outputs: Mapping[str, Tensor], key: str, who: str, loss: str) -> Tensor:
    """``outputs[key]`` or a ``KeyError`` naming the model, the key and what is available."""
    if key not in outputs:
        raise KeyError(f'{loss}: the {who} outputs have no {key!r}; available: {sorted(outputs)}. '
                       "Set the loss's feature names to ones the model declares in FEATURE_NAMES.")
    return outputs[key]


def get_sample_field(data_samples: Mapping, key: str, loss: str):
    """``data_samples[key]`` or a ``KeyError`` naming the loss that needs it."""
    if data_samples is None or key not in data_samples:
        have = sorted(data_samples) if data_samples is not None else None
        raise KeyError(f'{loss} needs data_samples[{key!r}]; the batch has {have}')
    return data_samples[key]


def check_same_shape(student: Tensor, target: Tensor, what: str, loss: str) -> None:
    if student.shape != target.shape:
        raise ValueError(f'{loss}: student {what} has shape {tuple(student.shape)} but the target '
                         f'has {tuple(target.shape)}; configure an adapter or matching feature names')


def reduce_mean(value: Tensor) -> Tensor:
    """Mean of ``value`` over all distributed ranks (identity without ``torch.distributed``).

    Used on loss *normalisers* (counts of masked elements) so that the mean of the per-rank
    losses equals the loss on the global batch, and DDP's averaged gradient matches it.
    """
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return value
    world = torch.distributed.get_world_size()
    if world == 1:
        return value
    value = value.detach().clone()
    torch.distributed.all_reduce(value.div_(world))
    return value


def normalised_sum(numerator: Tensor, count: Tensor, min_count: float = 1.0) -> Tensor:
    """``numerator / count`` with the count averaged over ranks and clamped to ``min_count``.

    An empty mask gives ``0`` (with a graph), never NaN.
    """
    return numerator / reduce_mean(count.detach().to(numerator.dtype)).clamp(min=min_count)
