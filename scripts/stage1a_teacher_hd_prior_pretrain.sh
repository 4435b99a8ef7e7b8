#!/usr/bin/env bash
# Stage 1a: masked HD-prior pre-training of the teacher's MAE head (30 epochs).
source "$(dirname "$0")/_common.sh"
train "configs/mapkd/teacher_hd_prior_pretrain_${RANGE}_30e.py" "$@"
