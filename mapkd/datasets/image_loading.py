"""Camera images: decode (at reduced JPEG resolution when possible), resize, optionally ImageNet-normalise.

As the official code the image is resized straight to the network size (no crop, aspect ratio
changes) with PIL's bicubic filter, and ``post_rot = diag(w/W, h/H, 1)``, ``post_tran = 0``.
With ``reduced_decode`` the JPEG decoder's DCT scaling (``Image.draft``) first decodes at 1/2, 1/4
or 1/8 of the size, never below the target size; then the same bicubic resize follows.
By default the dataset keeps the resized image as uint8 RGB and ``MapDataPreprocessor`` normalises
it on the model's device (4x less data through the DataLoader, no float work in the workers).
"""
from __future__ import annotations

import os.path as osp
from typing import Sequence, Tuple

import numpy as np
from PIL import Image, UnidentifiedImageError

from .constants import IMAGENET_MEAN, IMAGENET_STD
from .errors import MissingDataFileError, UnreadableFileError

_MEAN = np.asarray(IMAGENET_MEAN, np.float32) * 255.0
_INV_STD = 1.0 / (np.asarray(IMAGENET_STD, np.float32) * 255.0)


def load_camera_image(path: str, image_size: Sequence[int], reduced_decode: bool = True,
                      normalize: bool = True) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (img (3, h, w), post_rot (3, 3), post_tran (3,)).

    ``img`` is float32 ImageNet-normalised with ``normalize`` (the official input), else uint8 RGB.

    ``image_size`` is the network input (h, w). Raises a clear error for a missing or undecodable file.
    """
    target_h, target_w = int(image_size[0]), int(image_size[1])
    if not osp.isfile(path):
        raise MissingDataFileError(f'camera image {path} not found')
    try:
        with Image.open(path) as img:
            orig_w, orig_h = img.size
            if reduced_decode and img.format == 'JPEG':
                img.draft('RGB', (target_w, target_h))
            rgb = img.convert('RGB').resize((target_w, target_h), Image.BICUBIC)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableFileError(f'cannot decode camera image {path}: {exc}') from exc
    post_rot = np.eye(3, dtype=np.float32)
    post_rot[0, 0] = target_w / orig_w
    post_rot[1, 1] = target_h / orig_h
    if normalize:
        arr = np.asarray(rgb, dtype=np.float32)
        arr -= _MEAN
        arr *= _INV_STD
    else:
        arr = np.asarray(rgb, dtype=np.uint8)
    return np.ascontiguousarray(arr.transpose(2, 0, 1)), post_rot, np.zeros(3, np.float32)


def blank_camera_image(image_size: Sequence[int], normalize: bool = True) -> np.ndarray:
    """A stand-in for an image that is not loaded: the ImageNet mean colour (all zeros once normalised)."""
    if normalize:
        return np.zeros((3, int(image_size[0]), int(image_size[1])), np.float32)
    mean = np.round(np.asarray(IMAGENET_MEAN) * 255.0).astype(np.uint8)
    return np.broadcast_to(mean[:, None, None], (3, int(image_size[0]), int(image_size[1]))).copy()
