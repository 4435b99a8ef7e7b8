"""Every MapKD registry name is found in one step: the file is the name in snake_case."""
from __future__ import annotations

import inspect
import os.path as osp

import pytest

from mapkd import registry
from mapkd.utils import register_all_modules

REGISTRIES = ['MODELS', 'DATASETS', 'TRANSFORMS', 'FUNCTIONS', 'METRICS', 'HOOKS', 'OPTIM_WRAPPERS', 'RUNNERS']


def _registered():
    register_all_modules(init_default_scope=False)
    for reg_name in REGISTRIES:
        for name, obj in getattr(registry, reg_name).module_dict.items():
            yield reg_name, name, obj


def test_every_registered_name_lives_in_its_own_file():
    entries = list(_registered())
    assert len(entries) > 30
    wrong = []
    for reg_name, name, obj in entries:
        path = inspect.getsourcefile(obj)
        if '/mapkd/' not in path:
            continue  # registered by a test (toy models), not part of the package
        stem = osp.splitext(osp.basename(path))[0]
        if stem.replace('_', '').lower() != name.replace('_', '').lower():
            wrong.append(f'{reg_name}:{name} is in {path}')
    assert not wrong, '\n'.join(wrong)


@pytest.mark.parametrize('name', ['MapKDTeacher', 'MapKDCoach', 'MapKDStudent', 'HDMapNet', 'MapDistiller',
                                  'TGPDLoss', 'MSRDLoss', 'NuScenesMapDataset', 'MapMetric', 'MapTaskLoss'])
def test_design_doc_lists_core_names(name):
    doc = open(osp.join(osp.dirname(__file__), '..', '..', 'docs', 'design.md')).read()
    assert f'`{name}`' in doc
