#!/usr/bin/env bash
# Stage 1b: teacher (camera + LiDAR + SD prior + HD head) trained end to end (30 epochs).
source "$(dirname "$0")/_common.sh"
train "configs/mapkd/teacher_${RANGE}_30e.py" "$@"
