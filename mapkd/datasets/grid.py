"""BEV grid geometry derived from a ``grid_conf`` dict (xbound/ybound in metres)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class BevGrid:
    """Patch size in metres and canvas size in pixels of a BEV grid.

    ``patch_size`` = (y range, x range) = (patch_h, patch_w) as in the official code;
    ``canvas_size`` = (H, W) rows x columns.
    """

    xbound: tuple
    ybound: tuple

    @classmethod
    def from_conf(cls, grid_conf: Mapping) -> 'BevGrid':
        for key in ('xbound', 'ybound'):
            if key not in grid_conf or len(grid_conf[key]) != 3:
                raise ValueError(f'grid_conf[{key!r}] must be [min, max, resolution], got {grid_conf.get(key)!r}')
        grid = cls(tuple(float(v) for v in grid_conf['xbound']), tuple(float(v) for v in grid_conf['ybound']))
        if grid.xbound[2] <= 0 or grid.ybound[2] <= 0:
            raise ValueError(f'grid resolutions must be positive: {grid_conf!r}')
        if abs(grid.xbound[0] + grid.xbound[1]) > 1e-9 or abs(grid.ybound[0] + grid.ybound[1]) > 1e-9:
            raise ValueError(f'grid must be centred on the ego car (xbound/ybound symmetric): {grid_conf!r}')
        return grid

    @property
    def patch_size(self) -> tuple:
        return (self.ybound[1] - self.ybound[0], self.xbound[1] - self.xbound[0])

    @property
    def canvas_size(self) -> tuple:
        patch_h, patch_w = self.patch_size
        return (int(patch_h / self.ybound[2]), int(patch_w / self.xbound[2]))

    @property
    def name(self) -> str:
        """Short name of the range, e.g. '60x30'."""
        patch_h, patch_w = self.patch_size
        return f'{patch_w:g}x{patch_h:g}'
