"""mmengine Runner with strict checkpoint loading."""
from __future__ import annotations

from mmengine.runner import Runner

from mapkd.registry import RUNNERS


@RUNNERS.register_module()
class MapRunner(Runner):
    """The mmengine Runner, except that every checkpoint load is strict.

    mmengine loads ``load_from``/``--resume`` checkpoints with ``strict=False``, which can
    silently leave part of a model at random initialisation. Here a missing or unexpected
    key is an error that names the keys.
    """

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = True,
                        revise_keys=((r'^module.', ''),)):
        if not strict:
            raise ValueError('MapRunner only loads checkpoints strictly (strict=True)')
        return super().load_checkpoint(filename, map_location=map_location, strict=True,
                                       revise_keys=list(revise_keys))
