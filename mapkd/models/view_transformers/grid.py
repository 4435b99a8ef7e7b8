"""BEV grid helpers shared by models, view transformers and encoders."""
from __future__ import annotations

from typing import Sequence

DEFAULT_GRID_CONF = dict(xbound=[-30.0, 30.0, 0.15], ybound=[-15.0, 15.0, 0.15],
                         zbound=[-10.0, 10.0, 20.0], dbound=[4.0, 45.0, 1.0])
DEFAULT_IMAGE_SIZE = (128, 352)


def num_cells(bound: Sequence[float]) -> int:
    """Number of cells of ``[lo, hi, step]`` (rounded, so 59.99999/0.15 gives 400, not 399)."""
    lo, hi, step = (float(v) for v in bound)
    if step <= 0 or hi <= lo:
        raise ValueError(f'invalid grid bound {list(bound)}: need lo < hi and step > 0')
    return int(round((hi - lo) / step))


def bev_size(grid_conf: dict) -> tuple[int, int]:
    """(H, W) of the BEV raster: rows follow ``ybound``, columns follow ``xbound``."""
    for key in ('xbound', 'ybound'):
        if key not in grid_conf:
            raise KeyError(f'grid_conf lacks {key!r}; got keys {sorted(grid_conf)}')
    return num_cells(grid_conf['ybound']), num_cells(grid_conf['xbound'])


def check_bev_divisible(grid_conf: dict, divisor: int = 2) -> tuple[int, int]:
    """Return the BEV size and raise if it is not divisible by ``divisor`` (IPM and decoder need even sizes)."""
    height, width = bev_size(grid_conf)
    if height % divisor or width % divisor:
        raise ValueError(f'BEV size {height}x{width} from grid_conf {grid_conf} must be divisible by {divisor}')
    return height, width
