#!/usr/bin/env bash
# make lint: OCA's 18.0 pre-commit checks, offline.
#
# .pre-commit-config.yaml is what a developer online runs (`pre-commit run -a`); its hooks come
# from GitHub. This script runs the same tools at the same versions (requirements-lint.txt,
# installed from PyPI into .cache/lint-venv by ensure_env.sh) with the same config files and
# the same file selection (git's files, less the config's `exclude`), and prints one line per
# check and a closing verdict. Exit 1 when a check that fails OCA's CI has findings.
#
#   make lint                 check only, nothing is written
#   make lint FIX=1           first apply the automatic fixes (ruff --fix, ruff format, the
#                             whitespace fixers, README.rst/index.html), then check
#   LINT_STRICT=1 make lint   also fail on pylint-odoo's optional checks (.pylintrc), which OCA
#                             reports without failing (--exit-zero)
#
# Outputs: .cache/lint/<check>.txt (each tool's output), .cache/lint/findings-by-file.txt.
set -uo pipefail
# shellcheck source=scripts/ensure_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/ensure_env.sh" lint || exit 1
set +e # ensure_env.sh sets -e; here a check with findings must not stop the others

cd "$REPO_ROOT" || exit 1
BIN=$LINT_VENV/bin
OUT=$CACHE_DIR/lint
rm -rf "$OUT"
mkdir -p "$OUT"
export NO_COLOR=1

# The files pre-commit would look at: git's files (new ones too), less the config's exclude.
mapfile -t FILES < <("$BIN/python" - <<'PY'
import re, subprocess, yaml
cfg = yaml.safe_load(open(".pre-commit-config.yaml"))
exclude = re.compile(cfg.get("exclude", "^$"))
out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], check=True,
                     capture_output=True, text=True).stdout
import os
for path in out.splitlines():
    if os.path.isfile(path) and not exclude.search(path):
        print(path)
PY
)
pick() { # pick REGEX [EXCLUDE_REGEX]: the selected files matching REGEX
    local f
    for f in "${FILES[@]}"; do
        [[ $f =~ $1 ]] || continue
        [ -n "${2:-}" ] && [[ $f =~ $2 ]] && continue
        printf '%s\n' "$f"
    done
}
mapfile -t EXE < <(for f in "${FILES[@]}"; do [ -x "$f" ] && printf '%s\n' "$f"; done)
mapfile -t PY < <(pick '\.py$')
mapfile -t ADDON_PY < <(pick '^invoice_followup(_sale|_queue)?/.*\.py$')
mapfile -t XML < <(pick '\.xml$')
mapfile -t MANIFESTS < <(pick '(^|/)__manifest__\.py$')
mapfile -t PO < <(pick '/i18n/[^/]+\.pot?$')
mapfile -t TEXT < <(pick '\.(py|xml|csv|js|css|scss|md|rst|txt|toml|cfg|yaml|yml|json|sh|html|po|pot)$|(^|/)(Makefile|run)$')
mapfile -t WS < <(pick '\.(py|xml|csv|js|css|scss|md|rst|txt|toml|cfg|yaml|yml|json|sh|html|po|pot)$|(^|/)(Makefile|run)$' '/README\.rst$|\.pot?$')

if [ "${FIX:-0}" = 1 ]; then
    echo "[lint] FIX=1: applying the automatic fixes"
    "$BIN/python" scripts/gen_addon_readme.py
    "$BIN/ruff" check --fix --exit-zero --quiet "${PY[@]}" >/dev/null # what is left: below
    "$BIN/ruff" format --quiet "${PY[@]}"
    "$BIN/trailing-whitespace-fixer" "${WS[@]}" >/dev/null
    "$BIN/end-of-file-fixer" "${WS[@]}" >/dev/null
    "$BIN/mixed-line-ending" --fix=lf "${TEXT[@]}" >/dev/null
    "$BIN/fix-encoding-pragma" --remove "${PY[@]}" >/dev/null 2>&1 # (warns it is deprecated)
    echo "[lint] fixes applied (review them with git diff); now checking"
fi

declare -a NAMES=() COUNTS=() VERDICTS=()
FAILED=0
# run NAME KIND(fail|info) COUNT_REGEX -- COMMAND...: run one check, keep its output, count.
run() {
    local name=$1 kind=$2 regex=$3
    shift 4
    local log=$OUT/$name.txt rc count verdict
    "$@" >"$log" 2>&1
    rc=$?
    count=$(grep -cE "$regex" "$log")
    if [ "$count" -eq 0 ] && [ "$rc" -ne 0 ]; then count=1; fi # a crash is a finding
    if [ "$count" -eq 0 ]; then
        verdict=ok
    elif [ "$kind" = fail ] || [ "${LINT_STRICT:-0}" = 1 ]; then
        verdict=FAIL
        FAILED=$((FAILED + 1))
    else
        verdict="reported (optional, does not fail)"
    fi
    if [ "$count" -ne 0 ]; then
        echo "---- $name ($count) ----"
        head -n "${LINT_SHOW:-40}" "$log"
        [ "$(wc -l <"$log")" -le "${LINT_SHOW:-40}" ] || echo "  ... full output: $log"
    fi
    NAMES+=("$name")
    COUNTS+=("$count")
    VERDICTS+=("$verdict")
}
LOC='^[^ :]+:[0-9]+' # path:line[:col]: ... as every tool below prints its findings

run forbidden-files fail '.' -- bash -c 'for f in "$@"; do
    case "$f" in *.rej) echo "$f: forbidden file (copier rejection junk)";;
    */i18n/en.po) echo "$f: en.po files cannot exist";; esac; done' _ "${FILES[@]}"
run readme fail 'out of date' -- "$BIN/python" scripts/gen_addon_readme.py --check
run pre-commit-config fail '.' -- bash -c '"$1" validate-config .pre-commit-config.yaml >/dev/null' _ "$BIN/pre-commit"
run ruff fail "$LOC" -- "$BIN/ruff" check --no-fix --output-format=concise --quiet "${PY[@]}"
run ruff-format fail '^Would reformat' -- "$BIN/ruff" format --check "${PY[@]}"
run pylint-odoo-mandatory fail "$LOC" -- \
    "$BIN/pylint" --rcfile=.pylintrc-mandatory --output-format=text "${ADDON_PY[@]}"
run pylint-odoo-optional info "$LOC" -- \
    "$BIN/pylint" --rcfile=.pylintrc --output-format=text --exit-zero "${ADDON_PY[@]}"
run oca-checks-odoo-module fail "$LOC" -- "$BIN/oca-checks-odoo-module" "${MANIFESTS[@]}"
run oca-checks-po fail "$LOC" -- "$BIN/oca-checks-po" --disable=po-pretty-format "${PO[@]}"
run check-xml fail '.' -- "$BIN/check-xml" "${XML[@]}"
run debug-statements fail '.' -- "$BIN/debug-statement-hook" "${PY[@]}"
run check-docstring-first fail '.' -- "$BIN/check-docstring-first" "${PY[@]}"
run check-case-conflict fail '.' -- "$BIN/check-case-conflict" "${FILES[@]}"
run check-executables-have-shebangs fail '.' -- "$BIN/check-executables-have-shebangs" "${EXE[@]}"
run check-merge-conflict fail '.' -- "$BIN/check-merge-conflict" \
    $(pick '.' '/README\.rst$|^docs/.*\.rst$')
run check-symlinks fail '.' -- "$BIN/check-symlinks" "${FILES[@]}"
# The three fixers of pre-commit-hooks, in check mode (they only know how to rewrite).
run whitespace fail '.' -- "$BIN/python" - "${WS[@]}" <<'PY'
import sys
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    if not data:
        continue
    for no, line in enumerate(data.split(b"\n"), 1):
        if line.rstrip(b"\r") != line.rstrip(b"\r").rstrip():
            print(f"{path}:{no}: trailing whitespace (trailing-whitespace)")
    if not data.endswith(b"\n") or data.endswith(b"\n\n"):
        print(f"{path}: must end with exactly one newline (end-of-file-fixer)")
PY
run mixed-line-ending fail '.' -- "$BIN/python" - "${TEXT[@]}" <<'PY'
import sys
for path in sys.argv[1:]:
    if b"\r" in open(path, "rb").read():
        print(f"{path}: CR or CRLF line endings (mixed-line-ending --fix=lf)")
PY
run fix-encoding-pragma fail '.' -- "$BIN/python" - "${PY[@]}" <<'PY'
import re, sys
for path in sys.argv[1:]:
    head = open(path, "rb").read().split(b"\n")[:2]
    if any(re.match(rb"#.*coding[:=]", line) for line in head):
        print(f"{path}: encoding pragma to remove (fix-encoding-pragma --remove)")
PY

# Findings grouped by file, for whoever fixes them.
"$BIN/python" - "$OUT" <<'PY' >"$OUT/findings-by-file.txt"
import collections, os, re, sys
out = sys.argv[1]
by_file = collections.defaultdict(list)
for name in sorted(os.listdir(out)):
    if not name.endswith(".txt") or name == "findings-by-file.txt":
        continue
    check = name[:-4]
    for line in open(os.path.join(out, name), encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"(?:Would reformat: )?([^ :]+\.[A-Za-z]+|[^ :]+/[^ :]+)(?::|$)", line)
        if m and os.path.exists(m.group(1)):
            by_file[m.group(1)].append(f"[{check}] {line}")
for path in sorted(by_file):
    print(f"== {path} ({len(by_file[path])})")
    for line in by_file[path]:
        print(f"  {line}")
PY

echo
echo "[lint] summary (each tool's output in $OUT/, by file in $OUT/findings-by-file.txt)"
for i in "${!NAMES[@]}"; do
    printf '  %-32s %6s  %s\n' "${NAMES[$i]}" "${COUNTS[$i]}" "${VERDICTS[$i]}"
done
if [ "$FAILED" -ne 0 ]; then
    echo "[lint] FAILED: $FAILED of ${#NAMES[@]} checks have findings."
    echo "[lint] automatic fixes: make lint FIX=1 (ruff --fix, ruff format, whitespace, readme);"
    echo "       pylint-odoo and the remaining ruff findings are fixed by hand."
    exit 1
fi
echo "[lint] OK: ${#NAMES[@]} checks, no finding that fails."
