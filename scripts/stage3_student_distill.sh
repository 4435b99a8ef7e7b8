#!/usr/bin/env bash
# Stage 3: student distilled from the frozen teacher and coach
# (task + 0.5 TGPD(T) + 0.01 TGPD(C) + 0.75 MSRD(T) + 0.01 MSRD(C)), 10 epochs.
source "$(dirname "$0")/_common.sh"
require "work_dirs/teacher_hd_finetune_${RANGE}_10e/epoch_10.pth" "teacher checkpoint (stage 1c)"
require "work_dirs/coach_distill_${RANGE}_10e/epoch_10.pth" "coach checkpoint (stage 2)"
train "configs/mapkd/student_distill_${RANGE}_10e.py" "$@"
