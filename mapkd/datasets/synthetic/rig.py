"""The sensor rig of the synthetic car: the nuScenes 6 cameras and LIDAR_TOP.

Extrinsics and intrinsics are those of a nuScenes vehicle (values as published in the
nuScenes v1.0-mini ``calibrated_sensor`` table for the Boston car), so that models trained on the
synthetic city see the same geometry as on nuScenes. Intrinsics refer to the original
1600 x 900 image and are scaled to the rendered size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

import numpy as np
from pyquaternion import Quaternion

ORIGINAL_SIZE = (900, 1600)   # (H, W) of nuScenes camera images

# channel: (translation [m], rotation (w, x, y, z) camera -> ego, (fx, fy, cx, cy) at 1600 x 900)
CAMERA_CALIBRATION = {
    'CAM_FRONT': ([1.70079118954, 0.0159456324149, 1.51095763913],
                  [0.4998015430569128, -0.5030316162024876, 0.4997798114386805, -0.49737083824542755],
                  (1266.417203046554, 1266.417203046554, 816.2670197447984, 491.50706579294757)),
    'CAM_FRONT_RIGHT': ([1.5508477543, -0.493404796419, 1.49574800619],
                        [0.2060347966337182, -0.2026940577919598, 0.6824507824531167, -0.6713610884174485],
                        (1260.8474446004698, 1260.8474446004698, 807.968244525554, 495.3344268742088)),
    'CAM_FRONT_LEFT': ([1.52387798135, 0.494631336551, 1.50932822144],
                       [0.6757265034669446, -0.6736266522251881, 0.21214015046209478, -0.21122827103904068],
                       (1272.5979470598488, 1272.5979470598488, 826.6154927353808, 479.75165386361925)),
    'CAM_BACK': ([0.0283260309358, 0.00345136761476, 1.57910346144],
                 [0.5037872666382278, -0.49740249788611096, -0.4941850223835201, 0.5045496097725592],
                 (809.2209905677063, 809.2209905677063, 829.2196003259838, 481.77842384512485)),
    'CAM_BACK_LEFT': ([1.03569100218, 0.484795032713, 1.59097014818],
                      [0.6924185592174665, -0.7031619420114925, -0.11648342771943819, 0.11203317912370753],
                      (1256.7414812095406, 1256.7414812095406, 792.1125740759628, 492.7757465151356)),
    'CAM_BACK_RIGHT': ([1.0148780988, -0.480568219723, 1.56239545128],
                       [0.12280980120078765, -0.132400842670559, -0.7004305821388234, 0.690496031265798],
                       (1259.5137405846733, 1259.5137405846733, 807.2529053838625, 501.19579884916527)),
}
CAMERA_CHANNELS = list(CAMERA_CALIBRATION)
LIDAR_CHANNEL = 'LIDAR_TOP'
LIDAR_TRANSLATION = [0.943713, 0.0, 1.84023]
LIDAR_ROTATION = [0.7077955119163518, -0.006492242056004365, 0.010646214713995808, -0.7063073142877817]
LIDAR_BEAMS = 32
LIDAR_ELEVATION_DEG = (-30.67, 10.67)   # Velodyne HDL-32E vertical field of view


@dataclass
class Camera:
    """One calibrated camera at the rendered image size."""
    channel: str
    translation: np.ndarray      # (3,) camera -> ego
    rotation: np.ndarray         # (3, 3) camera -> ego
    quaternion: List[float]      # (w, x, y, z) as stored
    intrinsic: np.ndarray        # (3, 3) at the rendered size
    size: Tuple[int, int]        # (H, W)


def build_cameras(image_size: Tuple[int, int]) -> List[Camera]:
    """The six cameras with intrinsics scaled from 1600 x 900 to ``image_size`` = (H, W)."""
    h, w = image_size
    sy, sx = h / ORIGINAL_SIZE[0], w / ORIGINAL_SIZE[1]
    cams = []
    for channel, (trans, quat, (fx, fy, cx, cy)) in CAMERA_CALIBRATION.items():
        q = Quaternion(quat).normalised
        k = np.array([[fx * sx, 0.0, cx * sx], [0.0, fy * sy, cy * sy], [0.0, 0.0, 1.0]])
        cams.append(Camera(channel, np.array(trans, dtype=np.float64), q.rotation_matrix,
                           [float(v) for v in q.elements], k, (h, w)))
    return cams


def lidar_rotation_matrix() -> np.ndarray:
    """LIDAR_TOP sensor -> ego rotation."""
    return Quaternion(LIDAR_ROTATION).normalised.rotation_matrix
