"""Class colours (BGR for OpenCV) and names used by every picture."""
from __future__ import annotations

CLASS_NAMES = ('divider', 'ped_crossing', 'boundary')
# BGR: divider orange, pedestrian crossing blue, boundary green (as in the HDMapNet figures)
CLASS_COLORS_BGR = ((0, 140, 255), (255, 100, 30), (60, 200, 60))
BACKGROUND_BGR = (255, 255, 255)
TEXT_BGR = (20, 20, 20)
