"""The vector-mAP evaluation protocols, side by side (see docs/evaluation.md).

- ``pmapnet`` (default): what ``jike5/P-MapNet:tools/evaluate_json.py`` computes, the script the
  MapKD docs use. One-directional Chamfer (prediction -> GT), IoU gate 0.1, thresholds
  0.5/1.0/1.5 m, confidences sorted *ascending*, recall sampled at float32 ``linspace(0.1,1,10)``.
- ``hdmapnet``: ``Tsinghua-MARS-Lab/HDMapNet:evaluate_json.py``. Symmetric Chamfer, no IoU gate,
  thresholds 2/4/6 m, ascending confidences.
- ``corrected``: ``pmapnet`` with the two ranking quirks fixed: confidences sorted *descending*
  (standard AP) and recall levels compared exactly (k/10 reaches the level k/10).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class APProtocol:
    """All knobs of one vector-mAP protocol."""

    name: str
    thresholds: tuple[float, ...]
    bidirectional: bool
    iou_gate: float
    confidence_order: str  # 'ascending' (official quirk) or 'descending'
    recall_sampling: str  # 'float32_linspace' (official) or 'exact'
    thickness: int = 5
    num_recall_points: int = 10
    unit: str = 'm'

    def sampled_recalls(self) -> np.ndarray:
        """Recall levels at which precision is read (float64 for comparisons)."""
        if self.recall_sampling == 'float32_linspace':
            # the exact float32 values torch.linspace gives the official code; e.g. level 0.7
            # is 0.70000005 and a recall of 7/10 (0.69999999 in float32) does not reach it.
            return torch.linspace(0.1, 1, self.num_recall_points).numpy().astype(np.float64)
        if self.recall_sampling == 'exact':
            return np.arange(1, self.num_recall_points + 1, dtype=np.float64) / self.num_recall_points
        raise ValueError(f'unknown recall_sampling {self.recall_sampling!r}')

    def to_dict(self) -> dict:
        out = asdict(self)
        out['thresholds'] = list(self.thresholds)
        out['chamfer'] = 'symmetric' if self.bidirectional else 'one-directional (prediction->GT)'
        out['sampled_recalls'] = [round(float(r), 8) for r in self.sampled_recalls()]
        return out


PROTOCOLS: dict[str, APProtocol] = {
    'pmapnet': APProtocol('pmapnet', (0.5, 1.0, 1.5), bidirectional=False, iou_gate=0.1,
                          confidence_order='ascending', recall_sampling='float32_linspace'),
    'hdmapnet': APProtocol('hdmapnet', (2.0, 4.0, 6.0), bidirectional=True, iou_gate=0.0,
                           confidence_order='ascending', recall_sampling='float32_linspace'),
    'corrected': APProtocol('corrected', (0.5, 1.0, 1.5), bidirectional=False, iou_gate=0.1,
                            confidence_order='descending', recall_sampling='exact'),
}


def get_protocol(name: str | APProtocol) -> APProtocol:
    """Look up a protocol by name (or pass an :class:`APProtocol` through)."""
    if isinstance(name, APProtocol):
        return name
    if name not in PROTOCOLS:
        raise ValueError(f'unknown mAP protocol {name!r}; choose from {sorted(PROTOCOLS)}')
    return PROTOCOLS[name]
