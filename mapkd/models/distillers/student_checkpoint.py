"""Export the student of a ``MapDistiller`` checkpoint as a stand-alone model checkpoint."""
from __future__ import annotations

from mapkd.utils.checkpoint import atomic_torch_save, load_state_dict_file

STUDENT_PREFIX = 'student.'


def student_state_dict(distiller_state: dict, source: str = '<state dict>') -> dict:
    """The ``student.*`` entries of a distiller state dict, with the prefix stripped."""
    student = {k[len(STUDENT_PREFIX):]: v for k, v in distiller_state.items() if k.startswith(STUDENT_PREFIX)}
    if not student:
        raise KeyError(f'{source} has no "{STUDENT_PREFIX}*" keys: it is not a MapDistiller checkpoint '
                       f'(first keys: {sorted(distiller_state)[:5]})')
    return student


def export_student_checkpoint(distiller_ckpt: str, out_path: str) -> int:
    """Write ``{'state_dict': student weights}`` (loadable with the student's own config).

    Returns the number of tensors written. The write is atomic.
    """
    state = student_state_dict(load_state_dict_file(distiller_ckpt), distiller_ckpt)
    atomic_torch_save({'state_dict': state, 'meta': {'exported_from': distiller_ckpt}}, out_path)
    return len(state)
