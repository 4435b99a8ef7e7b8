#!/usr/bin/env bash
# The whole MapKD pipeline, in order (each stage reads the previous stage's checkpoint):
#   1a teacher HD-prior pre-training -> 1b teacher -> 1c teacher HD-head fine-tuning
#   -> 2 coach distillation -> 3 student distillation; plus the camera-only baseline student.
# Usage: GPUS=8 RANGE=60x30 scripts/run_pipeline.sh [tools/train.py args for every stage]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
"$HERE/stage1a_teacher_hd_prior_pretrain.sh" "$@"
"$HERE/stage1b_teacher.sh" "$@"
"$HERE/stage1c_teacher_hd_finetune.sh" "$@"
"$HERE/stage2_coach_distill.sh" "$@"
"$HERE/stage3_student_distill.sh" "$@"
"$HERE/baseline_student_cam_only.sh" "$@"
