#!/usr/bin/env bash
# Stage 1c: put the pre-trained MAE head (1a) into the teacher (1b), then fine-tune only the head (10 epochs).
source "$(dirname "$0")/_common.sh"
TEACHER=work_dirs/teacher_${RANGE}_30e/epoch_30.pth
PRETRAIN=work_dirs/teacher_hd_prior_pretrain_${RANGE}_30e/epoch_30.pth
CONFIG=configs/mapkd/teacher_hd_finetune_${RANGE}_10e.py
require "$TEACHER" "stage-1b teacher checkpoint"
require "$PRETRAIN" "stage-1a MAE head checkpoint"
PYTHONPATH="$ROOT:${PYTHONPATH:-}" ${PYTHON:-python} scripts/merge_checkpoints.py "$CONFIG" \
  --base "$TEACHER" --override "mae_head.=$PRETRAIN" --out "work_dirs/teacher_hd_finetune_${RANGE}_10e/init.pth"
train "$CONFIG" "$@"
