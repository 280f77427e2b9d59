#!/usr/bin/env python3
"""Small helpers for scripts/*.sh, run with the project's python.

Only the standard library at import time: `locate-odoo`, `missing-reqs` and
`free-port` must work before Odoo's requirements are installed.  The database
commands import psycopg2 (one of Odoo's requirements) lazily.

    odoo_helper.py python-info
    odoo_helper.py locate-odoo
    odoo_helper.py missing-reqs FILE [FILE...]
    odoo_helper.py free-port START
    odoo_helper.py port-free PORT
    odoo_helper.py db-state DB MODULE
    odoo_helper.py db-drop DB [--filestore-root DIR]
    odoo_helper.py summarize LOG --db DB --module MODULE --odoo-rc RC
"""

import argparse
import importlib.metadata
import importlib.util
import os
import re
import shutil
import socket
import sys
import sysconfig


def _print_vars(**values):
    """Print shell-safe NAME='value' lines for `eval`."""
    for name, value in values.items():
        quoted = str(value).replace("'", "'\"'\"'")
        print(f"{name}='{quoted}'")


# --------------------------------------------------------------------------- python


def cmd_python_info(_args):
    """What ensure_env.sh needs to know about the interpreter, in one start."""
    stdlib = sysconfig.get_paths()["stdlib"]
    in_venv = sys.prefix != sys.base_prefix
    include = sysconfig.get_paths().get("include") or ""
    _print_vars(
        PY_VERSION="%d.%d" % sys.version_info[:2],
        PY_PREFIX=sys.prefix,
        PY_EXECUTABLE=sys.executable,
        PY_PURELIB=sysconfig.get_paths()["purelib"],
        PY_EXTERNALLY_MANAGED=int(
            not in_venv and os.path.exists(os.path.join(stdlib, "EXTERNALLY-MANAGED"))
        ),
        PY_HAS_HEADERS=int(
            bool(include) and os.path.exists(os.path.join(include, "Python.h"))
        ),
        PY_HAS_PIP=int(importlib.util.find_spec("pip") is not None),
    )


def cmd_locate_odoo(_args):
    """Find `odoo` without importing it (its requirements may not be there yet)."""
    spec = importlib.util.find_spec("odoo")
    if spec is None or not spec.submodule_search_locations:
        print("odoo is not importable", file=sys.stderr)
        return 1
    pkg_dir = os.path.realpath(list(spec.submodule_search_locations)[0])
    release = os.path.join(pkg_dir, "release.py")
    version = "unknown"
    if os.path.exists(release):
        namespace = {}
        try:
            with open(release, encoding="utf-8") as fh:
                exec(compile(fh.read(), release, "exec"), namespace)  # noqa: S102
            version = namespace.get("serie") or namespace.get("version", "unknown")
        except Exception as exc:  # noqa: BLE001
            print(f"cannot read {release}: {exc}", file=sys.stderr)
    _print_vars(
        ODOO_PKG_DIR=pkg_dir, ODOO_ROOT=os.path.dirname(pkg_dir), ODOO_VERSION=version
    )
    return 0


def _requirement_parser():
    try:
        from packaging.requirements import Requirement
    except ImportError:
        try:
            from pip._vendor.packaging.requirements import Requirement
        except ImportError:
            return None
    return Requirement


def cmd_missing_reqs(args):
    """Print the requirements (whose markers apply here) that are not installed at all.

    Presence only, not versions: an environment that already runs Odoo with
    slightly different versions is left alone.
    """
    Requirement = _requirement_parser()
    missing = []
    for path in args.files:
        with open(path, encoding="utf-8") as fh:
            for raw in fh:
                line = raw.split(" #", 1)[0].strip()
                if not line or line.startswith(("#", "-")):
                    continue
                if Requirement is None:
                    # No parser (no pip either): everything will be installed anyway.
                    missing.append(line)
                    continue
                req = Requirement(line)
                if req.marker is not None and not req.marker.evaluate():
                    continue
                try:
                    importlib.metadata.distribution(req.name)
                except importlib.metadata.PackageNotFoundError:
                    missing.append(req.name)
    if missing:
        print(" ".join(missing))
    return 0


# --------------------------------------------------------------------------- ports


def _port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def cmd_free_port(args):
    for port in range(args.start, args.start + 200):
        if _port_is_free(port):
            print(port)
            return 0
    print(f"no free port in {args.start}..{args.start + 199}", file=sys.stderr)
    return 1


def cmd_port_free(args):
    return 0 if _port_is_free(args.port) else 1


# --------------------------------------------------------------------------- databases


def _connect(dbname):
    import psycopg2  # noqa: PLC0415  (Odoo's requirement, installed by ensure_env.sh)

    conn = psycopg2.connect(dbname=dbname)
    conn.autocommit = True
    return conn


def _quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def cmd_db_state(args):
    """Print absent | no-odoo | no-module | the module's state (installed, ...)."""
    import psycopg2  # noqa: PLC0415

    conn = _connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.db,))
            exists = cr.fetchone() is not None
    finally:
        conn.close()
    if not exists:
        print("absent")
        return 0
    try:
        conn = _connect(args.db)
    except psycopg2.Error as exc:
        print(f"cannot connect to {args.db}: {exc}", file=sys.stderr)
        print("no-odoo")
        return 0
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
            if not cr.fetchone()[0]:
                print("no-odoo")
                return 0
            cr.execute(
                "SELECT state FROM ir_module_module WHERE name = %s", (args.module,)
            )
            row = cr.fetchone()
            print(row[0] if row else "no-module")
    finally:
        conn.close()
    return 0


def cmd_db_drop(args):
    conn = _connect("postgres")
    try:
        with conn.cursor() as cr:
            # psycopg2 >= 2.9: no `with conn:` here, it would open a transaction block.
            cr.execute(f"DROP DATABASE IF EXISTS {_quote_ident(args.db)} WITH (FORCE)")
    finally:
        conn.close()
    if args.filestore_root:
        shutil.rmtree(
            os.path.join(args.filestore_root, "filestore", args.db), ignore_errors=True
        )
    return 0


# --------------------------------------------------------------------------- test log

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
LOG_RE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) "
    r"(?P<logger>[^\s:]+): (?P<msg>.*)$"
)
# odoo/service/server.py (ThreadedServer.run): "%s when loading database %r", where
# OdooTestResult.__str__ is "{failures} failed, {errors} error(s) of {testsRun} tests"
SUMMARY_RE = re.compile(
    r"^(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<tests>\d+) tests "
    r"when loading database '(?P<db>[^']*)'"
)
# odoo/tests/result.py (OdooTestResult.log_stats): "%s: %d tests %.2fs %d queries"
STATS_RE = re.compile(r"^(?P<module>\S+): (?P<tests>\d+) tests [\d.]+s \d+ queries")


SUBTEST_RE = re.compile(r"^Subtest (?P<test>\S+)")


def parse_test_log(lines, db, module):
    """Read an Odoo 18 `--log-level=test` log (see odoo/tests/result.py)."""
    result = {
        "summary": None,  # (failures, errors, tests) from the closing line(s)
        "started": set(),  # (logger, "Class.method") of every test started
        "failing": set(),  # (logger, "Class.method") with a FAIL/ERROR record
        "failure_records": 0,  # FAIL/ERROR records, setUpClass errors included
        "skipped": [],  # "Class.method : reason"
        "error_lines": [],  # every ERROR / CRITICAL record
    }
    for raw in lines:
        line = ANSI_RE.sub("", raw.rstrip("\n"))
        match = LOG_RE.match(line)
        if not match:
            continue
        level, logger, msg = match["level"], match["logger"], match["msg"].rstrip()
        if level in ("ERROR", "CRITICAL"):
            result["error_lines"].append(line)
        summary = SUMMARY_RE.match(msg)
        if summary and summary["db"] == db:
            # one line per Odoo run in the log (make test: a second one for
            # invoice_followup_queue): added up
            result["summary"] = tuple(
                total + int(summary[key])
                for total, key in zip(
                    result["summary"] or (0, 0, 0),
                    ("failed", "errors", "tests"),
                    strict=True,
                )
            )
            continue
        # the module's tests and its bridges' (invoice_followup_sale)
        if (
            not logger.startswith((f"odoo.addons.{module}.", f"odoo.addons.{module}_"))
            and logger != "odoo.tests.suite"
        ):
            continue
        # OdooTestResult logs through the test module's logger: "Starting %s ...",
        # "skipped %s : %s", and at ERROR "FAIL: %s" / "ERROR: %s" (+ traceback).
        if msg.startswith("Starting ") and msg.endswith(" ..."):
            result["started"].add((logger, msg[len("Starting ") : -len(" ...")]))
        elif msg.startswith("skipped "):
            result["skipped"].append(msg[len("skipped ") :])
        elif level == "ERROR" and msg.startswith(("FAIL: ", "ERROR: ")):
            result["failure_records"] += 1
            desc = msg.split(": ", 1)[1]
            sub = SUBTEST_RE.match(desc)
            result["failing"].add((logger, sub["test"] if sub else desc))
    return result


def cmd_summarize(args):
    with open(args.log, encoding="utf-8", errors="replace") as fh:
        parsed = parse_test_log(fh, args.db, args.module)

    problems = []
    if parsed["summary"] is not None:
        failures, errors, tests = parsed["summary"]
        failed = failures + errors
    else:
        tests = len(parsed["started"])
        failed = parsed["failure_records"]
        problems.append("Odoo did not print its test summary (it stopped early)")
    # A test counts as passed when it ran, was not skipped and logged no FAIL/ERROR
    # (errors outside a test, e.g. in setUpClass, count as failed but fail no run test).
    failing_run = len(parsed["failing"] & parsed["started"])
    skipped = min(len(parsed["skipped"]), tests)
    passed = max(tests - failing_run - skipped, 0)

    state = None
    try:
        import io  # noqa: PLC0415
        from contextlib import redirect_stdout  # noqa: PLC0415

        buf = io.StringIO()
        with redirect_stdout(buf):
            cmd_db_state(argparse.Namespace(db=args.db, module=args.module))
        state = buf.getvalue().strip()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"could not read the module state in {args.db}: {exc}")
    if state is not None and state != "installed":
        problems.append(
            f"module {args.module} is not installed in {args.db} (state: {state})"
        )
    if args.odoo_rc != 0:
        problems.append(f"Odoo exited with status {args.odoo_rc}")
    if parsed["error_lines"]:
        problems.append(f"{len(parsed['error_lines'])} ERROR/CRITICAL log line(s)")
    if tests == 0:
        problems.append("no test ran")

    print()
    print("=" * 70)
    print(f"Test log: {args.log}")
    if parsed["error_lines"]:
        print("ERROR/CRITICAL lines:")
        for line in parsed["error_lines"][:20]:
            print("  " + line[:300])
        if len(parsed["error_lines"]) > 20:
            print(f"  ... and {len(parsed['error_lines']) - 20} more")
    if skipped:
        print(f"{skipped} test(s) skipped:")
        for reason in parsed["skipped"][:20]:
            print("  " + reason[:300])
    if problems:
        print("FAILED: " + "; ".join(problems))
        if failed == 0:
            # A broken run must never read as "0 failed".
            failed = 1
            print("(counted as 1 failure)")
    else:
        print("OK")
    print(f"{passed} passed, {failed} failed")
    return 1 if problems or failed else 0


# --------------------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("python-info").set_defaults(func=cmd_python_info)
    sub.add_parser("locate-odoo").set_defaults(func=cmd_locate_odoo)
    p = sub.add_parser("missing-reqs")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_missing_reqs)
    p = sub.add_parser("free-port")
    p.add_argument("start", type=int)
    p.set_defaults(func=cmd_free_port)
    p = sub.add_parser("port-free")
    p.add_argument("port", type=int)
    p.set_defaults(func=cmd_port_free)
    p = sub.add_parser("db-state")
    p.add_argument("db")
    p.add_argument("module")
    p.set_defaults(func=cmd_db_state)
    p = sub.add_parser("db-drop")
    p.add_argument("db")
    p.add_argument(
        "--filestore-root", help="Odoo data dir whose filestore/<db> to remove too"
    )
    p.set_defaults(func=cmd_db_drop)
    p = sub.add_parser("summarize")
    p.add_argument("log")
    p.add_argument("--db", required=True)
    p.add_argument("--module", required=True)
    p.add_argument("--odoo-rc", type=int, default=0)
    p.set_defaults(func=cmd_summarize)
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
