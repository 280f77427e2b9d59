#!/usr/bin/env bash
# make wheel: dist/odoo_addon_invoice_followup-<manifest version>-py3-none-any.whl
# Needs neither Odoo nor PostgreSQL, only setuptools-odoo (requirements.txt).
set -euo pipefail
# shellcheck source=scripts/ensure_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh" python

OUT=${WHEEL_DIR:-$REPO_ROOT/dist}
mkdir -p "$OUT"
rm -rf "$REPO_ROOT/setup/invoice_followup/build" "$REPO_ROOT"/setup/invoice_followup/*.egg-info
"$PYTHON" -m pip wheel --disable-pip-version-check -q --no-deps --no-build-isolation \
    "$REPO_ROOT/setup/invoice_followup" -w "$OUT"
rm -rf "$REPO_ROOT/setup/invoice_followup/build" "$REPO_ROOT"/setup/invoice_followup/*.egg-info
ls -1 "$OUT"/odoo_addon_invoice_followup-*.whl
