#!/usr/bin/env bash
# Stage 2: coach distilled from the frozen teacher (task + 0.8 TGPD + 0.8 MSRD), 10 epochs.
source "$(dirname "$0")/_common.sh"
require "work_dirs/teacher_hd_finetune_${RANGE}_10e/epoch_10.pth" "teacher checkpoint (stage 1c)"
train "configs/mapkd/coach_distill_${RANGE}_10e.py" "$@"
