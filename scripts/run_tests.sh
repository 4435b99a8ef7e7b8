#!/usr/bin/env bash
# Set up .venv (if needed) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYBIN=$(bash "$ROOT/scripts/setup_env.sh" | tail -n 1)
cd "$ROOT"
exec "$PYBIN" -m pytest tests -q --timeout=900 -p no:cacheprovider "$@"
