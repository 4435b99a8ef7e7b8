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
  echo "[setup] installing dependencies (torch + torchvision: ~1 minute with uv, ~2.5 with pip)" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  REQS=(-r "$ROOT/requirements-dev.txt")
  if [ "${MAPKD_KEEP_TORCH:-0}" != "1" ]; then
    REQS=(-c "$ROOT/constraints.txt" "${REQS[@]}")
  fi
  # uv (from PyPI) downloads and unpacks in parallel: a first install takes ~1 min instead of ~2.5
  # with pip. uv does not read pip's configuration, so a user who points pip at another index
  # (PIP_INDEX_URL / PIP_EXTRA_INDEX_URL) or sets MAPKD_INSTALLER=pip gets pip; so does any failure of uv.
  INSTALLER=${MAPKD_INSTALLER:-uv}
  if [ -n "${PIP_INDEX_URL:-}${PIP_EXTRA_INDEX_URL:-}" ]; then
    INSTALLER=pip
  fi
  if [ "$INSTALLER" = "uv" ]; then
    if ! { "$VENV/bin/python" -m pip install --quiet uv >&2 &&
           "$VENV/bin/python" -m uv pip install --quiet --compile-bytecode --python "$VENV/bin/python" \
             "${REQS[@]}" >&2; }; then
      echo "[setup] uv failed; installing with pip instead" >&2
      INSTALLER=pip
    fi
  fi
  if [ "$INSTALLER" = "pip" ]; then
    "$VENV/bin/python" -m pip install --quiet "${REQS[@]}" >&2
  fi
  "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e "$ROOT" >&2
  echo "$WANT" > "$STAMP"
else
  echo "[setup] dependencies up to date in $VENV" >&2
fi
echo "$VENV/bin/python"
