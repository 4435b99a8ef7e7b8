"""Per-scene mp4 videos from the per-sample pictures (OpenCV ``mp4v``)."""
from __future__ import annotations

import os
import os.path as osp
from collections import defaultdict
from typing import Iterable

import cv2


def write_scene_videos(records: Iterable[tuple[str, int, str]], out_dir: str, fps: float = 2.0) -> list[str]:
    """``records`` of (scene_token, timestamp, png_path) -> one ``<scene_token>.mp4`` per scene,
    frames in timestamp order, all resized to the first frame's size. Returns the video paths."""
    scenes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for scene, timestamp, path in records:
        scenes[str(scene)].append((int(timestamp), path))
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for scene, frames in sorted(scenes.items()):
        frames.sort()
        first = cv2.imread(frames[0][1], cv2.IMREAD_COLOR)
        if first is None:
            raise FileNotFoundError(f'cannot read frame {frames[0][1]} of scene {scene}')
        h, w = first.shape[:2]
        path = osp.join(out_dir, f'{scene}.mp4')
        tmp = osp.join(out_dir, f'.tmp_{scene}.mp4')
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
        if not writer.isOpened():
            raise RuntimeError(f'OpenCV cannot write mp4v video {path} (no video backend?)')
        try:
            for _, frame_path in frames:
                frame = cv2.imread(frame_path, cv2.IMREAD_COLOR)
                if frame is None:
                    raise FileNotFoundError(f'cannot read frame {frame_path} of scene {scene}')
                if frame.shape[:2] != (h, w):
                    frame = cv2.resize(frame, (w, h))
                writer.write(frame)
        finally:
            writer.release()
        os.replace(tmp, path)
        written.append(path)
    return written
