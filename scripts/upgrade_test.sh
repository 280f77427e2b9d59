#!/usr/bin/env bash
# make upgrade-test: a database populated on the previous release (UPGRADE_FROM) upgrades to
# the work tree's addon with every record kept; uninstalling and installing again leaves the
# accounting intact. The steps are in scripts/upgrade_test.py; output lines start with
# [upgrade], logs and snapshots are in .cache/upgrade/. Non-zero exit on any difference.
#
# Environment: UPGRADE_FROM (the previous release's commit, default below), UPGRADE_DB
# (default ifu_upgrade_test, dropped first), KEEP=1 (keep the database at the end),
# UPGRADE_STRICT_DEMO=0 (only report, do not fail on, the demo data's troubles: journal entries
# deleted by the uninstall, steps failing after a reinstall that could not load the demo data
# again; by default they fail the test),
# plus ensure_env.sh's.
set -euo pipefail
# shellcheck source=scripts/ensure_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh" full

# The previous release, 18.0.1.0.0: pinned here only.
UPGRADE_FROM=${UPGRADE_FROM:-7bd8bdb}
DB=${UPGRADE_DB:-ifu_upgrade_test}
# Odoo's own addons folders: ensure_env.sh's ADDONS_PATH without the repository.
ODOO_ADDONS=${ADDONS_PATH%,"$REPO_ROOT"}

args=(--from "$UPGRADE_FROM" --db "$DB" --odoo-addons "$ODOO_ADDONS" --repo "$REPO_ROOT" --cache-dir "$CACHE_DIR")
if [ "${KEEP:-0}" = 1 ]; then args+=(--keep); fi
if [ "${UPGRADE_STRICT_DEMO:-1}" = 1 ]; then args+=(--strict-demo); fi
exec "$PYTHON" "$REPO_ROOT/scripts/upgrade_test.py" "${args[@]}"
