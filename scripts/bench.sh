#!/usr/bin/env bash
# make bench: benchmarks/run.py with the same Python, Odoo and database server as make test.
# ODOO_ROOT, ADDONS_PATH and PYTHON are exported for it; extra arguments are passed on.
# BENCH_SCRIPT=forecast.py (make forecast): benchmarks/forecast.py instead.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SCRIPT=benchmarks/${BENCH_SCRIPT:-run.py}
if [ ! -f "$REPO_ROOT/$SCRIPT" ]; then
    echo "[bench] $SCRIPT is not there yet: nothing to run."
    exit 0
fi
# shellcheck source=scripts/ensure_env.sh
source "$REPO_ROOT/scripts/ensure_env.sh" full
cd "$REPO_ROOT"
exec "$PYTHON" "$SCRIPT" "$@"
