"""Moves a collated MapKD batch onto the model's device and turns compact dataset dtypes into model inputs."""
from __future__ import annotations

from typing import Any, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from mapkd.datasets.constants import ANGLE_CLASSES, IMAGENET_MEAN, IMAGENET_STD
from mapkd.registry import MODELS


def expand_direction_index(direction_index: torch.Tensor, angle_class: int = ANGLE_CLASSES) -> torch.Tensor:
    """(B, 2, H, W) forward/backward heading classes -> float32 (B, angle_class + 1, H, W) soft target.

    0.5 at each of the two classes of a pixel (1.0 where they coincide), as the official
    ``preprocess_map`` (``mapkd.datasets.rasterize.direction_from_index`` is the per-sample numpy version).
    """
    if direction_index.dim() != 4 or direction_index.shape[1] != 2:
        raise ValueError(f'direction_index must be (B, 2, H, W), got {tuple(direction_index.shape)}')
    index = direction_index.long()
    if index.numel() and (int(index.min()) < 0 or int(index.max()) > angle_class):
        raise ValueError(f'direction_index holds classes {int(index.min())}..{int(index.max())}, '
                         f'outside 0..{angle_class} (angle_class={angle_class})')
    batch, _, height, width = index.shape
    dense = torch.zeros(batch, angle_class + 1, height, width, dtype=torch.float32, device=index.device)
    return dense.scatter_add_(1, index, torch.full(index.shape, 0.5, dtype=torch.float32, device=index.device))


@MODELS.register_module()
class MapDataPreprocessor(BaseDataPreprocessor):
    """Device transfer and input preparation for ``mapkd_collate`` batches.

    ``data = {'inputs': {name: Tensor}, 'data_samples': {name: Tensor | list}}``. Every tensor
    of ``inputs`` and every *top-level* tensor of ``data_samples`` is moved to the model's device;
    lists (tokens, ``gt_vectors``, paths) stay on the CPU. On the device:

    * ``inputs['imgs']`` given as uint8 RGB (the dataset default) is ImageNet-normalised to float32
      with ``mean`` / ``std`` (0-255 scale); float images are taken as already normalised;
    * ``data_samples['semantic']`` becomes float32;
    * ``data_samples['direction_index']`` (B, 2, H, W) is expanded to the dense float32
      ``data_samples['direction']`` (B, angle_class + 1, H, W) the direction loss uses.

    ``zero_inputs`` (ablation, default none): names of ``inputs`` replaced by zeros after the
    steps above, e.g. ``('lidar_mask',)`` = no LiDAR points, ``('imgs',)`` = mean-grey images,
    ``('sd_map',)`` = an empty SD map. ``tools/test.py --zero-inputs`` sets it; it measures which
    inputs a trained model really uses. A name the batch does not carry raises ``ValueError``.
    """

    def __init__(self, mean: Sequence[float] = tuple(255.0 * m for m in IMAGENET_MEAN),
                 std: Sequence[float] = tuple(255.0 * s for s in IMAGENET_STD),
                 angle_class: int = ANGLE_CLASSES, non_blocking: bool = False,
                 zero_inputs: Sequence[str] = ()) -> None:
        super().__init__(non_blocking=non_blocking)
        if isinstance(zero_inputs, str):
            raise ValueError(f'MapDataPreprocessor: zero_inputs must be a list of input names, got "{zero_inputs}"')
        self.zero_inputs = tuple(zero_inputs)
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError(f'MapDataPreprocessor: mean and std need 3 values with std > 0, got {mean}, {std}')
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(3, 1, 1), persistent=False)
        self.angle_class = int(angle_class)

    def forward(self, data: dict, training: bool = False) -> dict:
        if not isinstance(data, dict) or 'inputs' not in data:
            raise ValueError('MapDataPreprocessor expects a dict with keys "inputs" and '
                             f'"data_samples", got {type(data).__name__} '
                             f'with keys {list(data) if isinstance(data, dict) else None}')
        inputs = data['inputs']
        if not isinstance(inputs, dict):
            raise ValueError(f'MapDataPreprocessor: "inputs" must be a dict of tensors, '
                             f'got {type(inputs).__name__}')
        moved_inputs = {name: self._to_device(value) for name, value in inputs.items()}
        if isinstance(moved_inputs.get('imgs'), torch.Tensor) and moved_inputs['imgs'].dtype == torch.uint8:
            moved_inputs['imgs'] = self.normalize_images(moved_inputs['imgs'])
        for name in self.zero_inputs:
            if name not in moved_inputs:
                raise ValueError(f'MapDataPreprocessor: zero_inputs names "{name}", but the batch inputs are '
                               f'{sorted(moved_inputs)}')
            moved_inputs[name] = torch.zeros_like(moved_inputs[name])
        samples = data.get('data_samples')
        if isinstance(samples, dict):
            samples = {name: self._to_device(value) if isinstance(value, torch.Tensor) else value
                       for name, value in samples.items()}
            if isinstance(samples.get('semantic'), torch.Tensor) and not samples['semantic'].is_floating_point():
                samples['semantic'] = samples['semantic'].float()
            if isinstance(samples.get('direction_index'), torch.Tensor):
                samples['direction'] = expand_direction_index(samples.pop('direction_index'), self.angle_class)
        return {'inputs': moved_inputs, 'data_samples': samples}

    def normalize_images(self, imgs: torch.Tensor) -> torch.Tensor:
        """uint8 RGB (..., 3, h, w) -> float32 (imgs - mean) / std."""
        if imgs.dim() < 3 or imgs.shape[-3] != 3:
            raise ValueError(f'MapDataPreprocessor: imgs must be (..., 3, h, w), got {tuple(imgs.shape)}')
        return (imgs.float() - self.mean) / self.std

    def _to_device(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return value.to(self.device, non_blocking=self._non_blocking)
        return value
