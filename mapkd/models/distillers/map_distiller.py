"""MapDistiller: a trainable student distilled from frozen teacher / coach models."""
from __future__ import annotations

from typing import Iterator, Mapping, Sequence

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor, nn

from mapkd.registry import MODELS
from mapkd.utils.checkpoint import load_strict

from .frozen_model import build_frozen_model
from .target_cache import FrozenTargetCache, RecordingTargets, weights_fingerprint


class FrozenModels:
    """A plain (non-``nn.Module``) holder of the frozen targets.

    Because it is not a module, the frozen models are not children of the distiller: they do not
    appear in ``parameters()``/``state_dict()``, the optimizer never sees them, ``init_weights``
    does not touch them and DDP neither broadcasts nor all-reduces them. The distiller moves them
    with itself by overriding ``_apply``.
    """

    def __init__(self, models: Mapping[str, nn.Module]) -> None:
        self._models = dict(models)

    def __getitem__(self, name: str) -> nn.Module:
        if name not in self._models:
            raise KeyError(f'no frozen model named {name!r}; have {sorted(self._models)}')
        return self._models[name]

    def __contains__(self, name: str) -> bool:
        return name in self._models

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def items(self):
        return self._models.items()

    def values(self):
        return self._models.values()


@MODELS.register_module()
class MapDistiller(BaseModel):
    """Distil a student map model from frozen targets (teacher, coach).

    Config::

        model = dict(type='MapDistiller',
                     student=dict(type='MapKDStudent', ...),
                     teachers=dict(teacher=dict(config='configs/mapkd/teacher_....py',
                                                checkpoint='work_dirs/.../epoch_10.pth'),
                                   coach=dict(model=dict(type='MapKDCoach', ...), checkpoint=...)),
                     distill_losses=[dict(type='TGPDLoss', teacher='teacher', weight=0.5), ...],
                     # optional: start named student parts from a frozen model's weights
                     student_init=dict(source='teacher', modules=['camera_bev', 'sd_fusion']),
                     # optional: run each frozen model once per training sample (no augmentation)
                     cache_targets=True)

    * ``loss`` mode: the student's task losses (``loss_seg`` ...) plus one entry per
      distillation loss (``loss_tgpd_teacher``, ``loss_msrd_coach``, ...). Frozen models run
      under ``torch.no_grad()`` in ``eval()`` mode.
    * ``tensor`` / ``predict`` modes delegate to the student, so the distiller checkpoint is
      directly evaluable with ``tools/test.py`` on the distillation config.
    * ``state_dict()`` holds the student (``student.*``) and the trained parts of the losses
      (``distill_losses.<i>.*``: TGPD projections, adapters) only.
    * ``cache_targets=True`` keeps, per training sample (``data_samples['token']``), the frozen
      outputs the losses read, and runs a frozen model only on batches holding a sample it has not
      seen (:mod:`mapkd.models.distillers.target_cache`). Only valid when a sample's frozen inputs
      are the same every epoch (no random augmentation: true of the map pipelines here); the
      quickstart uses it (from its 2nd epoch no frozen forward runs; training is bit-identical).
      ``target_cache_dir`` also saves the cache there after training (``FrozenTargetCacheHook``)
      and reuses a saved file of the same frozen weights in a later run (the quickstart's student
      stage reads the teacher targets of its coach stage).
    """

    def __init__(self, student: dict, teachers: Mapping[str, Mapping],
                 distill_losses: Sequence[dict], data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None, student_init: Mapping | None = None,
                 cache_targets: bool = False, target_cache_dir: str | None = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='MapDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student = MODELS.build(student)
        if getattr(self.student, 'task_loss', None) is None:
            raise ValueError(f'MapDistiller: the student {type(self.student).__name__} has no task loss '
                             '(it was built with loss=None)')
        if not isinstance(teachers, Mapping) or not teachers:
            raise ValueError(f'MapDistiller: teachers must be a non-empty dict name -> spec, got {teachers!r}')
        self.distill_losses = nn.ModuleList(MODELS.build(cfg) for cfg in distill_losses)
        used = []
        seen_keys = set()
        for loss in self.distill_losses:
            if not hasattr(loss, 'teacher') or not hasattr(loss, 'log_key'):
                raise TypeError(f'MapDistiller: {type(loss).__name__} is not a distillation loss '
                                '(derive from BaseDistillLoss)')
            if loss.teacher not in teachers:
                raise KeyError(f'MapDistiller: {type(loss).__name__} targets {loss.teacher!r} but teachers '
                               f'has only {sorted(teachers)}')
            if loss.log_key in seen_keys:
                raise ValueError(f'MapDistiller: two distillation losses log as {loss.log_key!r}; '
                                 'give one of them a different name=')
            seen_keys.add(loss.log_key)
            if loss.teacher not in used:
                used.append(loss.teacher)
        unused = sorted(set(teachers) - set(used))
        if unused:
            print_log(f'MapDistiller: frozen model(s) {unused} are used by no distillation loss and are '
                      'not built', logger='current', level=30)
        self.frozen = FrozenModels({name: build_frozen_model(name, teachers[name]) for name in used})
        self.student_init = self._check_student_init(student_init, teachers)
        if target_cache_dir is not None and not cache_targets:
            raise ValueError('MapDistiller: target_cache_dir needs cache_targets=True')
        self.target_cache = FrozenTargetCache(target_cache_dir) if cache_targets else None
        if target_cache_dir is not None:
            for name, model in self.frozen.items():
                self.target_cache.set_fingerprint(name, weights_fingerprint(model))

    def save_target_cache(self) -> list[str]:
        """Write the frozen targets to ``target_cache_dir`` (no-op without one); returns the files."""
        if self.target_cache is None or self.target_cache.disk_dir is None:
            return []
        return self.target_cache.save()

    # ------------------------------------------------------------------ student initialisation
    def _check_student_init(self, spec: Mapping | None, teachers: Mapping) -> dict | None:
        """Validate ``student_init`` now (at build time) so that a typo fails before training."""
        if spec is None:
            return None
        unknown = sorted(set(spec) - {'source', 'modules'})
        if unknown or 'source' not in spec or 'modules' not in spec:
            raise KeyError(f'MapDistiller: student_init needs exactly the keys "source" and "modules", '
                           f'got {sorted(spec)}')
        source, modules = spec['source'], list(spec['modules'])
        if source not in self.frozen:
            raise KeyError(f'MapDistiller: student_init.source {source!r} is not a frozen model in use '
                           f'(in use: {sorted(self.frozen)}; configured: {sorted(teachers)})')
        if not modules:
            raise ValueError('MapDistiller: student_init.modules is empty')
        for name in modules:
            for owner, model in (('student', self.student), (source, self.frozen[source])):
                try:
                    model.get_submodule(name)
                except AttributeError as exc:
                    raise KeyError(f'MapDistiller: student_init module {name!r} does not exist in the '
                                   f'{owner} ({type(model).__name__})') from exc
        return dict(source=source, modules=modules)

    def init_weights(self) -> None:
        """Initialise the student as configured, then copy ``student_init`` modules from their source.

        Each listed module is copied whole and strictly (same keys, same shapes), or the error
        names the module and the keys that differ. The runner calls this once before training;
        resuming loads the checkpoint afterwards, so a resumed run keeps its trained weights.
        """
        super().init_weights()
        if self.student_init is None:
            return
        source = self.student_init['source']
        for name in self.student_init['modules']:
            src = self.frozen[source].get_submodule(name).state_dict()
            load_strict(self.student.get_submodule(name), src, f'frozen model {source!r}', f'student.{name}')
        print_log(f'MapDistiller: student modules {self.student_init["modules"]} initialised from the frozen '
                  f'{source!r} model', logger='current')

    # ------------------------------------------------------------------ frozen models
    def _apply(self, fn, recurse: bool = True):
        """Apply ``.to()/.cuda()/.half()...`` to the frozen models as well."""
        super()._apply(fn, recurse)
        for model in self.frozen.values():
            model._apply(fn)
        return self

    def train(self, mode: bool = True):
        """Switch the student (and losses) to train/eval; the frozen models always stay in eval."""
        super().train(mode)
        for model in self.frozen.values():
            model.eval()
        return self

    @torch.no_grad()
    def extract_target(self, name: str, inputs: dict) -> dict[str, Tensor]:
        """Outputs of the frozen model ``name``, computed in eval mode without gradients."""
        model = self.frozen[name]
        if model.training:  # someone called .train() on it directly: refuse silently drifting BN
            model.eval()
        return model.extract(inputs)

    def extract_targets(self, inputs: dict) -> dict[str, dict[str, Tensor]]:
        """Outputs of every frozen model, computed in eval mode without gradients."""
        return {name: self.extract_target(name, inputs) for name in self.frozen}

    def _batch_tokens(self, data_samples: Mapping) -> list[str]:
        tokens = data_samples.get('token') if isinstance(data_samples, Mapping) else None
        if tokens is None:
            raise KeyError('MapDistiller(cache_targets=True) keys the cache by data_samples["token"]; '
                           f'the batch has {sorted(data_samples) if isinstance(data_samples, Mapping) else data_samples!r}')
        tokens = [str(token) for token in tokens]
        if len(set(tokens)) != len(tokens):
            raise ValueError(f'MapDistiller(cache_targets=True): a batch holds the same sample twice: {tokens}')
        return tokens

    # ------------------------------------------------------------------ forward
    def forward(self, inputs: dict, data_samples: dict | None = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode in ('tensor', 'predict'):
            return self.student(inputs, data_samples, mode=mode)
        raise ValueError(f'unknown mode {mode!r}; use "tensor", "loss" or "predict"')

    def loss(self, inputs: dict, data_samples: dict | None) -> dict[str, Tensor]:
        """Student task losses + every distillation term, each under its own key."""
        if data_samples is None:
            raise ValueError('MapDistiller: mode="loss" needs data_samples')
        cache = self.target_cache
        tokens = self._batch_tokens(data_samples) if cache is not None else None
        targets, computed = {}, []
        for name in self.frozen:
            cached = cache.lookup(name, tokens) if cache is not None else None
            if cached is None:
                cached = self.extract_target(name, inputs)
                computed.append(name)
            targets[name] = cached
        if cache is not None:
            targets = {name: RecordingTargets(out, name, cache.keys_of(name)) for name, out in targets.items()}
        student_out = self.student.extract(inputs)
        losses = dict(self.student.task_loss(student_out, data_samples))
        for loss in self.distill_losses:
            target_model = self.frozen[loss.teacher] if loss.NEEDS_TARGET_MODEL else None
            for key, value in loss(student_out, targets[loss.teacher], data_samples, target_model).items():
                if key in losses:
                    raise KeyError(f'MapDistiller: loss key {key!r} is produced twice')
                losses[key] = value
        for name in computed if cache is not None else ():
            cache.store(name, tokens, targets[name], targets[name].read)
        return losses
