"""Pictures and videos of map predictions.

Public functions:

- ``visualize_sample(sample_inputs, data_sample, prediction, out_path, grid_conf) -> str``: one PNG
  with the 6 cameras (GT map elements projected with the calibration), the GT BEV map, the
  predicted BEV map (argmax) and the vectorised prediction, colour-coded per class with a legend.
- ``save_predictions(outputs: list[dict], dataset, out_dir: str, grid_conf, max_samples=None)
  -> list[str]``: ``visualize_sample`` for each prediction dict of the MODEL CONTRACT (looked up in
  ``dataset`` by ``token``), written as ``<out_dir>/<token>.png``; used by
  ``tools/test.py --show-dir`` (``ShowPredictionsHook``). ``grid_conf=None`` uses ``dataset.grid``.
- ``write_scene_videos(records, out_dir, fps=2.0) -> list[str]``: one mp4 (``mp4v``) per scene
  from (scene_token, timestamp, png_path) records.
- ``figure_size(grid) -> (H, W)``: the size of the pictures for a BEV grid.
"""
from .prediction_saver import save_predictions
from .sample_figure import figure_size, render_sample, visualize_sample
from .video import write_scene_videos

__all__ = ['figure_size', 'render_sample', 'save_predictions', 'visualize_sample', 'write_scene_videos']
