# Shared by the stage scripts: GPUS (default 1), RANGE (60x30 | 120x60, default 60x30).
# Extra arguments are passed to tools/train.py (e.g. --cfg-options train_dataloader.batch_size=2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GPUS=${GPUS:-1}
RANGE=${RANGE:-60x30}
case "$RANGE" in 60x30|120x60) ;; *) echo "RANGE must be 60x30 or 120x60, got $RANGE" >&2; exit 2;; esac
cd "$ROOT"
train() {  # train CONFIG [args]
  local config=$1; shift
  if [ ! -f "$config" ]; then echo "config not found: $config" >&2; exit 2; fi
  echo ">>> $config on $GPUS GPU(s)"
  tools/dist_train.sh "$config" "$GPUS" "$@"
}
require() {  # require FILE WHAT
  if [ ! -f "$1" ]; then echo "missing $2: $1 (run the previous stage first)" >&2; exit 2; fi
}
