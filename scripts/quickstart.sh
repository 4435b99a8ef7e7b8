#!/usr/bin/env bash
# Set up .venv (if needed), then run the whole MapKD pipeline on the synthetic city:
# generate data, train teacher -> coach -> distilled student (+ baseline student), evaluate all
# four, benchmark them and write work_dirs/quickstart/report.md. Extra args go to tools/quickstart.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYBIN=$(bash "$ROOT/scripts/setup_env.sh" | tail -n 1)
cd "$ROOT"
exec "$PYBIN" tools/quickstart.py "$@"
