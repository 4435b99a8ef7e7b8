"""Instance clustering of one class mask (HDMapNet ``LaneNetPostProcessor``, re-implemented).

Steps: morphological close with a 5x5 ellipse, 8-connected components with area > 100 px kept,
DBSCAN (eps 1.5, min_samples 50) on the StandardScaler-normalised embeddings of the kept pixels
(official), or on the raw embeddings (``standardize=False``, not official: docs/evaluation.md).

:func:`dbscan_labels` gives the labels of scikit-learn's ``DBSCAN`` (euclidean) without building
its per-point neighbour lists: several times faster on the vectoriser's masks. Pairs whose squared
distance lies so close to ``eps**2`` that rounding could decide the comparison differently than
scikit-learn's own arithmetic are handed to scikit-learn, so the labels are always identical.
"""
from __future__ import annotations

from numbers import Integral, Real

import cv2
import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler

MORPHOLOGY_MODES = ('close', 'open', 'none')


def clean_mask(binary: np.ndarray, morphology: str = 'close', kernel_size: int = 5,
               min_area: int = 100) -> np.ndarray:
    """Morphology + removal of connected components with area <= ``min_area``; returns bool."""
    if morphology not in MORPHOLOGY_MODES:
        raise ValueError(f'morphology must be one of {MORPHOLOGY_MODES}, got {morphology!r}')
    image = (np.asarray(binary) != 0).astype(np.uint8) * 255
    if morphology != 'none':
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel_size, kernel_size))
        op = cv2.MORPH_CLOSE if morphology == 'close' else cv2.MORPH_OPEN
        image = cv2.morphologyEx(image, op, kernel, iterations=1)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(image, connectivity=8, ltype=cv2.CV_32S)
    keep = stats[labels, cv2.CC_STAT_AREA] > min_area
    return (image == 255) & keep


# The neighbour test is done in two steps. A float32 GEMM gives every squared distance to within
# ~50 * 2**-24 * (|x|^2 + |y|^2); pairs outside a band of half-width _COARSE * (2 max|x|^2 + eps^2)
# around eps^2 (a margin of > 30x) are decided by it. The few pairs inside are recomputed in float64,
# to within ~20 * 2**-53 * |x - y|^2, while scikit-learn's own float64 brute force,
# (|x|^2 - 2 x.y) + |y|^2, errs by at most ~40 * 2**-53 * (|x|^2 + |y|^2): a pair within
# _BAND * (2 max|x|^2 + eps^2) of eps^2 (a margin of > 100x) is left to scikit-learn.
# (The bounds are for D = 16 features; both margins hold up to several hundred.)
_COARSE = 1e-4
_BAND = 1e-12
# Row chunks of the distance matrix hold at most this many entries (1 MB of float32).
_CHUNK_ENTRIES = 1 << 18
_BIT_COUNT = np.array([bin(byte).count('1') for byte in range(256)], dtype=np.uint8)


def _sklearn_dbscan(features: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    return DBSCAN(eps=eps, min_samples=min_samples).fit(features).labels_


def dbscan_labels(features: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    """``sklearn.cluster.DBSCAN(eps=eps, min_samples=min_samples).fit(features).labels_``, faster.

    Same definition as scikit-learn: the neighbourhood of a point holds every point (itself
    included) at euclidean distance <= ``eps``; a point is core when its neighbourhood has
    >= ``min_samples`` points. Clusters are grown one after another, each from the lowest-index
    core point not yet labelled, by breadth-first search over the neighbourhoods of core points;
    a non-core point reached takes the current label (so a point next to two clusters gets the
    lower label, as in scikit-learn's depth-first ``dbscan_inner``) and is not expanded. Points
    never reached are noise (-1).

    The neighbour relation is kept as a bit-packed (N, N) matrix (N^2 / 8 bytes) and computed in
    row chunks. A pair whose squared distance is within rounding of ``eps**2`` could compare
    differently here than in scikit-learn; then (and for non-finite or huge features or invalid
    parameters, which scikit-learn rejects) scikit-learn computes the labels itself.
    """
    x = np.asarray(features, dtype=np.float64)
    valid = (isinstance(min_samples, Integral) and not isinstance(min_samples, bool) and min_samples >= 1
             and isinstance(eps, Real) and eps > 0 and x.ndim == 2 and len(x) > 0 and np.isfinite(x).all())
    if not valid:
        return _sklearn_dbscan(features, eps, min_samples)  # (which raises the error)
    eps = float(eps)
    n = len(x)
    sq = np.einsum('ij,ij->i', x, x)
    scale = 2.0 * float(sq.max(initial=0.0)) + eps * eps
    if scale > 1e30:  # float32 would overflow
        return _sklearn_dbscan(features, eps, min_samples)
    eps2 = eps * eps
    coarse_lo, coarse_hi = np.float32(eps2 - _COARSE * scale), np.float32(eps2 + _COARSE * scale)
    fine = _BAND * scale
    # one GEMM gives the squared distances: [-2x, |x|^2, 1] . [y, 1, |y|^2] = |x|^2 - 2 x.y + |y|^2
    ones = np.ones((n, 1))
    left = np.hstack([-2.0 * x, sq[:, None], ones]).astype(np.float32)
    right_t = np.ascontiguousarray(np.hstack([x, ones, sq[:, None]]).T, dtype=np.float32)
    neighbours = np.empty((n, (n + 7) // 8), dtype=np.uint8)  # bit-packed neighbour matrix
    step = max(1, _CHUNK_ENTRIES // max(n, 1))
    for start in range(0, n, step):
        d2 = left[start:start + step] @ right_t
        within = d2 <= coarse_lo
        unsure = (d2 <= coarse_hi) != within
        if unsure.any():
            rows, cols = np.divmod(np.flatnonzero(unsure), n)  # (much faster than 2-d nonzero)
            exact = np.square(x[start + rows] - x[cols]).sum(axis=1)
            if np.any(np.abs(exact - eps2) <= fine):
                return _sklearn_dbscan(features, eps, min_samples)  # a pair (numerically) at eps
            within[rows, cols] = exact <= eps2
        neighbours[start:start + step] = np.packbits(within, axis=1)
    counts = _BIT_COUNT[neighbours].sum(axis=1)

    core = counts >= min_samples
    labels = np.full(n, -1, dtype=np.intp)
    label = 0
    for seed in np.flatnonzero(core):
        if labels[seed] != -1:
            continue
        labels[seed] = label
        frontier = np.array([seed])
        while len(frontier):
            reached = np.unpackbits(np.bitwise_or.reduce(neighbours[frontier], axis=0), count=n)
            new = np.flatnonzero(reached.view(bool) & (labels == -1))
            labels[new] = label
            frontier = new[core[new]]
        label += 1
    return labels


def cluster_instances(mask: np.ndarray, embedding: np.ndarray, eps: float = 1.5,
                      min_samples: int = 50, standardize: bool = True) -> np.ndarray | None:
    """DBSCAN the embeddings (H, W, D) of the pixels of bool ``mask``.

    ``standardize=True`` (official HDMapNet) rescales every embedding dimension to unit variance
    over the mask's pixels first. That makes ``eps`` relative to the spread of *this* mask: when the
    mask holds a single instance, its small within-instance spread is blown up to unit variance and
    DBSCAN splits the line or drops pixels as noise at random. ``standardize=False`` clusters the
    raw embeddings, whose scale the discriminative loss sets (pull radius 0.5, push distance 3.0),
    so ``eps`` 1.5 separates instances by what the loss trained.

    Returns an (H, W) int32 instance map (0 = none, ids 1..K = DBSCAN label + 1, noise dropped),
    or ``None`` when the mask is empty (the official code skips the class then).
    """
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return None
    features = embedding[rows, cols]
    if standardize:
        features = StandardScaler().fit_transform(features)
    labels = dbscan_labels(features, eps, min_samples)
    instance = np.zeros(mask.shape, dtype=np.int32)
    keep = labels >= 0
    instance[rows[keep], cols[keep]] = labels[keep] + 1
    return instance
