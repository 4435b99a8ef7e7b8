"""BEV grid geometry shared by the rasteriser, the vectoriser and the metrics."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class BevGrid:
    """A BEV raster: rows = y (row 0 at ``ymin``), columns = x (column 0 at ``xmin``).

    ``H``/``W`` follow the official ``int(range / resolution)`` (with a 1e-6 guard against
    floating-point results such as 399.99999).
    """

    xmin: float
    xmax: float
    res_x: float
    ymin: float
    ymax: float
    res_y: float

    @classmethod
    def from_bounds(cls, xbound: Sequence[float], ybound: Sequence[float]) -> 'BevGrid':
        """Build from ``[min, max, resolution]`` bounds, validating them."""
        for name, bound in (('xbound', xbound), ('ybound', ybound)):
            if bound is None or len(bound) < 3:
                raise ValueError(f'{name} must be [min, max, resolution], got {bound!r}')
            lo, hi, res = (float(v) for v in bound[:3])
            if not np.isfinite([lo, hi, res]).all() or hi <= lo or res <= 0:
                raise ValueError(f'{name} must satisfy min < max and resolution > 0, got {list(bound)}')
        return cls(float(xbound[0]), float(xbound[1]), float(xbound[2]),
                   float(ybound[0]), float(ybound[1]), float(ybound[2]))

    @classmethod
    def from_conf(cls, grid_conf: Mapping) -> 'BevGrid':
        """Build from a config ``grid_conf`` dict with ``xbound`` and ``ybound``."""
        if grid_conf is None or 'xbound' not in grid_conf or 'ybound' not in grid_conf:
            raise ValueError(f'grid_conf needs "xbound" and "ybound", got {grid_conf!r}')
        return cls.from_bounds(grid_conf['xbound'], grid_conf['ybound'])

    @property
    def H(self) -> int:  # noqa: N802 (conventional raster name)
        return int((self.ymax - self.ymin) / self.res_y + 1e-6)

    @property
    def W(self) -> int:  # noqa: N802
        return int((self.xmax - self.xmin) / self.res_x + 1e-6)

    @property
    def shape(self) -> tuple[int, int]:
        return self.H, self.W

    def pixels_to_ego(self, cols_rows: np.ndarray) -> np.ndarray:
        """Pixel (col, row) -> ego metres (x, y) of the pixel centre (official export)."""
        pts = np.asarray(cols_rows, dtype=np.float64).reshape(-1, 2)
        return np.stack([pts[:, 0] * self.res_x + self.xmin + self.res_x / 2.0,
                         pts[:, 1] * self.res_y + self.ymin + self.res_y / 2.0], axis=1)

    def ego_to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """Ego metres (x, y) -> continuous pixel coordinates (col, row), not truncated."""
        pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return np.stack([(pts[:, 0] - self.xmin) / self.res_x,
                         (pts[:, 1] - self.ymin) / self.res_y], axis=1)
