#!/usr/bin/env bash
# Create (or reuse) the virtual environment .venv at the repository root and install MapKD's
# dependencies into it. Re-running is cheap: installation is skipped when the requirement
# files have not changed since the last successful install.
#   source-free usage: bash scripts/setup_env.sh   (prints the python path on the last line)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating virtual environment $VENV" >&2
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.mapkd-requirements.sha256"
WANT=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/constraints.txt" "$ROOT/setup.py" | sha256sum | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "[setup] installing dependencies (torch + torchvision take ~2 minutes on first install)" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  if [ "${MAPKD_KEEP_TORCH:-0}" = "1" ]; then
    "$VENV/bin/python" -m pip install --quiet -r "$ROOT/requirements-dev.txt" >&2
  else
    "$VENV/bin/python" -m pip install --quiet -c "$ROOT/constraints.txt" -r "$ROOT/requirements-dev.txt" >&2
  fi
  "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e "$ROOT" >&2
  echo "$WANT" > "$STAMP"
else
  echo "[setup] dependencies up to date in $VENV" >&2
fi
echo "$VENV/bin/python"
