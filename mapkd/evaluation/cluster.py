"""Instance clustering of one class mask (HDMapNet ``LaneNetPostProcessor``, re-implemented).

Steps: morphological close with a 5x5 ellipse, 8-connected components with area > 100 px kept,
DBSCAN (eps 1.5, min_samples 50) on the StandardScaler-normalised embeddings of the kept pixels
(official), or on the raw embeddings (``standardize=False``, not official: docs/evaluation.md).
"""
from __future__ import annotations

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
    labels = DBSCAN(eps=eps, min_samples=min_samples).fit(features).labels_
    instance = np.zeros(mask.shape, dtype=np.int32)
    keep = labels >= 0
    instance[rows[keep], cols[keep]] = labels[keep] + 1
    return instance
