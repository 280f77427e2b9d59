#!/usr/bin/env bash
# Make this machine ready to run and test invoice_followup, installing only what is missing.
#
#   scripts/ensure_env.sh [full|python]          set up, then print what was found
#   source scripts/ensure_env.sh [full|python]   same, and leave PYTHON, ODOO_ROOT,
#                                                ADDONS_PATH, REPO_ROOT, CACHE_DIR set
#
# full (default): Odoo located (ODOO_SRC or an importable `odoo`), Debian packages
#   (PostgreSQL, wkhtmltopdf, Arabic fonts, chromium, poppler-utils, build deps),
#   a running PostgreSQL with a superuser role for this OS user, Odoo's Python
#   requirements and ours (requirements.txt), OCA's queue_job 18.0 (for the optional
#   invoice_followup_queue; pip install --no-deps).
# python: only the interpreter and requirements.txt (enough to build the wheel).
# pytest: full, plus requirements-dev.txt (pytest-odoo) in the same python.
# lint: only the linters of requirements-lint.txt, in their own venv .cache/lint-venv
#   (LINT_VENV; no Odoo, no PostgreSQL needed).
#
# Environment: PYTHON (default python3), ODOO_SRC (path to an Odoo 18.0 source tree;
# remembered in a .pth file in PYTHON's site-packages so later runs need no ODOO_SRC).
# Idempotent; when nothing is missing it runs in well under a second.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE_DIR=$REPO_ROOT/.cache
HELPER=$REPO_ROOT/scripts/odoo_helper.py
ENSURE_MODE=${1:-full}
PTH_NAME=odoo-src.pth

_say() { printf '[setup] %s\n' "$*" >&2; }
_die() {
    printf '\n[setup] ERROR: %s\n' "$1" >&2
    shift
    local line
    for line in "$@"; do
        if [ -n "$line" ]; then printf '          %s\n' "$line" >&2; else echo >&2; fi
    done
    exit 1
}

# Run a command as root: directly when we are root, else through passwordless sudo.
_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 126
    fi
}

# ----------------------------------------------------------------------------- apt
_APT_UPDATED=0
_apt_install() {
    [ "$#" -gt 0 ] || return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        _die "missing system packages: $*" "This is not a Debian/Ubuntu system: install their equivalents, then run again."
    fi
    if [ "$_APT_UPDATED" -eq 0 ]; then
        _say "apt-get update (installing: $*)"
        _as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            || _die "apt-get update failed (are you root, or is passwordless sudo available?)" \
                "Missing packages: $*"
        _APT_UPDATED=1
    fi
    _say "apt-get install $*"
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        || _die "apt-get install failed for: $*"
}

# Print those of the given Debian packages that are not installed.
_missing_debs() {
    command -v dpkg-query >/dev/null 2>&1 || return 0
    local installed pkg
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null \
        | awk '$2 ~ /^ii/ {print $1}')
    for pkg in "$@"; do
        grep -qx "$pkg" <<<"$installed" || printf '%s ' "$pkg"
    done
}

_has_any() {
    local c
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 && return 0; done
    return 1
}

# ----------------------------------------------------------------------------- python
_python_info() {
    local out
    out=$("$1" "$HELPER" python-info) || return 1
    eval "$out"
}

_select_python() {
    local requested=${PYTHON:-python3}
    command -v "$requested" >/dev/null 2>&1 \
        || _die "PYTHON=$requested was not found." "Install Python 3.10 to 3.12 or pass PYTHON=/path/to/python3."
    _python_info "$requested" || _die "PYTHON=$requested does not run the helper script."
    case "$PY_VERSION" in
        3.10 | 3.11 | 3.12) ;;
        *) _say "warning: Python $PY_VERSION; Odoo 18.0 supports 3.10 to 3.12." ;;
    esac
    PYTHON=$PY_EXECUTABLE
    # A distribution's own python (PEP 668) refuses pip installs: use a project venv that
    # still sees the system's packages (e.g. a Debian-packaged Odoo or its python3-* deps).
    # It is created by _ensure_venv, once Odoo has been found.
    NEED_VENV=0
    if [ "$PY_EXTERNALLY_MANAGED" = 1 ]; then
        if [ -x "$REPO_ROOT/.venv/bin/python" ]; then
            PYTHON=$REPO_ROOT/.venv/bin/python
            _python_info "$PYTHON" || _die "$REPO_ROOT/.venv/bin/python does not run; remove .venv and retry."
        else
            NEED_VENV=1
        fi
    fi
}

_ensure_venv() {
    [ "$NEED_VENV" = 1 ] || return 0
    local venv=$REPO_ROOT/.venv
    if ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
        _apt_install "python${PY_VERSION}-venv"
    fi
    _say "$PYTHON is managed by the system (PEP 668): creating $venv"
    "$PYTHON" -m venv --system-site-packages "$venv" || _die "could not create $venv"
    PYTHON=$venv/bin/python
    _python_info "$PYTHON" || _die "$venv/bin/python does not run; remove $venv and retry."
    NEED_VENV=0
}

_odoo_missing_message() {
    _die "Odoo 18.0 was not found: ODOO_SRC is not set and $PYTHON cannot import 'odoo'." \
        "" \
        "Say once where your Odoo 18.0 source tree is (a checkout of Odoo's 18.0 branch" \
        "or an extracted 18.0 source release, the folder holding odoo-bin), e.g.:" \
        "" \
        "    make test ODOO_SRC=/path/to/odoo-18.0" \
        "    make run  ODOO_SRC=/path/to/odoo-18.0" \
        "" \
        "It is remembered in $PTH_NAME in that python's site-packages, so later runs" \
        "need no ODOO_SRC. Or choose a python that can already import odoo: PYTHON=..."
}

# Check (without importing it: its requirements may not be installed yet) that Odoo is there.
_check_odoo_given() {
    if [ -n "${ODOO_SRC:-}" ]; then
        [ -d "$ODOO_SRC" ] || _die "ODOO_SRC=$ODOO_SRC does not exist."
        ODOO_SRC=$(cd "$ODOO_SRC" && pwd -P)
        [ -f "$ODOO_SRC/odoo/release.py" ] && [ -f "$ODOO_SRC/odoo/__init__.py" ] \
            || _die "ODOO_SRC=$ODOO_SRC is not an Odoo source tree (no odoo/release.py in it)." \
                "Point it to the folder that holds odoo-bin and the odoo/ package."
        grep -Eq "^version_info = \(18, 0," "$ODOO_SRC/odoo/release.py" \
            || _die "ODOO_SRC=$ODOO_SRC is not Odoo 18.0 ($(grep -m1 '^version_info' "$ODOO_SRC/odoo/release.py"))."
    else
        local out
        out=$("$PYTHON" "$HELPER" locate-odoo 2>/dev/null) || _odoo_missing_message
        eval "$out"
    fi
}

# With ODOO_SRC: write/refresh <site-packages>/odoo-src.pth, then make sure that this is
# the odoo the python now finds.
_register_odoo_src() {
    local target out
    if [ -n "${ODOO_SRC:-}" ]; then
        target=$PY_PURELIB
        if ! { mkdir -p "$target" && [ -w "$target" ]; } 2>/dev/null; then
            target=$("$PYTHON" -c 'import site; print(site.getusersitepackages())')
            mkdir -p "$target"
        fi
        if [ "$(cat "$target/$PTH_NAME" 2>/dev/null)" != "$ODOO_SRC" ]; then
            printf '%s\n' "$ODOO_SRC" >"$target/$PTH_NAME"
            _say "registered ODOO_SRC in $target/$PTH_NAME"
        fi
    fi
    out=$("$PYTHON" "$HELPER" locate-odoo 2>/dev/null) || _odoo_missing_message
    eval "$out"
    if [ -n "${ODOO_SRC:-}" ] && [ "$ODOO_ROOT" != "$ODOO_SRC" ]; then
        _die "ODOO_SRC=$ODOO_SRC was registered, but $PYTHON imports odoo from $ODOO_PKG_DIR." \
            "Another odoo comes first on sys.path (PYTHONPATH, or an installed odoo package):" \
            "remove it, or run without ODOO_SRC to use that one."
    fi
    [ "$ODOO_VERSION" = "18.0" ] \
        || _die "$PYTHON imports Odoo $ODOO_VERSION from $ODOO_PKG_DIR; this addon needs 18.0." \
            "Pass ODOO_SRC=/path/to/odoo-18.0 or another PYTHON."
}

# ----------------------------------------------------------------------------- system packages
_ensure_system_packages() {
    local -a want=()
    _has_any wkhtmltopdf || want+=(wkhtmltopdf)
    _has_any chromium chromium-browser google-chrome google-chrome-stable || want+=(chromium)
    _has_any pdftoppm || want+=(poppler-utils)
    _has_any pg_isready || want+=(postgresql-client)
    _has_any gcc || want+=(gcc)
    # shellcheck disable=SC2207
    want+=($(_missing_debs fonts-noto-core fonts-kacst fonts-hosny-amiri fonts-dejavu-core \
        libpq-dev libldap2-dev libsasl2-dev))
    if [ "$PY_HAS_HEADERS" != 1 ]; then
        case "$PY_PREFIX" in
            /usr | "$REPO_ROOT/.venv") want+=(python3-dev) ;;
            *) _say "warning: no Python.h for $PYTHON; psycopg2/python-ldap may fail to build." ;;
        esac
    fi
    [ "${#want[@]}" -eq 0 ] || _apt_install "${want[@]}"
    # Odoo converts its CSS for right-to-left languages (Arabic) with rtlcss.
    if ! _has_any rtlcss; then
        _has_any npm || _apt_install npm
        _say "installing rtlcss (npm) for right-to-left pages"
        npm install -g --no-audit --no-fund rtlcss >/dev/null 2>&1 \
            || _say "warning: npm could not install rtlcss; Arabic pages will lack right-to-left CSS."
    fi
}

# ----------------------------------------------------------------------------- PostgreSQL
_pg_local() {
    # Only a local server can be installed/started/administered from here.
    case "${PGHOST:-}" in
        "" | /* | localhost | 127.0.0.1 | ::1) return 0 ;;
        *) return 1 ;;
    esac
}

_ensure_postgres() {
    if ! pg_isready -q 2>/dev/null; then
        _pg_local || _die "PostgreSQL at PGHOST=$PGHOST does not answer (pg_isready)."
        if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
            _apt_install postgresql
        fi
        local ver
        ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        if [ ! -d "/etc/postgresql/$ver/main" ]; then
            _say "creating PostgreSQL cluster $ver/main"
            _as_root pg_createcluster "$ver" main >/dev/null || _die "pg_createcluster $ver main failed"
        fi
        if ! pg_isready -q 2>/dev/null; then
            _say "starting PostgreSQL $ver/main"
            _as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
        fi
        for _ in $(seq 1 30); do
            pg_isready -q 2>/dev/null && break
            sleep 1
        done
        pg_isready -q 2>/dev/null \
            || _die "PostgreSQL $ver did not start." "See /var/log/postgresql/postgresql-$ver-main.log"
    fi
    # A superuser role for the current OS user (Odoo connects as it, without a password).
    local me
    me=${PGUSER:-$(id -un)}
    if [ "$(psql -X -d postgres -Atqc 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user' 2>/dev/null)" != t ]; then
        _pg_local && [ "$me" != postgres ] \
            || _die "PostgreSQL role '$me' is missing or not a superuser and cannot be fixed from here."
        _say "creating PostgreSQL superuser role '$me'"
        local sql="DO \$\$BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$me') THEN
                ALTER ROLE \"$me\" SUPERUSER LOGIN;
            ELSE
                CREATE ROLE \"$me\" SUPERUSER LOGIN;
            END IF; END\$\$;"
        if [ "$(id -u)" -eq 0 ]; then
            (cd / && runuser -u postgres -- psql -X -q -d postgres -c "$sql") \
                || _die "could not create role '$me'"
        else
            (cd / && sudo -n -u postgres psql -X -q -d postgres -c "$sql") \
                || _die "could not create role '$me'" "Run: sudo -u postgres createuser -s $me"
        fi
    fi
}

# ----------------------------------------------------------------------------- pip
_ensure_pip() {
    [ "$PY_HAS_PIP" = 1 ] && return 0
    _say "installing pip for $PYTHON"
    "$PYTHON" -m ensurepip --upgrade >/dev/null 2>&1 || _apt_install python3-pip
    _python_info "$PYTHON"
    [ "$PY_HAS_PIP" = 1 ] || _die "$PYTHON has no pip."
}

_pip_install() {
    _ensure_pip
    "$PYTHON" -m pip install --disable-pip-version-check -q "$@" \
        || _die "pip install $* failed (see above)."
}

_ensure_odoo_requirements() {
    local reqs=$ODOO_ROOT/requirements.txt missing tmp
    [ -f "$reqs" ] || return 0 # an installed odoo distribution brought its own dependencies
    missing=$("$PYTHON" "$HELPER" missing-reqs "$reqs")
    [ -n "$missing" ] || return 0
    _say "installing Odoo's Python requirements (missing: $missing)"
    mkdir -p "$CACHE_DIR"
    tmp=$CACHE_DIR/odoo-requirements.txt
    # cbor2 5.4.2 (pinned for Python < 3.12) does not build on recent toolchains; 5.6.2 does.
    sed -E 's/^cbor2==5\.4\.2/cbor2==5.6.2/' "$reqs" >"$tmp"
    _pip_install -r "$tmp"
}

_ensure_project_requirements() {
    local missing
    missing=$("$PYTHON" "$HELPER" missing-reqs "$REPO_ROOT/requirements.txt")
    [ -n "$missing" ] || return 0
    _say "installing the project's requirements (missing: $missing)"
    _pip_install -r "$REPO_ROOT/requirements.txt"
}

# OCA's queue_job 18.0 (for the optional invoice_followup_queue): an OCA addon wheel whose
# only requirement besides Odoo is requests (Odoo's own). --no-deps, or pip would fetch odoo
# itself from PyPI. The wheel puts odoo/addons/queue_job in site-packages, on odoo.addons'
# namespace path; ADDONS_PATH names that folder too (below).
QUEUE_JOB_SPEC='odoo-addon-queue-job>=18.0a,<18.1dev'
_ensure_queue_job() {
    "$PYTHON" -c 'import importlib.metadata as m; m.version("odoo-addon-queue-job")' \
        >/dev/null 2>&1 && return 0
    _say "installing OCA's queue_job ($QUEUE_JOB_SPEC, --no-deps)"
    _pip_install --no-deps "$QUEUE_JOB_SPEC"
}

_ensure_dev_requirements() {
    local missing
    missing=$("$PYTHON" "$HELPER" missing-reqs "$REPO_ROOT/requirements-dev.txt")
    [ -n "$missing" ] || return 0
    _say "installing the development requirements (missing: $missing)"
    _pip_install -r "$REPO_ROOT/requirements-dev.txt"
}

# The linters live in their own venv, pinned; a stamp holding requirements-lint.txt says
# whether that venv is current, so a second run installs nothing.
_ensure_lint_venv() {
    LINT_VENV=$CACHE_DIR/lint-venv
    local reqs=$REPO_ROOT/requirements-lint.txt stamp=$CACHE_DIR/lint-venv/.requirements-lint.txt
    if [ -x "$LINT_VENV/bin/python" ] && cmp -s "$reqs" "$stamp"; then
        export LINT_VENV
        return 0
    fi
    if [ ! -x "$LINT_VENV/bin/python" ]; then
        if ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
            _apt_install "python${PY_VERSION}-venv"
        fi
        _say "creating the linters' venv $LINT_VENV"
        "$PYTHON" -m venv "$LINT_VENV" || _die "could not create $LINT_VENV"
    fi
    _say "installing the linters (requirements-lint.txt) into $LINT_VENV"
    "$LINT_VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$reqs" \
        || _die "pip install -r requirements-lint.txt failed (see above)."
    cp "$reqs" "$stamp"
    export LINT_VENV
}

# ----------------------------------------------------------------------------- main
ensure_env_main() {
    mkdir -p "$CACHE_DIR"
    _select_python
    if [ "$ENSURE_MODE" = lint ]; then
        _ensure_lint_venv
        export PYTHON REPO_ROOT CACHE_DIR
        return 0
    fi
    if [ "$ENSURE_MODE" = python ]; then
        _ensure_venv
        _ensure_project_requirements
        export PYTHON REPO_ROOT CACHE_DIR
        return 0
    fi
    _check_odoo_given # first: without Odoo, stop at once
    _ensure_system_packages
    _ensure_venv
    _ensure_postgres
    _register_odoo_src
    _ensure_odoo_requirements
    _ensure_project_requirements
    _ensure_queue_job
    [ "$ENSURE_MODE" != pytest ] || _ensure_dev_requirements
    ADDONS_PATH=$ODOO_ROOT/odoo/addons
    [ -d "$ODOO_ROOT/addons" ] && ADDONS_PATH=$ODOO_ROOT/addons,$ADDONS_PATH
    # OCA addons installed as wheels (queue_job): site-packages/odoo/addons
    [ -d "$PY_PURELIB/odoo/addons" ] && ADDONS_PATH=$ADDONS_PATH,$PY_PURELIB/odoo/addons
    ADDONS_PATH=$ADDONS_PATH,$REPO_ROOT
    export PYTHON ODOO_ROOT ADDONS_PATH REPO_ROOT CACHE_DIR
}

ensure_env_main
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "PYTHON=$PYTHON"
    if [ "$ENSURE_MODE" = lint ]; then
        echo "LINT_VENV=$LINT_VENV"
    elif [ "$ENSURE_MODE" != python ]; then
        echo "ODOO_ROOT=$ODOO_ROOT (Odoo $ODOO_VERSION)"
        echo "ADDONS_PATH=$ADDONS_PATH"
    fi
fi
