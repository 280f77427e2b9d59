#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark of the daily follow-up run, side by side with OCA's account_credit_control.

    make bench                      full size: 2,000 customers, 10,000 overdue invoices
    make bench BENCH_ARGS="--customers 100 --invoices 500 --skip-oca"      quick check
    make bench BENCH_ARGS=--help    every option

What it does (every database it touches is named ifu_bench_*):

1. ifu_bench_base_<customers>x<invoices>: a database with account_payment and sms (the
   dependencies of invoice_followup; account_credit_control needs less) and the
   generated customers and posted invoices, all overdue, due dates spread over 1 to 90
   days (a customer's invoices close to each other) so that customers are at different
   stages. Built once per size, seed and day (due dates are relative to today), then
   reused.
2. ifu_bench_ours: a copy of it with invoice_followup installed. ifu_bench_oca: a copy
   with account_credit_control 18.0 (its wheel is downloaded from PyPI into
   .cache/bench-addons at bench time; nothing of OCA is committed here).
3. One subprocess per measured side, so that time, queries and memory are its own:
   - ours: env['account.move']._cron_invoice_followup() (outside a cron it processes
     every due customer), stages configured without PDFs (no letter, no invoice PDFs
     attached), every other channel as installed (email, SMS, activities for the
     administrator as follow-up responsible); --email-only: the email alone;
   - OCA: a policy with one email level, credit.control.run.generate_credit_lines(), the
     lines set to be sent, then the credit.control.emailer wizard (communications + one
     mail per customer), with a mail template without the PDF report.
   Mails are queued on both sides (mail.mail, not sent); each measured transaction is
   rolled back, so the prepared databases stay as they were.
4. ours again: queries of one customer step for customers with 1, 5 and 20 invoices.
5. the insight refresh (invoice.followup.run._refresh_insight: payment behaviour,
   predicted payment dates, cash-in forecast) timed on 20,000 customers and 200,000
   invoices, most of them paid: ifu_bench_refresh_<customers>x<invoices> has
   invoice_followup, 200 customers with 2,000 invoices and their payments made
   through the ORM (plan_history), then 100 SQL copies of them (INSERT ... SELECT,
   new ids, new customers), ANALYZEd; built once per size, seed, day and addon
   files. --skip-refresh leaves it out, --refresh-only does it alone.

The machine is shared: the 1-minute load average at the end of each side is printed
with the figures.
"""

import argparse
import datetime
import glob
import hashlib
import importlib.util
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
CACHE_DIR = os.path.join(REPO_ROOT, ".cache")
DATA_DIR = os.path.join(CACHE_DIR, "bench-data")
LOG_DIR = os.path.join(CACHE_DIR, "bench-logs")
OCA_DIR = os.path.join(CACHE_DIR, "bench-addons")
OCA_SPEC = "odoo-addon-account-credit-control>=18.0a,<18.1dev"
DB_PREFIX = "ifu_bench_"
BASE_MODULES = "account_payment,sms"
# bump when the generated data changes: cached base databases are rebuilt
GEN_VERSION = 2
PROBE_SIZES = (1, 5, 20)
PROBES_PER_SIZE = 3
PROBE_DAYS_LATE = 20  # second reminder: email + SMS + activity
RESULT_MARK = "@@BENCH-RESULT "


# ============================================================================ helpers


def say(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def odoo_root():
    spec = importlib.util.find_spec("odoo")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("[bench] odoo is not importable: run through `make bench`.")
    return os.path.dirname(os.path.realpath(list(spec.submodule_search_locations)[0]))


def core_addons_path():
    """Odoo's own addons folders (ADDONS_PATH of scripts/ensure_env.sh minus this
    repo)."""
    path = os.environ.get("ADDONS_PATH")
    if path:
        parts = [p for p in path.split(",") if p and os.path.realpath(p) != REPO_ROOT]
    else:
        root = odoo_root()
        parts = [os.path.join(root, "addons"), os.path.join(root, "odoo", "addons")]
    return [p for p in parts if os.path.isdir(p)]


def check_db_name(name):
    if not name.startswith(DB_PREFIX):
        raise SystemExit(
            f"[bench] refusing to touch database {name!r} (not {DB_PREFIX}*)"
        )
    return name


def pg_connect(dbname="postgres"):
    import psycopg2  # noqa: PLC0415

    conn = psycopg2.connect(dbname=dbname)
    conn.autocommit = True
    return conn


def qident(name):
    return '"' + name.replace('"', '""') + '"'


def db_exists(name):
    conn = pg_connect()
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cr.fetchone() is not None
    finally:
        conn.close()


def db_drop(name):
    check_db_name(name)
    conn = pg_connect()
    try:
        with conn.cursor() as cr:
            cr.execute(f"DROP DATABASE IF EXISTS {qident(name)} WITH (FORCE)")
    finally:
        conn.close()
    shutil.rmtree(os.path.join(DATA_DIR, "filestore", name), ignore_errors=True)


def db_copy(src, dst):
    check_db_name(src)
    db_drop(dst)
    conn = pg_connect()
    try:
        with conn.cursor() as cr:
            cr.execute(f"CREATE DATABASE {qident(dst)} TEMPLATE {qident(src)}")
    finally:
        conn.close()
    src_fs = os.path.join(DATA_DIR, "filestore", src)
    if os.path.isdir(src_fs):
        shutil.copytree(src_fs, os.path.join(DATA_DIR, "filestore", dst))


def db_vacuum_analyze(name):
    """Fresh planner statistics and no dead rows after bulk loads, as a production
    database would have (autovacuum may not have run yet)."""
    conn = pg_connect(check_db_name(name))
    try:
        with conn.cursor() as cr:
            cr.execute("VACUUM ANALYZE")
    finally:
        conn.close()


def db_param(name, key):
    """ir.config_parameter value in database ``name`` (None when absent)."""
    if not db_exists(name):
        return None
    conn = pg_connect(name)
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT to_regclass('ir_config_parameter') IS NOT NULL")
            if not cr.fetchone()[0]:
                return None
            cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (key,))
            row = cr.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


def db_set_param(name, key, value):
    """Set ir.config_parameter ``key`` of database ``name`` (SQL, no Odoo)."""
    conn = pg_connect(check_db_name(name))
    try:
        with conn.cursor() as cr:
            cr.execute(
                """INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)
                   ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""",
                (key, value),
            )
    finally:
        conn.close()


def addon_hash(addon_dir):
    """A hash of the addon's files (a database built with it is rebuilt when they
    change: new fields, new columns)."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(addon_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")):
                path = os.path.join(root, name)
                digest.update(os.path.relpath(path, addon_dir).encode())
                with open(path, "rb") as fh:
                    digest.update(fh.read())
    return digest.hexdigest()[:16]


def odoo_install(db, modules, addons_path, log_name, demo=False):
    """Install ``modules`` into ``db`` (created when missing) with odoo in a
    subprocess; with their demo data when ``demo`` (the database must be new)."""
    check_db_name(db)
    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, log_name)
    cmd = [
        sys.executable,
        "-m",
        "odoo",
        f"--database={db}",
        f"--addons-path={','.join(addons_path)}",
        f"--data-dir={DATA_DIR}",
        f"--init={modules}",
        *([] if demo else ["--without-demo=all"]),
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads=0",
        "--log-level=warn",
        f"--logfile={log}",
    ]
    start = time.perf_counter()
    rc = subprocess.call(cmd)
    if rc != 0:
        sys.exit(
            f"[bench] installing {modules} into {db} failed (exit {rc}); see {log}"
        )
    return time.perf_counter() - start


def run_worker(phase, db, addons_path, options, log_name, script=None):
    """Run ``script`` (default: this one) as a worker subprocess; return its JSON
    result."""
    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, log_name)
    cmd = [
        sys.executable,
        script or os.path.abspath(__file__),
        "--worker",
        phase,
        "--db",
        check_db_name(db),
        "--worker-addons-path",
        ",".join(addons_path),
        "--worker-options",
        json.dumps(options),
    ]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
        else:
            print(line, file=sys.stderr)
    if proc.returncode != 0 or result is None:
        sys.exit(
            f"[bench] worker {phase} on {db} failed (exit {proc.returncode}); see {log}"
        )
    return result


# ============================================================================ OCA addon


def pip_download(spec, wheels):
    """``pip download --no-deps`` of ``spec`` into ``wheels``; its exit code."""
    return subprocess.call(
        [sys.executable, "-m", "pip", "download", "--no-deps"]
        + ["--disable-pip-version-check", "-q", "-d", wheels, spec]
    )


def ensure_oca_addon(spec, refresh=False):
    """account_credit_control unpacked into .cache/bench-addons/odoo/addons; returns
    (addons folder, wheel version). The wheel is fetched by pip, never committed."""
    addons = os.path.join(OCA_DIR, "odoo", "addons")
    wheels = os.path.join(OCA_DIR, "wheels")
    if refresh:
        shutil.rmtree(OCA_DIR, ignore_errors=True)
    found = sorted(
        glob.glob(os.path.join(wheels, "odoo_addon_account_credit_control-*.whl"))
    )
    if not found or not os.path.isdir(os.path.join(addons, "account_credit_control")):
        os.makedirs(wheels, exist_ok=True)
        say(f"downloading {spec} (pip download --no-deps)")
        rc = pip_download(spec, wheels)
        found = sorted(
            glob.glob(os.path.join(wheels, "odoo_addon_account_credit_control-*.whl"))
        )
        if rc != 0 or not found:
            sys.exit(
                f"[bench] could not download {spec}; run with --skip-oca to "
                "bench ours alone"
            )
        wheel = found[-1]
        # Unpack (a wheel is a zip): only odoo/addons/<addon>, no install into this
        # Python.
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(OCA_DIR)
        # Its dependencies: other OCA addons (odoo-addon-*) would need the same
        # treatment.
        dist_info = glob.glob(
            os.path.join(OCA_DIR, "odoo_addon_account_credit_control-*.dist-info")
        )[0]
        with open(os.path.join(dist_info, "METADATA"), encoding="utf-8") as fh:
            meta = fh.read()
        oca_deps = [
            line.split(":", 1)[1].strip()
            for line in meta.splitlines()
            if line.startswith("Requires-Dist:") and "odoo-addon" in line
        ]
        for dep in oca_deps:
            say(f"fetching dependency {dep}")
            rc = pip_download(dep, wheels)
            if rc != 0:
                sys.exit(f"[bench] could not download {dep}")
        for dep_wheel in glob.glob(os.path.join(wheels, "*.whl")):
            if dep_wheel != wheel:
                with zipfile.ZipFile(dep_wheel) as zf:
                    zf.extractall(OCA_DIR)
    version = os.path.basename(found[-1]).split("-")[1]
    return addons, version


# ============================================================================ data plan


def plan_customers(n_customers, n_invoices, seed):
    """[(ref, [days late of each invoice])]: probe customers with exactly 1, 5 and 20
    invoices (all PROBE_DAYS_LATE days late), the others with 1 or more invoices
    (5 on average) from 1 to 90 days late, a customer's invoices close to each other
    so that customers are at every stage. Deterministic for a seed."""
    if n_invoices < n_customers:
        raise SystemExit("[bench] --invoices must be at least --customers")
    rng = random.Random(seed)
    plan = []
    budget = n_invoices
    for size in PROBE_SIZES:
        for k in range(PROBES_PER_SIZE):
            customers_left = n_customers - len(plan) - 1
            if budget - size < customers_left or customers_left < 0:
                break
            plan.append((f"probe-{size}-{k}", [PROBE_DAYS_LATE] * size))
            budget -= size
    others = n_customers - len(plan)
    counts = [1] * others
    for _ in range(budget - others):
        counts[rng.randrange(others)] += 1
    for i, count in enumerate(counts):
        oldest = rng.randint(1, 90)
        plan.append(
            (f"cust-{i}", [max(1, oldest - rng.randrange(15)) for _ in range(count)])
        )
    rng.shuffle(plan)
    return plan


# Paid histories (benchmarks/forecast.py's back-test, the refresh phase's seed):
# customers of four kinds, each with its own typical delay (days after the due date)
HISTORY_GROUPS = (
    # (kind, typical days late, share of the customers)
    ("early", -5, 0.15),
    ("on-time", 0, 0.35),
    ("late-10", 10, 0.30),
    ("late-30", 30, 0.20),
)
HISTORY_DAYS = 730  # invoices over the last 24 months
HISTORY_MAX_INVOICES = 30  # per customer
HISTORY_TERM = 30  # due 30 days after the invoice date
HISTORY_OUTLIERS = 0.15  # share of the payments much later than the customer's usual


def plan_history(n_customers, n_invoices, seed, today):
    """[(ref, [(invoice date, due date, payment date or None)])]: customers of the
    HISTORY_GROUPS kinds (ref "<kind>/<typical days late>/<n>"), 1 to 30 invoices
    each (log-uniform, then adjusted to ``n_invoices`` in all) spread over 24
    months, each paid a few days around the customer's typical delay (skewed
    later), 15 % of them 20 to 90 days later; None when that day is not past yet
    (the invoice is still open). Deterministic for a seed and a day."""
    rng = random.Random(seed)
    weights = [share for _kind, _typical, share in HISTORY_GROUPS]
    sizes = [
        min(HISTORY_MAX_INVOICES, int(math.exp(rng.uniform(0, math.log(31)))))
        for _ in range(n_customers)
    ]
    while sum(sizes) != n_invoices:
        i = rng.randrange(n_customers)
        step = 1 if sum(sizes) < n_invoices else -1
        if 1 <= sizes[i] + step <= HISTORY_MAX_INVOICES:
            sizes[i] += step
    plan = []
    for n, size in enumerate(sizes):
        kind, typical, _share = rng.choices(HISTORY_GROUPS, weights)[0]
        typical += rng.randint(-2, 2)
        invoices = []
        for _ in range(size):
            invoice_date = today - datetime.timedelta(days=rng.randint(1, HISTORY_DAYS))
            date_due = invoice_date + datetime.timedelta(days=HISTORY_TERM)
            if rng.random() < HISTORY_OUTLIERS:
                late = typical + rng.randint(20, 90)
            else:
                late = typical + round(rng.expovariate(1 / 3)) - 1
            # never before the invoice itself
            paid = date_due + datetime.timedelta(days=max(late, 5 - HISTORY_TERM))
            invoices.append((invoice_date, date_due, paid if paid < today else None))
        plan.append((f"{kind}/{typical}/{n}", invoices))
    return plan


# ======================================================================= refresh data

# the tables copied; what a copied row points to in them is the row's copy, full
# reconciliations and payment records are not copied (copied rows point to none)
COPY_TABLES = (
    "res_partner",
    "account_move",
    "account_move_line",
    "account_partial_reconcile",
)
COPY_NULL = ("account_full_reconcile", "account_payment")


def multiply_ledger(db, copies, single_refs=()):
    """Make ``copies`` - 1 SQL copies of every customer, move, journal item and
    partial reconciliation of ``db`` (made through the ORM): each copy of a row with
    a new id, pointing to the copies of its customer, move and lines (the company,
    journals, accounts, currencies, taxes stay shared; full reconciliations and
    payment records are left out, so copied items point to none). Moves keep their
    dates and states, names get a "/<copy>" suffix (unique per journal).
    ``single_refs``: the customers of these references, their moves and items stay
    single (not copied)."""
    conn = pg_connect(check_db_name(db))
    counts = {}
    try:
        with conn.cursor() as cr:
            # FK triggers off for the bulk copy: ids are mapped consistently below
            cr.execute("SET session_replication_role = replica")
            cr.execute(
                """CREATE TEMP TABLE seed_partner AS
                   SELECT DISTINCT commercial_partner_id AS id FROM account_move
                    WHERE move_type IN ('out_invoice', 'out_receipt')"""
            )
            where = {
                "res_partner": "t.id IN (SELECT id FROM seed_partner)",
                "account_move": "TRUE",
                "account_move_line": "TRUE",
                "account_partial_reconcile": "TRUE",
            }
            if single_refs:
                cr.execute(
                    """DELETE FROM seed_partner WHERE id IN
                       (SELECT id FROM res_partner WHERE ref = ANY(%s))""",
                    (list(single_refs),),
                )
                cr.execute(
                    """CREATE TEMP TABLE single_move AS
                       SELECT m.id FROM account_move m JOIN res_partner p
                           ON p.id = m.commercial_partner_id
                        WHERE p.ref = ANY(%s)""",
                    (list(single_refs),),
                )
                where["account_move"] = "t.id NOT IN (SELECT id FROM single_move)"
                where["account_move_line"] = (
                    "t.move_id NOT IN (SELECT id FROM single_move)"
                )
                where["account_partial_reconcile"] = (
                    "t.debit_move_id NOT IN (SELECT l.id FROM account_move_line l "
                    "JOIN single_move s ON s.id = l.move_id) AND t.credit_move_id "
                    "NOT IN (SELECT l.id FROM account_move_line l "
                    "JOIN single_move s ON s.id = l.move_id)"
                )
            cr.execute("SELECT count(*) FROM seed_partner")
            seed_customers = cr.fetchone()[0]
            spans = {}
            for table in COPY_TABLES:
                cr.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")
                spans[table] = cr.fetchone()[0]
            for table in COPY_TABLES:
                cr.execute(
                    """SELECT column_name FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name = %s
                        ORDER BY ordinal_position""",
                    (table,),
                )
                columns = [name for (name,) in cr.fetchall()]
                cr.execute(
                    """SELECT a.attname, cf.relname
                         FROM pg_constraint c
                         JOIN pg_class ct ON ct.oid = c.conrelid
                         JOIN pg_class cf ON cf.oid = c.confrelid
                         JOIN pg_attribute a ON a.attrelid = c.conrelid
                              AND a.attnum = c.conkey[1]
                        WHERE c.contype = 'f' AND ct.relname = %s""",
                    (table,),
                )
                targets = dict(cr.fetchall())
                exprs = []
                for col in columns:
                    ref = table if col == "id" else targets.get(col)
                    quoted = f"t.{qident(col)}"
                    if ref == "res_partner":
                        expr = (
                            f"CASE WHEN {quoted} IN (SELECT id FROM seed_partner) "
                            f"THEN {quoted} + k * {spans[ref]} ELSE {quoted} END"
                        )
                    elif ref in spans:
                        expr = f"{quoted} + k * {spans[ref]}"
                    elif ref in COPY_NULL:
                        expr = "NULL"
                    else:
                        expr = quoted
                    if (table, col) in (
                        ("account_move", "name"),
                        ("account_move_line", "move_name"),
                    ):
                        expr = f"{quoted} || '/' || k"
                    elif table == "res_partner" and col in ("name", "complete_name"):
                        expr = f"{quoted} || ' #' || k"
                    elif col in ("access_token", "followup_access_token"):
                        expr = "NULL"  # tokens are not shared
                    exprs.append(expr)
                start = time.perf_counter()
                cr.execute(
                    f"""INSERT INTO {table} ({", ".join(map(qident, columns))})
                        SELECT {", ".join(exprs)}
                          FROM {table} t, generate_series(1, %s) k
                         WHERE {where[table]}""",
                    (copies - 1,),
                )
                counts[table] = cr.rowcount
                say(
                    f"refresh data: {cr.rowcount:,} {table} rows copied "
                    f"({time.perf_counter() - start:.0f}s)"
                )
                cr.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), max(id)) "
                    f"FROM {table}",
                    (table,),
                )
            cr.execute("SET session_replication_role = DEFAULT")
    finally:
        conn.close()
    return {"seed_customers": seed_customers, "copied": counts}


# ============================================================================ workers


def _worker_env(db, addons_path):
    import odoo  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    os.makedirs(LOG_DIR, exist_ok=True)
    config.parse_config(
        [
            "-d",
            db,
            f"--addons-path={addons_path}",
            f"--data-dir={DATA_DIR}",
            "--log-level=warn",
            f"--logfile={os.path.join(LOG_DIR, db + '.worker.log')}",
            "--no-http",
            "--max-cron-threads=0",
        ],
        setup_logging=True,
    )
    registry = odoo.modules.registry.Registry(db)
    return odoo, registry


def _rss_reset_peak():
    """Reset the kernel's peak RSS of this process (VmHWM); True when it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _rss_status():
    """(current RSS, peak RSS) in MiB from /proc/self/status, else getrusage."""
    values = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, val = line.split(":", 1)
                    values[key] = int(val.split()[0]) / 1024.0
    except OSError:
        pass
    if "VmHWM" not in values:
        import resource  # noqa: PLC0415

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        values = {"VmRSS": peak, "VmHWM": peak}
    return values["VmRSS"], values["VmHWM"]


class Measure:
    """Wall time, SQL queries of a cursor, peak RSS of the block."""

    def __init__(self, cr):
        self.cr = cr

    def __enter__(self):
        import gc  # noqa: PLC0415

        gc.collect()
        self.peak_reset = _rss_reset_peak()
        self.rss_before, _peak = _rss_status()
        self.queries = self.cr.sql_log_count
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.queries = self.cr.sql_log_count - self.queries
        _rss, peak = _rss_status()
        self.rss_peak = peak
        return False

    def as_dict(self):
        return {
            "load_average": os.getloadavg()[0],
            "seconds": self.seconds,
            "queries": self.queries,
            "rss_before_mib": self.rss_before,
            "rss_peak_mib": self.rss_peak,
            "peak_is_run_only": self.peak_reset,
        }


def post_invoices(env, rows, rng, batch, label="generate"):
    """Post one invoice per (partner id, invoice date, due date) of ``rows``, one
    line each (random quantity and price from ``rng``), committed per ``batch``;
    returns their ids in the order of ``rows``."""
    from odoo import Command  # noqa: PLC0415

    start = time.perf_counter()
    sequence = {}
    ids = []
    for offset in range(0, len(rows), batch):
        vals_list = []
        for partner_id, invoice_date, date_due in rows[offset : offset + batch]:
            # the name given here saves the per-invoice sequence lookup at posting
            year = invoice_date.year
            sequence[year] = sequence.get(year, 0) + 1
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "name": f"INV/{year}/{sequence[year]:05d}",
                    "partner_id": partner_id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": date_due,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Consulting services",
                                "quantity": 1 + rng.randrange(5),
                                "price_unit": float(rng.randrange(50, 2000)),
                            }
                        )
                    ],
                }
            )
        moves = env["account.move"].create(vals_list)
        moves.action_post()
        ids += moves.ids
        env.cr.commit()
        env.invalidate_all()
        if len(ids) % 2000 < batch or len(ids) == len(rows):
            say(
                f"{label}: {len(ids)}/{len(rows)} invoices posted "
                f"({time.perf_counter() - start:.0f}s)"
            )
    return ids


def worker_generate(db, addons_path, opts):
    """Customers and posted invoices in the base database, committed per batch."""
    odoo, registry = _worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, Command, api, fields  # noqa: PLC0415

    plan = plan_customers(opts["customers"], opts["invoices"], opts["seed"])
    rng = random.Random(opts["seed"] + 1)
    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, ctx)
        company = env.company
        company.write(
            {"email": "accounts@bench-company.example.com", "phone": "+1 555 0100"}
        )
        today = fields.Date.context_today(env["res.partner"])
        partner_vals = []
        for i, (ref, _days) in enumerate(plan):
            vals = {
                "name": f"Bench Customer {i + 1:05d}",
                "ref": ref,
                "is_company": True,
                "email": f"ap{i + 1}@customer{i + 1}.example.com",
                "mobile": f"+32 470 {i // 10000 % 100:02d} {i // 100 % 100:02d} "
                f"{i % 100:02d}",
                "lang": "en_US",
            }
            if i % 4 == 0 and not ref.startswith(
                "probe"
            ):  # reminders go to the invoicing contact
                vals["child_ids"] = [
                    Command.create(
                        {
                            "name": f"Accounts Payable {i + 1:05d}",
                            "type": "invoice",
                            "email": f"invoices{i + 1}@customer{i + 1}.example.com",
                        }
                    )
                ]
            partner_vals.append(vals)
        partners = env["res.partner"].create(partner_vals)
        cr.commit()
        say(f"generate: {len(partners)} customers")
        rows = []
        for partner, (_ref, days_list) in zip(partners, plan, strict=False):
            for days in days_list:
                rows.append((partner.id, days))
        rng.shuffle(rows)  # invoices of a customer are not consecutive, as in real life
        dated = []
        for partner_id, days in rows:
            date_due = today - datetime.timedelta(days=days)
            dated.append((partner_id, date_due - datetime.timedelta(days=30), date_due))
        post_invoices(env, dated, rng, opts["batch"])
        env["ir.config_parameter"].set_param("ifu_bench.signature", opts["signature"])
        cr.commit()
    return {
        "seconds": time.perf_counter() - start,
        "customers": len(plan),
        "invoices": len(rows),
    }


def worker_history(db, addons_path, opts):
    """plan_history's customers, their posted invoices and, for each invoice paid
    before today, a posted payment of its amount on its payment day reconciled with
    it (what the Register Payment wizard does, in batches)."""
    odoo, registry = _worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api, fields  # noqa: PLC0415

    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, ctx)
        today = fields.Date.context_today(env["res.partner"])
        plan = plan_history(opts["customers"], opts["invoices"], opts["seed"], today)
        partners = env["res.partner"].create(
            [
                {
                    "name": f"History Customer {n + 1:05d}",
                    "ref": ref,
                    "is_company": True,
                    "email": f"ap{n + 1}@history{n + 1}.example.com",
                    "lang": "en_US",
                }
                for n, (ref, _invoices) in enumerate(plan)
            ]
        )
        cr.commit()
        rows = sorted(
            (
                (invoice_date, date_due, paid, partner.id)
                for partner, (_ref, invoices) in zip(partners, plan, strict=True)
                for invoice_date, date_due, paid in invoices
            ),
            key=lambda row: (row[0], row[3]),
        )
        ids = post_invoices(
            env,
            [(pid, inv_date, due) for inv_date, due, _paid, pid in rows],
            random.Random(opts["seed"] + 1),
            opts["batch"],
            label="history",
        )
        to_pay = [(mid, row[2]) for mid, row in zip(ids, rows, strict=True) if row[2]]
        bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
        )
        paid = 0
        for offset in range(0, len(to_pay), opts["batch"]):
            chunk = to_pay[offset : offset + opts["batch"]]
            moves = env["account.move"].browse([mid for mid, _day in chunk])
            payments = env["account.payment"].create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": move.partner_id.id,
                        "amount": move.amount_total,
                        "date": day,
                        "journal_id": bank.id,
                        "memo": move.name,
                    }
                    for move, (_mid, day) in zip(moves, chunk, strict=True)
                ]
            )
            payments.action_post()
            env["account.move.line"]._reconcile_plan(
                [
                    (move + payment.move_id).line_ids.filtered(
                        lambda line: line.account_id.account_type == "asset_receivable"
                    )
                    for move, payment in zip(moves, payments, strict=True)
                ]
            )
            cr.commit()
            env.invalidate_all()
            paid += len(chunk)
            say(
                f"history: {paid}/{len(to_pay)} invoices paid and reconciled "
                f"({time.perf_counter() - start:.0f}s)"
            )
        env["ir.config_parameter"].set_param("ifu_bench.signature", opts["signature"])
        cr.commit()
    return {
        "seconds": time.perf_counter() - start,
        "customers": len(plan),
        "invoices": len(rows),
        "paid": len(to_pay),
    }


def _ours_setup(env, email_only=False, invoice_notes=False):
    """Automatic run every day, the administrator responsible for the customers
    (activities), no PDF (no letters, no invoice PDFs in mails). ``email_only``:
    no SMS and no activities either (the same work as OCA's one email level).
    ``invoice_notes``: the company setting that notes each step on every invoice."""
    from odoo import Command  # noqa: PLC0415

    company = env.company
    company.write(
        {
            "followup_weekday_ids": [
                Command.set(env["invoice.followup.weekday"].search([]).ids)
            ],
            "followup_auto": True,
            "followup_responsible_id": env.ref("base.user_admin").id,
            "followup_invoice_notes": invoice_notes,
        }
    )
    stages = env["invoice.followup.stage"].search([("company_id", "=", company.id)])
    stages.write({"send_letter": False, "attach_invoices": False})
    if email_only:
        stages.write({"send_sms": False, "create_activity": False, "escalate": False})
    return stages


def worker_ours(db, addons_path, opts):
    odoo, registry = _worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        _ours_setup(
            env,
            email_only=opts.get("email_only"),
            invoice_notes=opts.get("invoice_notes"),
        )
        env.flush_all()
        cr.commit()
        Move = env["account.move"]
        due = env[
            "invoice.followup.run"
        ]._due_work()  # what the run will find (then rolled back)
        due_customers = len(due)
        due_invoices = sum(len(ids) for ids in due.values())
        max_log = (
            env["invoice.followup.log"].search([], order="id desc", limit=1).id or 0
        )
        max_mail = env["mail.mail"].search([], order="id desc", limit=1).id or 0
        max_sms = env["sms.sms"].search([], order="id desc", limit=1).id or 0
        max_activity = env["mail.activity"].search([], order="id desc", limit=1).id or 0
        cr.rollback()
        env.invalidate_all()
        if opts.get("profile"):
            import cProfile  # noqa: PLC0415

            profiler = cProfile.Profile()
            profiler.enable()
        with Measure(cr) as measure:
            processed = Move._cron_invoice_followup()
            env.flush_all()
        if opts.get("profile"):
            profiler.disable()
            profiler.dump_stats(os.path.join(LOG_DIR, "ours.prof"))
        logs = env["invoice.followup.log"].search([("id", ">", max_log)])
        states = {}
        for log in logs:
            states[log.state] = states.get(log.state, 0) + 1
        result = {
            **measure.as_dict(),
            "customers": processed,
            "email_only": bool(opts.get("email_only")),
            "invoice_notes": bool(opts.get("invoice_notes")),
            "due_customers": due_customers,
            "due_invoices": due_invoices,
            "invoices": len(logs.move_ids),
            "steps": len(logs),
            "step_states": states,
            "stages": {
                name: count
                for name, count in sorted(
                    (
                        (s.name, n)
                        for s, n in env["invoice.followup.log"]._read_group(
                            [("id", "in", logs.ids)], ["stage_id"], ["__count"]
                        )
                    ),
                )
            },
            "channels": {
                fname: {
                    str(value): count
                    for value, count in env["invoice.followup.log"]._read_group(
                        [("id", "in", logs.ids)], [fname], ["__count"]
                    )
                }
                for fname in (
                    "email_state",
                    "sms_state",
                    "letter_state",
                    "activity_state",
                )
            },
            "mails": env["mail.mail"].search_count(
                [
                    ("id", ">", max_mail),
                    ("mail_message_id", "in", logs.mail_message_id.ids),
                ]
            ),
            "other_mails": env["mail.mail"].search_count(
                [
                    ("id", ">", max_mail),
                    ("mail_message_id", "not in", logs.mail_message_id.ids),
                ]
            ),
            "sms": env["sms.sms"].search_count([("id", ">", max_sms)]),
            "activities": env["mail.activity"].search_count(
                [("id", ">", max_activity)]
            ),
        }
        # what the run spent on issue 13's figures (run again: the same work as in
        # the run's own _refresh_insight, timed alone)
        parts = {}
        for name, model in REFRESH_PARTS[3:]:
            if model not in env:  # an addon from before these figures (--addons-dir)
                continue
            env.invalidate_all()
            start = time.perf_counter()
            env[model].sudo()._refresh()
            env.flush_all()
            parts[name] = time.perf_counter() - start
        result["insight_parts"] = parts
        cr.rollback()
    return result


def worker_probe(db, addons_path, opts):
    """Queries of one customer step for the probe customers (1, 5, 20 invoices)."""
    odoo, registry = _worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    result = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        _ours_setup(env)
        env.flush_all()
        Move = env["account.move"]
        work = env["invoice.followup.run"]._due_work()
        probes = env["res.partner"].search([("ref", "=like", "probe-%")], order="ref")
        by_size = {}
        for partner in probes:
            size = int(partner.ref.split("-")[1])
            if partner.id in work:
                by_size.setdefault(size, []).append(work[partner.id])
        if not by_size:
            return {"sizes": {}}

        def step(move_ids):
            savepoint = cr.savepoint()
            try:
                env.invalidate_all()
                before = cr.sql_log_count
                log = env["invoice.followup.run"]._run(
                    Move.browse(move_ids), run_by="cron"
                )
                env.flush_all()
                queries = cr.sql_log_count - before
                state = log.state
            finally:
                savepoint.close(rollback=True)
                env.invalidate_all()
            return queries, state

        # warm-up: templates compiled, ormcaches filled, as in the middle of a run
        for ids_list in by_size.values():
            step(ids_list[0])
        for size in sorted(by_size):
            counts, states = [], []
            for move_ids in by_size[size]:
                queries, state = step(move_ids)
                counts.append(queries)
                states.append(state)
            result[str(size)] = {
                "queries": counts,
                "states": states,
                "invoices": len(by_size[size][0]),
            }
        cr.rollback()
    return {"sizes": result}


def worker_oca(db, addons_path, opts):
    odoo, registry = _worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, Command, api, fields  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.company
        base_template = env.ref(
            "account_credit_control.email_template_credit_control_base"
        )
        template = base_template.copy({"name": "Credit Control Email (bench, no PDF)"})
        template.report_template_ids = [Command.clear()]
        receivable = env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", company.ids),
            ]
        )
        policy = env["credit.control.policy"].create(
            {
                "name": "Bench: one email",
                "company_id": company.id,
                "account_ids": [Command.set(receivable.ids)],
                "level_ids": [
                    Command.create(
                        {
                            "name": "Overdue",
                            "level": 1,
                            "computation_mode": "net_days",
                            "delay_days": 0,
                            "channel": "email",
                            "email_template_id": template.id,
                            "custom_text": (
                                "Our records show the invoices below as overdue."
                            ),
                            "custom_mail_text": (
                                "<p>Our records show the invoices below as "
                                "overdue.</p>"
                            ),
                            "mail_show_invoice_detail": True,
                        }
                    )
                ],
            }
        )
        company.credit_policy_id = policy
        env.flush_all()
        cr.commit()
        env.invalidate_all()
        max_mail = env["mail.mail"].search([], order="id desc", limit=1).id or 0
        today = fields.Date.context_today(env["res.partner"])
        # as the user would: queue the mails, do not send them in the transaction
        env = env(context=dict(env.context, mail_notify_force_send=False))
        with Measure(cr) as measure:
            start = time.perf_counter()
            run = env["credit.control.run"].create(
                {"date": today, "policy_ids": [Command.set(policy.ids)]}
            )
            run.generate_credit_lines()
            lines = run.line_ids
            generate_seconds = time.perf_counter() - start
            # the run's "Set to ready" button, then the mass emailer wizard
            run.set_to_ready_lines()
            wizard = (
                env["credit.control.emailer"]
                .with_context(active_model="credit.control.line", active_ids=lines.ids)
                .create({})
            )
            wizard.email_lines()
            env.flush_all()
        comms = lines.communication_id
        result = {
            **measure.as_dict(),
            "generate_seconds": generate_seconds,
            "customers": len(comms.partner_id),
            "communications": len(comms),
            "invoices": len(lines.invoice_id),
            "credit_lines": len(lines),
            "line_states": {
                state: len(lines.filtered(lambda line, s=state: line.state == s))
                for state in set(lines.mapped("state"))
            },
            "channels": {
                ch: len(lines.filtered(lambda line, c=ch: line.channel == c))
                for ch in set(lines.mapped("channel"))
            },
            "mails": env["mail.mail"].search_count([("id", ">", max_mail)]),
        }
        cr.rollback()
    return result


REFRESH_PARTS = (
    ("behaviour", "invoice.followup.behaviour"),
    ("prediction", "invoice.followup.prediction"),
    ("cash-in", "invoice.followup.cashin"),
    ("step effects", "invoice.followup.effect"),
    ("receivables figures", "invoice.followup.kpi"),
)


def worker_refresh(db, addons_path, opts):
    """Time the insight refresh: its parts one by one on empty tables (the
    first refresh), then invoice.followup.run._refresh_insight() as the daily run
    calls it (the rows exist), then the parts again; rolled back."""
    odoo, registry = _worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415
    from odoo.tools import SQL  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        names = ("customers", "invoices", "paid", "open", "lines", "partials", "moves")
        counts = env.execute_query(
            SQL(
                """SELECT count(DISTINCT commercial_partner_id) FILTER (WHERE inv),
                          count(*) FILTER (WHERE inv),
                          count(*) FILTER (WHERE inv AND payment_state IN
                                           ('paid', 'in_payment')),
                          count(*) FILTER (WHERE inv AND payment_state IN
                                           ('not_paid', 'partial')),
                          (SELECT count(*) FROM account_move_line),
                          (SELECT count(*) FROM account_partial_reconcile),
                          count(*)
                     FROM (SELECT *, move_type = 'out_invoice' AND state = 'posted'
                                     AS inv FROM account_move) m"""
            )
        )[0]

        def timed(method):
            env.invalidate_all()
            queries = cr.sql_log_count
            start = time.perf_counter()
            method()
            env.flush_all()
            return {
                "seconds": time.perf_counter() - start,
                "queries": cr.sql_log_count - queries,
            }

        def parts():
            return {
                name: timed(env[model].sudo()._refresh) for name, model in REFRESH_PARTS
            }

        first = parts()
        daily = timed(env["invoice.followup.run"]._refresh_insight)
        again = parts()
        stored = env.execute_query(
            SQL(
                """SELECT (SELECT count(*) FROM invoice_followup_behaviour),
                          (SELECT count(*) FROM account_move
                            WHERE followup_predicted_date IS NOT NULL),
                          (SELECT count(*) FROM invoice_followup_cashin)"""
            )
        )[0]
        cr.rollback()
    return {
        "counts": dict(zip(names, counts, strict=True)),
        "stored": dict(zip(("behaviour", "predicted", "cashin"), stored, strict=True)),
        "first": first,
        "daily": daily,
        "again": again,
        "load_average": os.getloadavg()[0],
    }


WORKERS = {
    "generate": worker_generate,
    "history": worker_history,
    "ours": worker_ours,
    "probe": worker_probe,
    "oca": worker_oca,
    "refresh": worker_refresh,
}


# ============================================================================ report


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def print_report(args, ours, oca, probe, oca_version, timings):
    rows = []

    def per(res, key, div_key):
        if not res or not res.get(div_key) or not res.get(key):
            return None
        return res[key] / res[div_key]

    def rate(res, key):
        if not res or not res.get("seconds"):
            return None
        return res[key] / res["seconds"]

    rows.append(
        ("customers followed up", ours and ours["customers"], oca and oca["customers"])
    )
    rows.append(
        ("invoices covered", ours and ours["invoices"], oca and oca["invoices"])
    )
    rows.append(
        ("mails queued to customers", ours and ours["mails"], oca and oca["mails"])
    )
    rows.append(("wall time (s)", ours and ours["seconds"], oca and oca["seconds"]))
    rows.append(("customers / s", rate(ours, "customers"), rate(oca, "customers")))
    rows.append(("invoices / s", rate(ours, "invoices"), rate(oca, "invoices")))
    rows.append(("SQL queries", ours and ours["queries"], oca and oca["queries"]))
    rows.append(
        (
            "SQL queries / customer",
            per(ours, "queries", "customers"),
            per(oca, "queries", "customers"),
        )
    )
    rows.append(
        (
            "peak RSS during run (MiB)",
            ours and ours["rss_peak_mib"],
            oca and oca["rss_peak_mib"],
        )
    )
    rows.append(
        (
            "load average at the end (1 min)",
            ours and ours["load_average"],
            oca and oca["load_average"],
        )
    )
    rows.append(
        (
            "RSS before run (MiB)",
            ours and ours["rss_before_mib"],
            oca and oca["rss_before_mib"],
        )
    )
    rows.append(
        (
            "peak RSS increase (MiB)",
            ours and ours["rss_peak_mib"] - ours["rss_before_mib"],
            oca and oca["rss_peak_mib"] - oca["rss_before_mib"],
        )
    )

    width = 32
    oca_title = (
        f"account_credit_control {oca_version}" if oca else "account_credit_control"
    )
    print()
    print("=" * 78)
    print(
        f"Follow-up run: {args.customers:,} customers, {args.invoices:,} "
        "overdue invoices "
        f"(seed {args.seed}, {datetime.date.today()})"
    )
    print("=" * 78)
    print(f"{'':{width}} {'invoice_followup':>20} {oca_title:>28}")
    for label, a, b in rows:
        digits = 2 if label.startswith("wall") else 1
        print(f"{label:{width}} {fmt(a, digits):>20} {fmt(b, digits):>28}")
    ratio = None
    if ours and oca and rate(oca, "customers"):
        ratio = rate(ours, "customers") / rate(oca, "customers")
        print(
            f"{'ratio customers/s ours/OCA':{width}} {fmt(ratio, 2):>20} "
            f"{'(target >= 5)':>28}"
        )
    elif oca is None:
        print("(OCA side skipped)")
    if ours:
        print()
        setup = "email only" if ours.get("email_only") else "default channels, no PDF"
        if ours.get("invoice_notes"):
            setup += ", notes on invoices"
        print(
            f"ours ({setup}): "
            f"steps by state {ours['step_states']}; by stage {ours['stages']}"
        )
        print(
            f"ours: SMS queued {ours['sms']}; activities {ours['activities']} "
            f"(+{ours['other_mails']} other mails)"
        )
        print(f"ours: channel outcomes {ours['channels']}")
        parts = ours.get("insight_parts") or {}
        if parts and ours.get("seconds"):
            spent = sum(parts.values())
            print(
                "ours: of the run, "
                + ", ".join(f"{name} {sec:.2f}s" for name, sec in parts.items())
                + f": {spent:.2f}s, {spent / ours['seconds'] * 100:.1f} % of the run"
            )
        print(
            f"ours: due before the run {ours['due_customers']} customers / "
            f"{ours['due_invoices']} invoices"
        )
    if oca:
        print(
            f"OCA: {oca['credit_lines']} credit lines {oca['line_states']}, channels "
            f"{oca['channels']}, {oca['communications']} communications; "
            f"line generation {oca['generate_seconds']:.2f}s of {oca['seconds']:.2f}s"
        )
    if probe and probe.get("sizes"):
        print()
        print(
            "Queries of one customer step (ours, each customer's invoices all "
            f"{PROBE_DAYS_LATE} days late: email + SMS + activity):"
        )
        print(f"  {'invoices':>8}  {'queries per step (each probe)':<32} {'median':>6}")
        for size, data in sorted(probe["sizes"].items(), key=lambda kv: int(kv[0])):
            counts = data["queries"]
            print(
                f"  {size:>8}  {', '.join(str(c) for c in counts):<32} "
                f"{statistics.median(counts):>6}"
            )
        medians = [statistics.median(d["queries"]) for d in probe["sizes"].values()]
        growth = max(medians) - min(medians)
        print(
            f"  spread between sizes: {growth:g} queries "
            f"({'constant' if growth == 0 else 'NOT constant'})"
        )
    if any(res and not res["peak_is_run_only"] for res in (ours, oca)):
        print(
            "(peak RSS: the kernel peak could not be reset, so it includes "
            "loading Odoo)"
        )
    print()
    print("Preparation: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()))
    print("=" * 78)
    return ratio


def ensure_refresh_db(args, ours_path, timings):
    """ifu_bench_refresh_<customers>x<invoices>: invoice_followup installed, paid
    histories made through the ORM for customers/copies customers (invoices/copies
    invoices), then multiplied in SQL; built once per size, seed, day and addon
    files, then reused."""
    db = f"{DB_PREFIX}refresh_{args.refresh_customers}x{args.refresh_invoices}"
    signature = (
        f"v{GEN_VERSION}:{args.refresh_customers}:{args.refresh_invoices}:"
        f"{args.refresh_copies}:{args.seed}:{datetime.date.today()}:"
        f"{addon_hash(os.path.join(ours_path[-1], 'invoice_followup'))}"
    )
    if not args.regenerate and db_param(db, "ifu_bench.signature") == signature:
        say(f"reusing {db} (same size, seed, day and addon files)")
        return db
    seed_customers = args.refresh_customers // args.refresh_copies
    seed_invoices = args.refresh_invoices // args.refresh_copies
    say(
        f"building {db}: {seed_customers} customers and {seed_invoices} invoices "
        f"through the ORM, then {args.refresh_copies} SQL copies; cached for "
        "later runs today"
    )
    db_drop(db)
    timings["refresh: install"] = odoo_install(
        db, "invoice_followup", ours_path, "refresh-install.log"
    )
    seed = run_worker(
        "history",
        db,
        ours_path,
        {
            "customers": seed_customers,
            "invoices": seed_invoices,
            "seed": args.seed,
            "batch": args.batch,
            "signature": "incomplete",
        },
        "refresh-seed.log",
    )
    timings["refresh: ORM seed"] = seed["seconds"]
    start = time.perf_counter()
    multiply_ledger(db, args.refresh_copies)
    timings["refresh: SQL copies"] = time.perf_counter() - start
    start = time.perf_counter()
    db_vacuum_analyze(db)
    timings["refresh: VACUUM ANALYZE"] = time.perf_counter() - start
    db_set_param(db, "ifu_bench.signature", signature)
    return db


def print_refresh(args, res):
    counts = res["counts"]
    print()
    print("=" * 78)
    print(
        f"Insight refresh (invoice.followup.run._refresh_insight), "
        f"{datetime.date.today()}"
    )
    print("=" * 78)
    print(
        f"on {counts['customers']:,} customers, {counts['invoices']:,} posted "
        f"invoices ({counts['paid']:,} paid, {counts['open']:,} open), "
        f"{counts['moves']:,} moves in all, {counts['lines']:,} journal items, "
        f"{counts['partials']:,} partial reconciliations"
    )
    print(
        f"volume: {args.refresh_copies} SQL copies (INSERT ... SELECT, new ids and "
        "new customers) of invoices and payments made through the ORM for "
        f"{args.refresh_customers // args.refresh_copies} customers; ANALYZEd"
    )
    width = 24
    print()
    print(
        f"{'':{width}} {'first (tables empty)':>22} {'daily (rows exist)':>20}"
        f" {'queries':>8}"
    )
    for name, _model in REFRESH_PARTS:
        first, again = res["first"][name], res["again"][name]
        print(
            f"{name:{width}} {first['seconds']:>21.2f}s {again['seconds']:>19.2f}s"
            f" {again['queries']:>8}"
        )
    total = sum(part["seconds"] for part in res["first"].values())
    total_again = sum(part["seconds"] for part in res["again"].values())
    print(f"{'sum of the parts':{width}} {total:>21.2f}s {total_again:>19.2f}s")
    daily = res["daily"]
    print(
        f"{'_refresh_insight()':{width}} {'':>22} {daily['seconds']:>19.2f}s"
        f" {daily['queries']:>8}"
    )
    stored = res["stored"]
    print()
    print(
        f"stored: {stored['behaviour']:,} behaviour rows, {stored['predicted']:,} "
        f"invoices with a predicted date, {stored['cashin']:,} cash-in rows; "
        f"load average at the end {res['load_average']:.2f}"
    )
    print("=" * 78)


# ============================================================================ main


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--batch", type=int, default=250, help="invoices created per batch"
    )
    parser.add_argument(
        "--skip-oca", action="store_true", help="bench invoice_followup only"
    )
    parser.add_argument(
        "--skip-probe", action="store_true", help="no queries-per-step probe"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the generated databases"
    )
    parser.add_argument(
        "--skip-refresh",
        action="store_true",
        help="no insight refresh timing on the large ledger (its build takes a few "
        "minutes, once a day)",
    )
    parser.add_argument("--refresh-customers", type=int, default=20000)
    parser.add_argument("--refresh-invoices", type=int, default=200000)
    parser.add_argument(
        "--refresh-copies",
        type=int,
        default=100,
        help="SQL copies of the ORM-made seed (its size: customers / copies)",
    )
    parser.add_argument(
        "--refresh-only",
        action="store_true",
        help="only the insight refresh timing (no follow-up run, no OCA)",
    )
    parser.add_argument(
        "--oca-spec", default=OCA_SPEC, help=f"pip requirement (default {OCA_SPEC})"
    )
    parser.add_argument(
        "--oca-refresh", action="store_true", help="download the OCA wheel again"
    )
    parser.add_argument(
        "--email-only",
        action="store_true",
        help="our stages send the email only (no SMS, no activities), as OCA's level",
    )
    parser.add_argument(
        "--invoice-notes",
        action="store_true",
        help="our company notes each step on every invoice too (setting, off by "
        "default)",
    )
    parser.add_argument(
        "--addons-dir",
        default=REPO_ROOT,
        help="folder holding the invoice_followup to bench (default: this repository)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile our run into .cache/bench-logs/ours.prof",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    # issue 16, big customers and big books: benchmarks/pages.py
    parser.add_argument(
        "--pages",
        action="store_true",
        help="also time the portal statement of a 500-invoice customer, the "
        "worklist and that customer's form on --big-customers customers (its "
        "database takes a few minutes to build, once a day)",
    )
    parser.add_argument(
        "--pages-only", action="store_true", help="only the page timings"
    )
    parser.add_argument(
        "--big-run",
        action="store_true",
        help="also time the daily run on --big-run-sizes customers (long: about "
        "100 customers/s)",
    )
    parser.add_argument(
        "--big-run-only",
        action="store_true",
        help="only the daily run on many customers",
    )
    parser.add_argument(
        "--big-customers",
        type=int,
        default=100000,
        help="customers of the page timings' database (default 100000)",
    )
    parser.add_argument(
        "--big-run-sizes",
        default="10000,30000,100000",
        help="customers of each --big-run database, comma-separated",
    )
    parser.add_argument(
        "--big-seed-customers",
        type=int,
        default=1000,
        help="customers made through the ORM, then copied in SQL for --pages and "
        "--big-run (sizes are rounded to its multiples)",
    )
    parser.add_argument(
        "--reuse-scale-db",
        action="store_true",
        help="reuse the --pages / --big-run databases even when the addon files or "
        "the day changed (quick iterations; fails if fields changed)",
    )
    # internal: worker subprocesses
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--worker-addons-path", help=argparse.SUPPRESS)
    parser.add_argument("--worker-options", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = WORKERS[args.worker](
            check_db_name(args.db),
            args.worker_addons_path,
            json.loads(args.worker_options),
        )
        print(RESULT_MARK + json.dumps(result), flush=True)
        return 0

    os.makedirs(DATA_DIR, exist_ok=True)
    core = core_addons_path()
    timings = {}
    if args.pages or args.pages_only or args.big_run or args.big_run_only:
        import pages  # noqa: PLC0415  (benchmarks/pages.py imports this file)

        scale = pages.main_scale(
            args, core + [os.path.realpath(args.addons_dir)], timings
        )
        if args.json and (args.pages_only or args.big_run_only):
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(scale, fh, indent=2, default=str)
        if args.pages_only or args.big_run_only:
            return 0
        timings = {}
    if args.refresh_only:
        ours_path = core + [os.path.realpath(args.addons_dir)]
        refresh_db = ensure_refresh_db(args, ours_path, timings)
        say(f"timing the insight refresh on {refresh_db}")
        refresh = run_worker("refresh", refresh_db, ours_path, {}, "refresh.log")
        print_refresh(args, refresh)
        if timings:
            print(
                "Preparation: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items())
            )
        return 0
    base = f"{DB_PREFIX}base_{args.customers}x{args.invoices}"
    signature = (
        f"v{GEN_VERSION}:{args.customers}:{args.invoices}:"
        f"{args.seed}:{datetime.date.today()}"
    )
    if args.regenerate or db_param(base, "ifu_bench.signature") != signature:
        say(
            f"building {base} (account_payment, sms, generated data); cached "
            "for later runs today"
        )
        db_drop(base)
        timings["base install"] = odoo_install(
            base, BASE_MODULES, core, "base-install.log"
        )
        gen = run_worker(
            "generate",
            base,
            core,
            {
                "customers": args.customers,
                "invoices": args.invoices,
                "seed": args.seed,
                "batch": args.batch,
                "signature": signature,
            },
            "generate.log",
        )
        timings["data generation"] = gen["seconds"]
        db_vacuum_analyze(base)
    else:
        say(f"reusing {base} (same size, seed and day)")

    ours_db = f"{DB_PREFIX}ours"
    ours_path = core + [os.path.realpath(args.addons_dir)]
    say(f"{ours_db}: copy of {base} + invoice_followup")
    db_copy(base, ours_db)
    timings["install invoice_followup"] = odoo_install(
        ours_db, "invoice_followup", ours_path, "ours-install.log"
    )
    db_vacuum_analyze(ours_db)

    oca = oca_version = None
    oca_db = f"{DB_PREFIX}oca"
    if not args.skip_oca:
        oca_addons, oca_version = ensure_oca_addon(args.oca_spec, args.oca_refresh)
        say(f"{oca_db}: copy of {base} + account_credit_control {oca_version}")
        db_copy(base, oca_db)
        timings["install account_credit_control"] = odoo_install(
            oca_db, "account_credit_control", core + [oca_addons], "oca-install.log"
        )
        db_vacuum_analyze(oca_db)

    say("measuring invoice_followup (_cron_invoice_followup)")
    ours_options = {
        "profile": args.profile,
        "email_only": args.email_only,
        "invoice_notes": args.invoice_notes,
    }
    ours = run_worker("ours", ours_db, ours_path, ours_options, "ours.log")
    say(f"ours: {ours['customers']} customers in {ours['seconds']:.1f}s")
    probe = None
    if not args.skip_probe:
        say("measuring queries per customer step (1, 5, 20 invoices)")
        probe = run_worker("probe", ours_db, ours_path, {}, "probe.log")
    if not args.skip_oca:
        say("measuring account_credit_control (run + emailer)")
        oca = run_worker("oca", oca_db, core + [oca_addons], {}, "oca.log")
        say(f"OCA: {oca['customers']} customers in {oca['seconds']:.1f}s")

    refresh = None
    if not args.skip_refresh:
        refresh_db = ensure_refresh_db(args, ours_path, timings)
        say(f"timing the insight refresh on {refresh_db}")
        refresh = run_worker("refresh", refresh_db, ours_path, {}, "refresh.log")

    ratio = print_report(args, ours, oca, probe, oca_version, timings)
    if refresh:
        print_refresh(args, refresh)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "ours": ours,
                    "oca": oca,
                    "probe": probe,
                    "ratio": ratio,
                    "oca_version": oca_version,
                    "timings": timings,
                    "refresh": refresh,
                },
                fh,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
