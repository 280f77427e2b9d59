#!/usr/bin/env bash
# make test: a fresh database, the addon installed with its tests, one closing line
# "N passed, N failed"; non-zero exit on any failure, ERROR/CRITICAL log line, failed
# install, or when no test ran.
#
# Environment: TEST_DB (default invoice_followup_test), TEST_TAGS (default
# /invoice_followup,/invoice_followup_sale,/invoice_followup_queue),
# TEST_PORT (first HTTP port to try for HttpCase tests, default 8169), UPGRADE_TEST (1 by default
# for the whole suite: scripts/upgrade_test.sh runs first; 0 skips it; a TEST_TAGS subset skips
# it unless UPGRADE_TEST=1), plus ensure_env.sh's.
set -euo pipefail
# shellcheck source=scripts/ensure_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh" full

MODULE=invoice_followup
# payment_demo: the demo payment provider the portal tests and tour pay with;
# l10n_sa: the Saudi chart of accounts, for the Saudi company tests;
# invoice_followup_sale: the Sales bridge (credit hold on sales orders), with sale.
BRIDGE=${MODULE}_sale
INSTALL="$MODULE,$BRIDGE,payment_demo,l10n_sa"
# invoice_followup_queue (with OCA's queue_job) turns the scheduled run into jobs, which
# the other modules' tests do not expect: it is installed in the same database after
# their tests, and its own tests run then (only when TEST_TAGS names it).
QUEUE=${MODULE}_queue
DB=${TEST_DB:-invoice_followup_test}
TAGS=${TEST_TAGS:-/$MODULE,/$BRIDGE,/$QUEUE}
BASE_TAGS= QUEUE_TAGS=
IFS=, read -ra _tags <<<"$TAGS"
for _tag in "${_tags[@]}"; do
    case $_tag in
        *"$QUEUE"*) QUEUE_TAGS=${QUEUE_TAGS:+$QUEUE_TAGS,}$_tag ;;
        *) BASE_TAGS=${BASE_TAGS:+$BASE_TAGS,}$_tag ;;
    esac
done
DATA_DIR=$CACHE_DIR/odoo-data
LOG=${TEST_LOG:-$CACHE_DIR/test.log}

# The upgrade from the previous release (make upgrade-test), before the tests: the closing
# "N passed, N failed" line stays the last one.
upgrade_rc=0
if [ "${UPGRADE_TEST:-$([ -z "${TEST_TAGS:-}" ] && echo 1 || echo 0)}" = 1 ]; then
    set +e
    bash "$REPO_ROOT/scripts/upgrade_test.sh"
    upgrade_rc=$?
    set -e
fi

PORT=$("$PYTHON" "$HELPER" free-port "${TEST_PORT:-8169}")
"$PYTHON" "$HELPER" db-drop "$DB" --filestore-root "$DATA_DIR"

echo "[test] database $DB (new), tests $TAGS, HTTP port $PORT, log $LOG"
# odoo_pass INSTALL TAGS [tee option]: install INSTALL, run the tests of TAGS (none if empty)
odoo_pass() {
    local -a tests=()
    [ -z "$2" ] || tests=(--test-enable --test-tags="$2")
    "$PYTHON" -m odoo \
        --database="$DB" \
        --addons-path="$ADDONS_PATH" \
        --data-dir="$DATA_DIR" \
        --init="$1" \
        "${tests[@]}" \
        --stop-after-init \
        --log-level=test \
        --http-port="$PORT" \
        --max-cron-threads=0 \
        2>&1 | tee ${3:+"$3"} "$LOG"
    return "${PIPESTATUS[0]}"
}
set +e
odoo_pass "$INSTALL" "$BASE_TAGS"
odoo_rc=$?
if [ -n "$QUEUE_TAGS" ] && [ "$odoo_rc" -eq 0 ]; then
    echo "[test] then $QUEUE (queue_job) in $DB, tests $QUEUE_TAGS"
    odoo_pass "$QUEUE" "$QUEUE_TAGS" -a
    odoo_rc=$?
fi
set -e
if [ "$upgrade_rc" -ne 0 ]; then
    echo "[test] FAILED: the upgrade test (scripts/upgrade_test.sh) exited with $upgrade_rc; see its [upgrade] lines above"
    "$PYTHON" "$HELPER" summarize "$LOG" --db "$DB" --module "$MODULE" --odoo-rc "$odoo_rc" || true
    exit 1
fi
exec "$PYTHON" "$HELPER" summarize "$LOG" --db "$DB" --module "$MODULE" --odoo-rc "$odoo_rc"
