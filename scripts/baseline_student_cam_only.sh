#!/usr/bin/env bash
# Baseline: the camera-only student with the task loss only (no distillation), 10 epochs.
source "$(dirname "$0")/_common.sh"
train "configs/mapkd/student_cam_only_${RANGE}_10e.py" "$@"
