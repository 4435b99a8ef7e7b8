"""Camera images of the synthetic city: ground by ray casting, boxes by polygon projection.

The ground is flat (z = 0); the car body may pitch and roll (``BodyMotion``), so every frame
first places each camera in the *level* frame (the ego frame without pitch and roll) and casts
its pixel rays at the road plane (z = 0) and the kerb plane (z = 0.15 m). Rendering moves those
hit points into the map frame with the ego pose and samples the textured ground raster
(``cv2.remap``, bilinear). A pixel whose kerb-plane hit lands on a raised surface shows that
surface; one whose road plane hit lands on a raised surface but kerb-plane hit does not sees the
curb face. Boxes (buildings, parked cars) are drawn face by face, far to near, on top of the
ground, with Lambert shading, distance haze, then vignetting and sensor noise.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import List, Sequence

import cv2
import numpy as np

from .geometry import tilt_matrix
from .ground import GroundRaster, MATERIAL_BGR
from .layout import CURB_HEIGHT, Box, MAT_CURB, MAT_LOT
from .rig import Camera

FAR = 250.0
HAZE_DISTANCE = 220.0
NEAR = 0.1
HAZE_BGR = np.array([205, 195, 185], dtype=np.float32)
SKY_HORIZON_BGR = np.array([235, 215, 190])
SKY_ZENITH_BGR = np.array([200, 140, 90])
SHIFT = 4
NOISE_STD = 3.0
BOX_RADIUS = 130.0
WINDOW_RADIUS = 70.0
FACES = [(0, 1, 2, 3), (4, 7, 6, 5), (0, 4, 5, 1), (1, 5, 6, 2), (2, 6, 7, 3), (3, 7, 4, 0)]  # bottom, top, sides


@dataclass
class PixelRays:
    """Per-camera constants: the viewing direction of every pixel in the camera frame and the vignette."""
    d_cam: np.ndarray     # (H, W, 3) float64
    vignette: np.ndarray  # (H, W, 1) float64
    vignette_bgr: np.ndarray  # (H, W, 3) float32, the same for the three channels


@dataclass
class CameraRays:
    """Ground hits of one camera placed in the level frame, and the shading terms that depend on them."""
    cam: Camera
    hit0: np.ndarray      # (2, H, W) level-frame xy of the z = 0 hit
    hit1: np.ndarray      # (2, H, W) level-frame xy of the z = kerb hit
    gain: np.ndarray      # (H, W, 3) float32: (1 - haze) * vignette (0 for sky)
    offset: np.ndarray    # (H, W, 3) float32: haze colour (or sky) * vignette
    vignette: np.ndarray  # (H, W, 3) float32


def pixel_rays(cam: Camera) -> PixelRays:
    h, w = cam.size
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    pix = np.stack([u, v, np.ones_like(u)], axis=-1)
    d_cam = pix @ np.linalg.inv(cam.intrinsic).T
    cx, cy = cam.intrinsic[0, 2], cam.intrinsic[1, 2]
    r2 = ((u - cx) / w) ** 2 + ((v - cy) / h) ** 2
    vignette = (1.0 - 0.35 * r2)[..., None]
    return PixelRays(d_cam, vignette, _three_channels(vignette.astype(np.float32)))


def tilted_camera(cam: Camera, pitch: float, roll: float) -> Camera:
    """The camera's pose in the level frame when the body is pitched and rolled."""
    tilt = tilt_matrix(pitch, roll)
    return replace(cam, translation=tilt @ cam.translation, rotation=tilt @ cam.rotation)


def prepare_camera(cam: Camera, pixels: PixelRays = None) -> CameraRays:
    """Ground hits and shading of ``cam`` (its pose given in the level frame)."""
    pixels = pixel_rays(cam) if pixels is None else pixels
    d_ego = pixels.d_cam @ cam.rotation.T
    o = cam.translation
    dz = d_ego[..., 2]
    with np.errstate(divide='ignore', invalid='ignore'):
        t0 = np.where(dz < -1e-9, -o[2] / dz, np.inf)
        t1 = np.where(dz < -1e-9, (CURB_HEIGHT - o[2]) / dz, np.inf)
    norm = np.linalg.norm(d_ego, axis=-1)
    dist = t0 * norm
    dist[dist > FAR] = np.inf
    finite = np.isfinite(dist)
    t0 = np.where(finite, t0, 0.0)
    t1 = np.where(finite, t1, 0.0)
    hit0 = np.stack([o[0] + t0 * d_ego[..., 0], o[1] + t0 * d_ego[..., 1]])
    hit1 = np.stack([o[0] + t1 * d_ego[..., 0], o[1] + t1 * d_ego[..., 1]])
    vignette = pixels.vignette
    haze = np.where(finite, 1.0 - np.exp(-np.where(finite, dist, 0.0) / HAZE_DISTANCE), 1.0)[..., None]
    gain = (1.0 - haze) * vignette
    offset = HAZE_BGR * haze                     # (H, W, 3) float64; the sky where no ground is hit
    sky = ~finite
    elev = np.clip(dz[sky] / norm[sky], -0.2, 1.0)[:, None]
    offset[sky] = SKY_HORIZON_BGR * (1 - elev) + SKY_ZENITH_BGR * elev
    offset *= vignette
    return CameraRays(cam, hit0, hit1, _three_channels(gain.astype(np.float32)), offset.astype(np.float32),
                      pixels.vignette_bgr)


def _three_channels(one: np.ndarray) -> np.ndarray:
    """(H, W, 1) -> (H, W, 3), the channel repeated (like ``np.repeat(one, 3, -1)``, 10x faster)."""
    out = np.empty(one.shape[:2] + (3,), dtype=one.dtype)
    out[...] = one
    return out


def _clip_near(poly: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman clip of a polygon (N, 3) in camera coordinates against z >= NEAR."""
    out = []
    n = len(poly)
    for i in range(n):
        cur, nxt = poly[i], poly[(i + 1) % n]
        cin, nin = cur[2] >= NEAR, nxt[2] >= NEAR
        if cin:
            out.append(cur)
        if cin != nin:
            t = (NEAR - cur[2]) / (nxt[2] - cur[2])
            out.append(cur + t * (nxt - cur))
    return np.array(out)


def box_corners(boxes_xyz: np.ndarray) -> np.ndarray:
    """Corners (B, 8, 3) of boxes given as rows (cx, cy, z0, z1, length, width, yaw) in one frame."""
    cx, cy, z0, z1, ln, wd, yaw = boxes_xyz.T
    sx = np.array([1, -1, -1, 1])[None] * ln[:, None] / 2
    sy = np.array([1, 1, -1, -1])[None] * wd[:, None] / 2
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = cx[:, None] + c * sx - s * sy
    y = cy[:, None] + s * sx + c * sy
    bottom = np.stack([x, y, np.repeat(z0[:, None], 4, 1)], -1)
    top = np.stack([x, y, np.repeat(z1[:, None], 4, 1)], -1)
    return np.concatenate([bottom, top], axis=1)


class CameraRenderer:
    """Renders the six camera images of one ego pose."""

    def __init__(self, cameras: Sequence[Camera], ground: GroundRaster, boxes: List[Box], sun_azimuth: float,
                 noise_seed: int = 0):
        self.cameras = list(cameras)
        self.pixels = [pixel_rays(c) for c in cameras]
        self.level_rays = [prepare_camera(c, p) for c, p in zip(cameras, self.pixels)]
        self.ground = ground
        self.box_array = np.array([[b.cx, b.cy, b.z0, b.z1, b.length, b.width, b.yaw] for b in boxes]).reshape(-1, 7)
        self.box_color = np.array([b.color for b in boxes], dtype=np.float32).reshape(-1, 3)
        self.box_building = np.array([b.kind == 'building' for b in boxes], dtype=bool)
        self.box_order = np.array([0 if b.kind == 'car_cabin' else 1 for b in boxes])
        elev = np.radians(50.0)
        self.sun = np.array([np.cos(sun_azimuth) * np.cos(elev), np.sin(sun_azimuth) * np.cos(elev), np.sin(elev)])
        self.lot_bgra = (*[int(v) for v in MATERIAL_BGR[MAT_LOT]], 255)
        self.curb_bgr = (MATERIAL_BGR[MAT_CURB] * 0.8).astype(np.uint8)
        h, w = cameras[0].size
        self.noise = (np.random.default_rng([noise_seed, 7]).standard_normal((h + 64, w + 64, 3)) * NOISE_STD
                      ).astype(np.float32)

    def render(self, x: float, y: float, yaw: float, rng: np.random.Generator, exposure: float = 1.0,
               pitch: float = 0.0, roll: float = 0.0) -> List[np.ndarray]:
        """BGR uint8 images of all cameras at ego pose (x, y, yaw) with the body pitched and rolled (radians)."""
        if pitch == 0.0 and roll == 0.0:
            rays = self.level_rays
        else:
            rays = [prepare_camera(tilted_camera(c, pitch, roll), p) for c, p in zip(self.cameras, self.pixels)]
        c, s = np.cos(yaw), np.sin(yaw)
        near = np.hypot(self.box_array[:, 0] - x, self.box_array[:, 1] - y) < BOX_RADIUS
        idx = np.nonzero(near)[0]
        local = self.box_array[idx].copy()
        dx, dy = local[:, 0] - x, local[:, 1] - y
        local[:, 0], local[:, 1] = c * dx + s * dy, -s * dx + c * dy
        local[:, 6] -= yaw
        corners = box_corners(local)
        sun_ego = np.array([c * self.sun[0] + s * self.sun[1], -s * self.sun[0] + c * self.sun[1], self.sun[2]])
        return [self._render_one(r, x, y, c, s, idx, local, corners, sun_ego, rng, exposure) for r in rays]

    def _sample(self, hit: np.ndarray, x: float, y: float, c: float, s: float) -> np.ndarray:
        mx = c * hit[0] - s * hit[1] + x
        my = s * hit[0] + c * hit[1] + y
        col, row = self.ground.to_pixel(mx, my)
        return cv2.remap(self.ground.color, col, row, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=self.lot_bgra)

    def _render_one(self, rays: CameraRays, x, y, c, s, idx, local, corners, sun_ego, rng, exposure) -> np.ndarray:
        s0 = self._sample(rays.hit0, x, y, c, s)
        s1 = self._sample(rays.hit1, x, y, c, s)
        ground = np.where(s1[..., 3:4] > 127, s1[..., :3], np.where(s0[..., 3:4] > 127, self.curb_bgr, s0[..., :3]))
        img = cv2.add(cv2.multiply(ground, rays.gain, dtype=cv2.CV_32F), rays.offset)
        h, w = rays.cam.size
        box_rgb = np.zeros((h, w, 3), dtype=np.uint8)
        box_alpha = np.zeros((h, w), dtype=np.uint8)
        if self._draw_boxes(box_rgb, box_alpha, rays.cam, idx, local, corners, sun_ego):
            alpha = cv2.merge([box_alpha] * 3)
            boxes = cv2.multiply(box_rgb, rays.vignette, dtype=cv2.CV_32F)
            img = cv2.add(img, cv2.multiply(cv2.subtract(boxes, img), alpha, scale=1.0 / 255.0, dtype=cv2.CV_32F))
        oy, ox = rng.integers(0, 64, size=2)
        img = cv2.scaleAdd(img, float(exposure), self.noise[oy:oy + h, ox:ox + w])
        return cv2.convertScaleAbs(img)

    def _draw_boxes(self, rgb, alpha, cam: Camera, idx, local, corners, sun_ego) -> bool:
        """Draw visible box faces into ``rgb``/``alpha``, far to near. Returns whether any was drawn."""
        if len(idx) == 0:
            return False
        h, w = cam.size
        k = cam.intrinsic
        cam_corners = (corners - cam.translation) @ cam.rotation   # (B, 8, 3) in the camera frame
        z = cam_corners[..., 2]
        with np.errstate(divide='ignore', invalid='ignore'):
            u = k[0, 0] * cam_corners[..., 0] / z + k[0, 2]
            v = k[1, 1] * cam_corners[..., 1] / z + k[1, 2]
        front = z > NEAR
        all_front = front.all(axis=1)
        outside = all_front & ((u < 0).all(1) | (u >= w).all(1) | (v < 0).all(1) | (v >= h).all(1))
        candidates = np.nonzero(front.any(axis=1) & ~outside)[0]
        if len(candidates) == 0:
            return False
        # painter's order: distance from the camera to the box footprint, far first
        rel = cam.translation[None, :2] - local[:, :2]
        cy, sy = np.cos(-local[:, 6]), np.sin(-local[:, 6])
        lx, ly = cy * rel[:, 0] - sy * rel[:, 1], sy * rel[:, 0] + cy * rel[:, 1]
        ex = np.maximum(np.abs(lx) - local[:, 4] / 2, 0)
        ey = np.maximum(np.abs(ly) - local[:, 5] / 2, 0)
        dist = np.hypot(ex, ey) + 0.01 * self.box_order[idx]
        # outward normals of top (+z) and the 4 sides in the ego frame; visible when facing the camera
        yaw = local[:, 6]
        cyaw, syaw = np.cos(yaw), np.sin(yaw)
        zeros = np.zeros_like(yaw)
        normals = np.stack([np.stack([zeros, zeros, zeros + 1], -1),
                            np.stack([-syaw, cyaw, zeros], -1), np.stack([-cyaw, -syaw, zeros], -1),
                            np.stack([syaw, -cyaw, zeros], -1), np.stack([cyaw, syaw, zeros], -1)], 1)  # (B, 5, 3)
        face_idx = np.array(FACES[1:])
        face_centres = corners[:, face_idx].mean(axis=2)                                      # (B, 5, 3)
        facing = np.einsum('bfk,bfk->bf', normals, face_centres - cam.translation) < 0
        shade = 0.5 + 0.5 * np.clip(normals @ sun_ego, 0.0, None) + np.array([0.1, 0, 0, 0, 0])
        haze = 1.0 - np.exp(-dist / HAZE_DISTANCE)
        for b in candidates[np.argsort(-dist[candidates], kind='stable')]:
            base = self.box_color[idx[b]]
            for f in np.nonzero(facing[b])[0]:
                color = base * shade[b, f] * (1 - haze[b]) + HAZE_BGR * haze[b]
                self._fill(rgb, alpha, cam_corners[b, face_idx[f]], k, color)
                if f > 0 and self.box_building[idx[b]] and dist[b] < WINDOW_RADIUS:
                    self._windows(rgb, alpha, cam, corners[b, face_idx[f]], k, color)
        return True

    @staticmethod
    def _fill(rgb, alpha, poly_cam: np.ndarray, k: np.ndarray, color) -> None:
        poly = _clip_near(poly_cam) if (poly_cam[:, 2] < NEAR).any() else poly_cam
        if len(poly) < 3:
            return
        uv = poly[:, :2] / poly[:, 2:3] * [k[0, 0], k[1, 1]] + [k[0, 2], k[1, 2]]
        pts = np.round(np.clip(uv, -1e4, 1e4) * (1 << SHIFT)).astype(np.int32)
        cv2.fillConvexPoly(rgb, pts, [float(v) for v in color], lineType=cv2.LINE_8, shift=SHIFT)
        cv2.fillConvexPoly(alpha, pts, 255, lineType=cv2.LINE_AA, shift=SHIFT)

    def _windows(self, rgb, alpha, cam: Camera, face: np.ndarray, k, color) -> None:
        """Rows of dark window bands on a building side face (4 corners, 2 at the bottom)."""
        z0, z1 = face[:, 2].min(), face[:, 2].max()
        a, b = face[face[:, 2] == z0][:2]
        span = np.linalg.norm(b[:2] - a[:2])
        if span < 4.0:
            return
        inset = 1.0 / span
        p0, p1 = a + inset * (b - a), b - inset * (b - a)
        win = np.asarray(color) * 0.45 + np.array([40, 25, 10])
        z = z0 + 1.2
        while z + 1.4 < z1:
            quad = np.array([[p0[0], p0[1], z], [p1[0], p1[1], z], [p1[0], p1[1], z + 1.4], [p0[0], p0[1], z + 1.4]])
            self._fill(rgb, alpha, (quad - cam.translation) @ cam.rotation, k, win)
            z += 3.5
