#!/usr/bin/env bash
# make pytest: the addon's tests through pytest-odoo, on a database where the addon is already
# installed (the quick inner loop; `make test` stays the CI gate).
#
#   make pytest                               the whole suite (invoice_followup/tests)
#   make pytest K=test_portal_statement       tests whose name matches (pytest -k)
#   make pytest PYTEST_ARGS="invoice_followup/tests/test_followup_run.py -x"
#   make pytest PYTEST_HTTP=0                 no HTTP server: HttpCase tests are skipped
#
# The database (PYTEST_DB, default ifu_pytest) is created with invoice_followup, payment_demo
# and l10n_sa (as make test installs them) when it is missing, and updated (-u invoice_followup)
# when the addon's files outside tests/ changed since the last run (a digest in .cache/), so a
# run on an unchanged addon starts testing in seconds. Tests run in Odoo's own transactions
# (rolled back), so the database stays as it was.
#
# Environment: PYTEST_DB, K, PYTEST_ARGS, PYTEST_HTTP (1: start Odoo's HTTP server in the
# pytest process, for HttpCase), plus ensure_env.sh's.
set -euo pipefail
# shellcheck source=scripts/ensure_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh" pytest

MODULE=invoice_followup
INSTALL="$MODULE,payment_demo,l10n_sa"
DB=${PYTEST_DB:-ifu_pytest}
DATA_DIR=$CACHE_DIR/odoo-data
LOG=$CACHE_DIR/pytest-$DB-install.log
STAMP=$CACHE_DIR/pytest-$DB.digest

# What an update would load: the addon but its tests and its documentation.
digest=$(cd "$REPO_ROOT" && find "$MODULE" \( -path "$MODULE/tests" -o -path "$MODULE/readme" -o -path "$MODULE/static/description" \) -prune -o -type f ! -name README.rst \
    ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)

state=$("$PYTHON" "$HELPER" db-state "$DB" "$MODULE")
action=
if [ "$state" != installed ]; then
    action="--init=$INSTALL"
    echo "[pytest] installing $INSTALL into $DB (module state: $state; a few minutes, once)"
elif [ "$(cat "$STAMP" 2>/dev/null)" != "$digest" ]; then
    action="--update=$MODULE"
    echo "[pytest] the addon changed since $DB was last updated: -u $MODULE"
fi
if [ -n "$action" ]; then
    set +e
    "$PYTHON" -m odoo --database="$DB" --addons-path="$ADDONS_PATH" --data-dir="$DATA_DIR" \
        "$action" --stop-after-init --max-cron-threads=0 --http-port=0 --log-level=warn \
        >"$LOG" 2>&1
    rc=$?
    set -e
    state=$("$PYTHON" "$HELPER" db-state "$DB" "$MODULE")
    if [ "$rc" -ne 0 ] || [ "$state" != installed ]; then
        tail -n 30 "$LOG" >&2
        echo "[pytest] ERROR: preparing $DB failed (exit $rc, module state: $state); see $LOG" >&2
        exit 1
    fi
    echo "$digest" >"$STAMP"
fi

args=(--odoo-database="$DB" --odoo-addons-path="$ADDONS_PATH" --odoo-extra="data-dir=$DATA_DIR"
    --odoo-extra=max-cron-threads=0)
[ "${PYTEST_HTTP:-1}" = 1 ] && args+=(--odoo-http)
[ -n "${K:-}" ] && args+=(-k "$K")
# shellcheck disable=SC2206  # PYTEST_ARGS is a list of words on purpose
extra=(${PYTEST_ARGS:-})
has_path=0
for a in "${extra[@]}"; do
    case "$a" in "$MODULE"* | ./* | /*) has_path=1 ;; esac
done
[ "$has_path" = 1 ] || extra+=("$MODULE/tests")
cd "$REPO_ROOT"
echo "[pytest] database $DB: pytest ${args[*]:3} ${extra[*]}"
exec "$PYTHON" -m pytest "${args[@]}" "${extra[@]}"
