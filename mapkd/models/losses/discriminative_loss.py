"""Instance-embedding loss (De Brabandere et al. 2017) as used by HDMapNet / P-MapNet / MapKD."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mapkd.registry import MODELS


@MODELS.register_module()
class DiscriminativeLoss(nn.Module):
    """Pull embeddings to their instance mean, push instance means apart.

    Per sample, over the ``L`` non-zero instance ids (id 0 = no instance):

    - ``var  = sum_i mean_{p in i} relu(||e_p - mu_i|| - delta_v)^2 / L``
    - ``dist = sum_{i != j} relu(delta_d - ||mu_i - mu_j||)^2 / (L (L - 1)) / 2`` (only if L > 1)

    Both are summed over the batch and divided by the batch size (samples without instances
    count in the batch size and contribute zero). The regulariser of the paper is not used by
    the official code, so it is not computed. Per-instance statistics use index/scatter ops, no
    Python loop over instances or pixels; computation is float32 with autocast disabled.

    ``forward`` returns ``(var_loss, dist_loss)``.
    """

    def __init__(self, embed_dim: int = 16, delta_v: float = 0.5, delta_d: float = 3.0) -> None:
        super().__init__()
        self.embed_dim = int(embed_dim)
        self.delta_v = float(delta_v)
        self.delta_d = float(delta_d)

    def forward(self, embedding: Tensor, instance_gt: Tensor) -> tuple[Tensor, Tensor]:
        if embedding.dim() != 4 or embedding.shape[1] != self.embed_dim:
            raise ValueError(f'DiscriminativeLoss: embedding must be (B, {self.embed_dim}, H, W), '
                             f'got {tuple(embedding.shape)}')
        batch, _, height, width = embedding.shape
        if tuple(instance_gt.shape) != (batch, height, width):
            raise ValueError(f'DiscriminativeLoss: instance GT must be {(batch, height, width)} to match the '
                             f'embedding, got {tuple(instance_gt.shape)}')
        if instance_gt.is_floating_point():
            raise ValueError(f'DiscriminativeLoss: instance GT must hold integer ids, got {instance_gt.dtype}')

        with torch.autocast(device_type=embedding.device.type, enabled=False):
            emb = embedding.float()
            ids = instance_gt.to(device=emb.device)
            var_loss = emb.new_zeros(())
            dist_loss = emb.new_zeros(())
            for b in range(batch):
                var_b, dist_b = self._single_sample(emb[b], ids[b])
                if var_b is None:
                    # No instance: add 0 * sum(embedding) so the result stays in the autograd graph.
                    var_b = dist_b = emb.sum() * 0.0
                var_loss = var_loss + var_b
                dist_loss = dist_loss + dist_b
            return var_loss / batch, dist_loss / batch

    def _single_sample(self, emb: Tensor, ids: Tensor) -> tuple[Tensor | None, Tensor | None]:
        """var and dist of one sample; ``(None, None)`` if it has no instance."""
        flat_ids = ids.reshape(-1)
        foreground = flat_ids != 0
        if not bool(foreground.any()):
            return None, None
        pixels = emb.reshape(self.embed_dim, -1).t()[foreground]           # (N, D)
        _, inverse = torch.unique(flat_ids[foreground], return_inverse=True)  # (N,) in [0, L)
        num_instances = int(inverse.max()) + 1
        counts = torch.bincount(inverse, minlength=num_instances).to(pixels.dtype)  # (L,)
        sums = pixels.new_zeros(num_instances, self.embed_dim).index_add(0, inverse, pixels)
        means = sums / counts.unsqueeze(1)                                   # (L, D)

        pull = F.relu(torch.linalg.vector_norm(pixels - means[inverse], dim=1) - self.delta_v) ** 2
        pull_per_instance = pixels.new_zeros(num_instances).index_add(0, inverse, pull) / counts
        var = pull_per_instance.sum() / num_instances

        if num_instances > 1:
            pair_dist = torch.linalg.vector_norm(means.unsqueeze(1) - means.unsqueeze(0), dim=2)
            # The diagonal is pushed to delta_d so that it adds nothing.
            pair_dist = pair_dist + torch.eye(num_instances, dtype=pair_dist.dtype,
                                              device=pair_dist.device) * self.delta_d
            push = F.relu(self.delta_d - pair_dist) ** 2
            dist = push.sum() / (num_instances * (num_instances - 1)) / 2
        else:
            dist = var.new_zeros(())
        return var, dist

    def extra_repr(self) -> str:
        return f'embed_dim={self.embed_dim}, delta_v={self.delta_v}, delta_d={self.delta_d}'
