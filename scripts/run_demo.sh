#!/usr/bin/env bash
# make run: a demo database with the addon, its demo data and Arabic, then Odoo on PORT.
# The database is created (and the addon installed) only when it is missing.
# A local mail catcher (scripts/mail_catcher.py, 127.0.0.1 only) runs beside it as the
# demo's outgoing mail server: mails land as .eml files in MAIL_DIR (`make mails`).
# A local SMS capture (scripts/sms_catcher.py, 127.0.0.1 only) plays Twilio's API for the
# demo's SMS provider: SMS land as .json files in SMS_DIR (`make sms`).
#
# Environment: DB (default invoice_followup_demo), PORT (default 8069), MAIL_DIR (default
# .cache/mail-catcher), MAIL_PORT (first SMTP port to try, default 2525), SMS_DIR (default
# .cache/sms-catcher), SMS_PORT (first port to try, default 2526), plus ensure_env.sh's.
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

# The local mail catcher (scripts/mail_catcher.py): the demo's outgoing mail server, on
# 127.0.0.1 only; every mail lands as an .eml file in MAIL_DIR (`make mails` prints them).
MAIL_DIR=${MAIL_DIR:-$CACHE_DIR/mail-catcher}
MAIL_PORT=$("$PYTHON" "$HELPER" free-port "${MAIL_PORT:-2525}")
SMS_DIR=${SMS_DIR:-$CACHE_DIR/sms-catcher}
CATCHER_PID=
SMS_PID=
ODOO_PID=
_stop_catcher() {
    for pid in $CATCHER_PID $SMS_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
# Stopping the demo stops the catcher: Ctrl+C (the terminal sends it to Odoo too), a
# TERM to this script (passed on to Odoo), or Odoo itself stopped (pkill -f $DB).
_stop() {
    [ -z "$1" ] || [ -z "$ODOO_PID" ] || kill "-$1" "$ODOO_PID" 2>/dev/null || true
    [ -z "$ODOO_PID" ] || wait "$ODOO_PID" 2>/dev/null || true
    exit "$2"
}
trap _stop_catcher EXIT
trap '_stop "" 130' INT
trap '_stop TERM 143' TERM HUP
"$PYTHON" "$REPO_ROOT/scripts/mail_catcher.py" serve --port "$MAIL_PORT" --dir "$MAIL_DIR" &
CATCHER_PID=$!
for _ in $(seq 1 50); do
    "$PYTHON" "$HELPER" port-free "$MAIL_PORT" || break
    kill -0 "$CATCHER_PID" 2>/dev/null || break
    sleep 0.2
done
if ! kill -0 "$CATCHER_PID" 2>/dev/null || "$PYTHON" "$HELPER" port-free "$MAIL_PORT"; then
    echo "[run] ERROR: the mail catcher did not start on 127.0.0.1:$MAIL_PORT (see above)" >&2
    exit 1
fi

# The SMS capture (scripts/sms_catcher.py) plays Twilio: a fresh Auth Token each run.
SMS_PORT=$("$PYTHON" "$HELPER" free-port "${SMS_PORT:-2526}")
SMS_TOKEN=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')
"$PYTHON" "$REPO_ROOT/scripts/sms_catcher.py" serve --port "$SMS_PORT" --dir "$SMS_DIR" \
    --token "$SMS_TOKEN" &
SMS_PID=$!
for _ in $(seq 1 50); do
    "$PYTHON" "$HELPER" port-free "$SMS_PORT" || break
    kill -0 "$SMS_PID" 2>/dev/null || break
    sleep 0.2
done
if ! kill -0 "$SMS_PID" 2>/dev/null || "$PYTHON" "$HELPER" port-free "$SMS_PORT"; then
    echo "[run] ERROR: the SMS capture did not start on 127.0.0.1:$SMS_PORT (see above)" >&2
    exit 1
fi

# The demo database sends through the catcher: its outgoing mail server record points
# there (the port may change between runs), ahead of any other. Its companies' SMS
# provider is "Twilio" at the capture's address (a demo account, this run's token).
echo "[run] pointing the outgoing mail server and the SMS provider of $DB at the local captures"
MAIL_PORT=$MAIL_PORT SMS_PORT=$SMS_PORT SMS_TOKEN=$SMS_TOKEN PORT=$PORT "$PYTHON" -m odoo shell --database="$DB" --addons-path="$ADDONS_PATH" \
    --no-http --log-level=warn >/dev/null <<'PY' \
    || { echo "[run] ERROR: could not set the outgoing mail server of $DB" >&2; exit 1; }
import os
values = {
    "name": "Local mail catcher (make run)",
    "smtp_host": "127.0.0.1",
    "smtp_port": int(os.environ["MAIL_PORT"]),
    "smtp_encryption": "none",
    "smtp_authentication": "login",
    "smtp_user": False,
    "smtp_pass": False,
    "from_filter": False,
    "sequence": 0,
    "active": True,
}
Server = env["ir.mail_server"].with_context(active_test=False)
server = Server.search([("name", "=", values["name"])], limit=1)
if server:
    server.write(values)
else:
    Server.create(values)
params = env["ir.config_parameter"]
params.set_param(
    "invoice_followup.sms_twilio_url", f"http://127.0.0.1:{os.environ['SMS_PORT']}"
)
# the delivery reports come back to this server
params.set_param("web.base.url", f"http://localhost:{os.environ['PORT']}")
env["res.company"].search([]).write(
    {
        "followup_sms_provider": "twilio",
        "followup_sms_twilio_account_sid": "AC" + "0" * 24 + "demo0000",
        "followup_sms_twilio_auth_token": os.environ["SMS_TOKEN"],
        "followup_sms_twilio_sender": "+15005550006",
    }
)
env.cr.commit()
PY

cat <<MSG

  invoice_followup demo: http://localhost:$PORT   (database $DB)
  Login: admin  Password: admin
  Mails the demo sends land in $MAIL_DIR (SMTP 127.0.0.1:$MAIL_PORT,
  nothing leaves this machine); read the latest with: make mails
  SMS land in $SMS_DIR (a local stand-in for Twilio on 127.0.0.1:$SMS_PORT);
  read the latest with: make sms
  Stop with Ctrl+C.

MSG
"$PYTHON" -m odoo --database="$DB" --addons-path="$ADDONS_PATH" --http-port="$PORT" &
ODOO_PID=$!
set +e
wait "$ODOO_PID"
rc=$?
set -e
ODOO_PID=
exit "$rc"
