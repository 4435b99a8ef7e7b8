"""Constants shared by the nuScenes map pipeline (same values as the official code)."""
from __future__ import annotations

# Camera order everywhere (official ``CAMS``).
CAMS = ('CAM_FRONT_LEFT', 'CAM_FRONT', 'CAM_FRONT_RIGHT',
        'CAM_BACK_LEFT', 'CAM_BACK', 'CAM_BACK_RIGHT')

# Vector / raster classes: type 0 divider, 1 ped_crossing, 2 boundary; raster channel = type + 1.
CLASS_NAMES = ('divider', 'ped_crossing', 'boundary')
NUM_CLASSES = len(CLASS_NAMES)
DIVIDER_LAYERS = ('road_divider', 'lane_divider')
PED_CROSSING_LAYER = 'ped_crossing'
BOUNDARY_LAYERS = ('road_segment', 'lane')

ANGLE_CLASSES = 36
LINE_THICKNESS = 5
SD_THICKNESS = 5
SD_POINTS_PER_LINE = 50
BOUNDARY_INSET_M = 0.2
SAMPLE_DIST_M = 1.0

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

VERSIONS = ('v1.0-trainval', 'v1.0-mini', 'v1.0-test')
MIN_MAP_EXPANSION_VERSION = (1, 3)
LOCATIONS = ('boston-seaport', 'singapore-onenorth', 'singapore-hollandvillage', 'singapore-queenstown')

# Map origin (lat, lon) of every nuScenes location = nuscenes-devkit REFERENCE_COORDINATES.
MAP_ORIGINS = {
    'boston-seaport': (42.336849169438615, -71.05785369873047),
    'singapore-onenorth': (1.2882100868743724, 103.78475189208984),
    'singapore-hollandvillage': (1.2993652317780957, 103.78217697143555),
    'singapore-queenstown': (1.2782562240223188, 103.76741409301758),
}

# OSM ``highway`` types kept for the SD map. The official list misses a comma, so
# 'tertiary_link' and 'living_street' fuse into one string and are dropped; ``OFFICIAL_SD_ROAD_TYPES``
# reproduces that, ``FIXED_SD_ROAD_TYPES`` is what the list was meant to be (our default).
FIXED_SD_ROAD_TYPES = ('trunk', 'primary', 'secondary', 'tertiary', 'unclassified', 'residential',
                       'trunk_link', 'primary_link', 'secondary_link', 'tertiary_link',
                       'living_street', 'road')
OFFICIAL_SD_ROAD_TYPES = ('trunk', 'primary', 'secondary', 'tertiary', 'unclassified', 'residential',
                          'trunk_link', 'primary_link', 'secondary_link', 'road')

# Split names per version (official: train/val on trainval, mini_train/mini_val on mini).
SPLIT_ALIASES = {
    'v1.0-mini': {'train': 'mini_train', 'val': 'mini_val'},
    'v1.0-trainval': {},
    'v1.0-test': {},
}
