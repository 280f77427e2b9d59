#!/usr/bin/env bash
# make run: a demo database with the addon, its demo data and Arabic, then Odoo on PORT.
# The database is created (and the addon installed) only when it is missing.
#
# Environment: DB (default invoice_followup_demo), PORT (default 8069), plus ensure_env.sh's.
set -euo pipefail
# shellcheck source=scripts/ensure_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh" full

MODULE=invoice_followup
DB=${DB:-invoice_followup_demo}
PORT=${PORT:-8069}
LOG=$CACHE_DIR/run-install.log

"$PYTHON" "$HELPER" port-free "$PORT" \
    || { echo "[run] ERROR: port $PORT is in use; pass another one, e.g. make run PORT=8070" >&2; exit 1; }

state=$("$PYTHON" "$HELPER" db-state "$DB" "$MODULE")
if [ "$state" != installed ]; then
    if [ "$state" = absent ]; then
        echo "[run] creating database $DB with $MODULE, demo data and Arabic (a minute or two)"
    else
        echo "[run] installing $MODULE into database $DB (module state: $state)"
    fi
    # The first language of --load-language becomes a new database's main language
    # (base's res.lang.install_lang): English first, Arabic loaded and active beside it.
    set +e
    "$PYTHON" -m odoo --database="$DB" --addons-path="$ADDONS_PATH" \
        --init="$MODULE" --load-language=en_US,ar_001 --stop-after-init \
        --http-port="$PORT" --max-cron-threads=0 2>&1 | tee "$LOG"
    rc=${PIPESTATUS[0]}
    set -e
    state=$("$PYTHON" "$HELPER" db-state "$DB" "$MODULE")
    if [ "$rc" -ne 0 ] || [ "$state" != installed ]; then
        echo "[run] ERROR: installing $MODULE into $DB failed (exit $rc, module state: $state); see $LOG" >&2
        exit 1
    fi
fi

cat <<MSG

  invoice_followup demo: http://localhost:$PORT   (database $DB)
  Login: admin  Password: admin
  Stop with Ctrl+C.

MSG
exec "$PYTHON" -m odoo --database="$DB" --addons-path="$ADDONS_PATH" --http-port="$PORT"
