#!/usr/bin/env bash
# make chaos: benchmarks/chaos.py (crash test of the daily run: SIGKILL of a real cron
# worker) with the same Python, Odoo and database server as make test.
# ODOO_ROOT, ADDONS_PATH and PYTHON are exported for it; extra arguments are passed on.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/ensure_env.sh
source "$REPO_ROOT/scripts/ensure_env.sh" full
cd "$REPO_ROOT"
exec "$PYTHON" benchmarks/chaos.py "$@"
