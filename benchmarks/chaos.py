# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Crash test of the daily follow-up run: SIGKILL a real Odoo cron worker while it works
through the batches, start it again, and check that every due customer got exactly one
step that day, nobody two mails or two SMS, and no step is half-written.

    make chaos                                          400 customers, at least 20 kills
    make chaos CHAOS_ARGS="--customers 60 --kills 5"    quick smoke test
    make chaos CHAOS_ARGS="--concurrent 0 --held 0"     the kills alone
    make chaos CHAOS_ARGS=--help                        every option

Every database it touches is named ifu_chaos_*:

1. ifu_chaos_base_<customers>: account_payment and sms, generated customers and posted
   invoices, all overdue by 1 to 90 days (benchmarks/run.py's plan_customers and
   worker_generate, 2.5 invoices a customer), so customers are at every stage. Built
   once per size, seed and day (due dates are relative to today).
2. ifu_chaos_<customers>_template: a copy of it with invoice_followup installed (no demo
   data) and configured: every weekday a sending day, no weekly maximum, stages without
   letters or attached PDFs, a fixed late-payment fee on every stage after the due date
   (issue 14), the mail and SMS queue crons off (queued records stay countable), the
   other crons postponed by a week. Rebuilt when the addon's files
   change (a new index or field is only installed by an install).
3. Kill rounds: ifu_chaos_<customers> copied from the template (CREATE DATABASE ...
   TEMPLATE), `invoice_followup.batch_size` set small (--batch-size), the follow-up cron
   due now. A read-only Odoo subprocess lists the due customers
   (invoice.followup.run._due_work, rolled back). A real server
   (python -m odoo --max-cron-threads=1 --no-http, its own process group) runs the cron;
   the script polls the database every 50 ms and SIGKILLs the whole process group at a
   random moment (seeded): 15 % during the server's start, 15 % as soon as a batch is
   seen committed, the others uniform within 3 batch durations after the first batch
   began. It starts the server again, and so on; once enough kills are done the last
   server runs the job to its end and is stopped with SIGTERM. A round that ends before
   enough kills is checked, and the next one starts again from the template: kills add
   up over rounds. When Odoo's guard refuses a job whose last 3 calls never ended
   (ir_cron: "timed out", postponed to its next day), the script triggers the cron
   again, as running it again by hand would; a job that ends by itself with customers
   left is not run again: they count as missing.
4. The checks, from the database (SQL): due customers, steps today (logs not failed),
   missing, duplicated steps, mails, chatter messages, SMS, activities and fee invoices,
   half-written steps (a fee without its step, a fee step without its fee count too),
   and what is still due after the run (the read-only subprocess again).

Two more parts, one round each by default, same checks:
- --concurrent N: no kill; while the cron runs, a second Odoo process calls
  env["account.move"]._cron_invoice_followup() directly (every due customer in one
  transaction, committed at the end), started as the cron begins its batches.
- --held N: a second Odoo process does an accountant's "Send now" for the last due
  customer (the one of the cron's last batch) and keeps its transaction open while the
  cron runs; it is SIGKILLed once the cron is over or waits for it, then the cron's job
  is seen to its end.

Exit status 1 when anything is missing, duplicated, half-written or still due.
"""

import argparse
import datetime
import hashlib
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time

import psycopg2
import run as bench  # benchmarks/run.py: data generation, database helpers, stage setup

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
DB_PREFIX = "ifu_chaos_"
DATA_DIR = os.path.join(REPO_ROOT, ".cache", "chaos-data")
LOG_DIR = os.path.join(REPO_ROOT, ".cache", "chaos-logs")
# run.py's helpers refuse any database outside their prefix and keep their files in
# their folders: point them to ours (this process and its worker subprocesses only)
bench.DB_PREFIX = DB_PREFIX
bench.DATA_DIR = DATA_DIR
bench.LOG_DIR = LOG_DIR

GEN_VERSION = 1  # bump when the generated data or the template's setup changes
CRON_XMLID = "invoice_followup.ir_cron_invoice_followup"
QUEUE_CRONS = ("mail.ir_cron_mail_scheduler_action", "sms.ir_cron_sms_scheduler_action")
RESULT_MARK = bench.RESULT_MARK
POLL = 0.05  # seconds between two looks at the database while the server runs
# Where the kills are aimed (the moment each one really hit is read from the database):
STARTUP_SHARE = 0.15  # at a random moment of the server's start (before any batch)
COMMIT_SHARE = 0.15  # as soon as a batch is seen committed (the next call is starting)
# the others: uniform in 0 .. this many batch durations after the first batch began
BATCHES_PER_KILL = 3
AIMS = {
    "start": "at the start",
    "commit": "right after a commit",
    "batch": "within the batches",
}
HOLD_STALL = (
    10  # held mode: seconds without a new step = the cron waits for the held customer
)
ROUND_TIMEOUT = (
    1800  # seconds: a round that takes longer is a failure of the test itself
)


def say(msg):
    print(f"[chaos] {msg}", file=sys.stderr, flush=True)


# ============================================================================ workers
# Run as `chaos.py --worker NAME` subprocesses, each with its own Odoo registry.


def worker_generate(db, addons_path, opts):
    """Customers and posted invoices (benchmarks/run.py's generator)."""
    return bench.worker_generate(db, addons_path, opts)


def worker_configure(db, addons_path, opts):
    """The template's setup, committed."""
    from odoo import SUPERUSER_ID, api, fields

    _odoo, registry = bench._worker_env(db, addons_path)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        stages = bench._ours_setup(env)  # every weekday, automatic, no letter, no PDF
        env.company.followup_max_per_week = 0
        # late-payment fees on (issue 14): every stage after the due date charges one,
        # so the checks can see a fee made twice, or left without its step
        env.company.followup_fees = True
        stages.filtered(
            lambda s: s.date_reference == "due_date" and s.offset_days > 0
        ).write({"fee_type": "fixed", "fee_amount": 5.0})
        for (
            xmlid
        ) in QUEUE_CRONS:  # nothing is sent: queued mails and SMS stay countable
            cron = env.ref(xmlid, raise_if_not_found=False)
            if cron:
                cron.active = False
        followup_cron = env.ref(CRON_XMLID)
        others = env["ir.cron"].search([("id", "!=", followup_cron.id)])
        others.nextcall = fields.Datetime.now() + datetime.timedelta(days=7)
        env["ir.config_parameter"].set_param("ifu_chaos.template", opts["signature"])
        cr.commit()
    return {}


def worker_due(db, addons_path, opts):
    """Read only: what the daily run finds now, {customer id: [invoice ids]}, and the
    day it counts in (the cron user's today). Everything is rolled back."""
    from odoo import SUPERUSER_ID, api, fields

    _odoo, registry = bench._worker_env(db, addons_path)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env = env(user=env.ref(CRON_XMLID).user_id.id)
        Move = env["account.move"]
        env[
            "invoice.followup.run"
        ]._release_pauses()  # as _cron_invoice_followup() does first
        work = env["invoice.followup.run"]._due_work()
        today = fields.Date.context_today(Move)
        cr.rollback()
    return {
        "today": str(today),
        "due": {str(partner): ids for partner, ids in work.items()},
    }


def worker_direct(db, addons_path, opts):
    """Concurrent mode: the daily run called directly from a second Odoo process (as a
    script or `odoo shell` would), all due customers in one transaction, committed at
    the end. Loads its registry, says it is ready, then waits for the go file."""
    from odoo import SUPERUSER_ID, api

    _odoo, registry = bench._worker_env(db, addons_path)
    with open(opts["ready_file"], "w") as fh:
        fh.write("ready")
    deadline = time.monotonic() + 600
    while not os.path.exists(opts["go_file"]):
        if time.monotonic() > deadline:
            return {"error": "no go signal", "customers": 0, "seconds": 0}
        time.sleep(0.01)
    start = time.perf_counter()
    error = None
    count = 0
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            count = env["account.move"]._cron_invoice_followup()
            cr.commit()
        except Exception as exc:  # noqa: BLE001 - reported with the figures
            cr.rollback()
            error = repr(exc)
    return {"customers": count, "seconds": time.perf_counter() - start, "error": error}


def worker_hold(db, addons_path, opts):
    """Held mode: an accountant's "Send now" on the last due customer (the one of the
    cron's last batch) whose request is still running: its step done in a transaction
    left open. Says which customer in the ready file, then waits to be SIGKILLed."""
    from odoo import SUPERUSER_ID, api

    _odoo, registry = bench._worker_env(db, addons_path)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Move = env["account.move"]
        work = env["invoice.followup.run"]._due_work()
        partner = max(work)
        Move.browse(work[partner]).action_followup_send_now()
        env.flush_all()
        with open(opts["ready_file"] + ".tmp", "w") as fh:
            fh.write(str(partner))
        os.replace(
            opts["ready_file"] + ".tmp", opts["ready_file"]
        )  # whole, or not there
        time.sleep(opts["hold"])
        cr.rollback()
    return {}


WORKERS = {
    "generate": worker_generate,
    "configure": worker_configure,
    "due": worker_due,
    "direct": worker_direct,
    "hold": worker_hold,
}


def worker_cmd(phase, db, addons_path, options):
    return [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        phase,
        "--db",
        bench.check_db_name(db),
        "--worker-addons-path",
        ",".join(addons_path),
        "--worker-options",
        json.dumps(options),
    ]


def parse_result(phase, db, stdout, returncode):
    result = None
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
        else:
            print(line, file=sys.stderr)
    if returncode != 0 or result is None:
        sys.exit(
            f"[chaos] worker {phase} on {db} failed (exit {returncode}); see "
            f"{LOG_DIR}/{db}.worker.log"
        )
    return result


def run_worker(phase, db, addons_path, options):
    """Run a worker subprocess to its end; return its JSON result."""
    proc = subprocess.run(
        worker_cmd(phase, db, addons_path, options),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    return parse_result(phase, db, proc.stdout, proc.returncode)


# ============================================================================ databases


def addon_hash(addon_dir):
    """A hash of the addon's files: the template is rebuilt when they change (a new
    index, a new field: the running server would not install it by itself)."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(addon_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, addon_dir).encode())
            with open(path, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:16]


def ensure_template(args, core, ours_path):
    """ifu_chaos_base_<n> and ifu_chaos_<n>_template, built when missing or stale."""
    timings = {}
    base = f"{DB_PREFIX}base_{args.customers}"
    base_sig = (
        f"v{GEN_VERSION}:{args.customers}:{args.invoices}:"
        f"{args.seed}:{datetime.date.today()}"
    )
    if args.rebuild or bench.db_param(base, "ifu_bench.signature") != base_sig:
        say(
            f"building {base} (account_payment, sms, {args.customers} "
            f"customers, {args.invoices} invoices)"
        )
        bench.db_drop(base)
        timings["base install"] = bench.odoo_install(
            base, bench.BASE_MODULES, core, f"{base}.install.log"
        )
        gen = run_worker(
            "generate",
            base,
            core,
            {
                "customers": args.customers,
                "invoices": args.invoices,
                "seed": args.seed,
                "batch": 250,
                "signature": base_sig,
            },
        )
        timings["data generation"] = gen["seconds"]
        bench.db_vacuum_analyze(base)
    template = f"{DB_PREFIX}{args.customers}_template"
    template_sig = (
        f"{base_sig}:{addon_hash(os.path.join(ours_path[-1], 'invoice_followup'))}"
    )
    if args.rebuild or bench.db_param(template, "ifu_chaos.template") != template_sig:
        say(f"building {template} (copy of {base} + invoice_followup, configured)")
        bench.db_copy(base, template)
        timings["install invoice_followup"] = bench.odoo_install(
            template, "invoice_followup", ours_path, f"{template}.install.log"
        )
        run_worker("configure", template, ours_path, {"signature": template_sig})
        bench.db_vacuum_analyze(template)
    else:
        say(f"reusing {template} (same data, same addon files)")
    return template, timings


class Db:
    """An autocommit psycopg2 connection to one ifu_chaos_* database: what the script
    observes while Odoo works, and the few settings it makes before Odoo starts."""

    def __init__(self, name):
        self.name = bench.check_db_name(name)
        self.conn = psycopg2.connect(dbname=name)
        self.conn.autocommit = True
        self.cron_id = self.one(
            "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
            tuple(CRON_XMLID.split(".")),
        )

    def close(self):
        self.conn.close()

    def all(self, query, params=()):
        with self.conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    def one(self, query, params=()):
        rows = self.all(query, params)
        return rows[0][0] if rows else None

    def run(self, query, params=()):
        with self.conn.cursor() as cr:
            cr.execute(query, params)

    def prepare(self, batch_size):
        """Batch size, and the follow-up cron due now (as at its daily time)."""
        self.run(
            "INSERT INTO ir_config_parameter (key, value, create_uid, "
            "create_date, write_uid, write_date)"
            " VALUES ('invoice_followup.batch_size', %s, 1, now(), 1, now())"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (str(batch_size),),
        )
        self.run(
            "UPDATE ir_cron SET nextcall = (now() at time zone 'UTC') - "
            "interval '1 second', active = true"
            " WHERE id = %s",
            (self.cron_id,),
        )

    def max_ids(self):
        tables = (
            "invoice_followup_log",
            "mail_mail",
            "mail_message",
            "sms_sms",
            "mail_activity",
            "ir_cron_progress",
            "account_move",
        )
        return {
            t: self.one(f"SELECT coalesce(max(id), 0) FROM {t}") for t in tables
        }  # fixed table names

    def progress(self, after_id):
        """The cron's progress rows (one per call: created and committed when the call
        starts, done/remaining written when its batch is done) after ``after_id``."""
        return self.all(
            "SELECT id, done, remaining, extract(epoch FROM create_date) FROM "
            "ir_cron_progress"
            " WHERE cron_id = %s AND id > %s ORDER BY id",
            (self.cron_id, after_id),
        )

    def covered(self, today, after_log):
        """Customers with a step (of any state) today, written in this round."""
        return self.one(
            "SELECT count(DISTINCT partner_id) FROM invoice_followup_log WHERE "
            "date = %s AND id > %s",
            (today, after_log),
        )

    def cron_ready(self):
        """The cron is due (nextcall passed, or a trigger): a worker will run it."""
        return self.one(
            "SELECT nextcall <= (now() at time zone 'UTC') OR EXISTS ("
            " SELECT 1 FROM ir_cron_trigger t WHERE t.cron_id = c.id AND "
            "t.call_at <= (now() at time zone 'UTC'))"
            " FROM ir_cron c WHERE c.id = %s",
            (self.cron_id,),
        )

    def trigger(self):
        """What ir.cron._trigger() does: the cron runs again as soon as a worker is
        free."""
        self.run(
            "INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, "
            "create_date, write_uid, write_date)"
            " VALUES (%s, now() at time zone 'UTC', 1, now() at time zone "
            "'UTC', 1, now() at time zone 'UTC')",
            (self.cron_id,),
        )

    def backends(self, pid):
        """Server connections of Odoo process ``pid`` (Odoo names them odoo-<pid>)."""
        return self.one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (f"odoo-{pid}",),
        )

    def log_ids_lost(self):
        """Step ids drawn from the sequence but not in the table: steps inserted by
        transactions that never committed (sequences are not rolled back, steps are
        never deleted here)."""
        last, called = self.all(
            "SELECT last_value, is_called FROM invoice_followup_log_id_seq"
        )[0]
        return (last if called else last - 1) - self.one(
            "SELECT count(*) FROM invoice_followup_log"
        )


def notify_cron_workers(db):
    """Wake the cron threads up (they LISTEN on cron_trigger in the postgres database
    and otherwise look only once a minute), as ir.cron._notifydb() does."""
    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT pg_notify('cron_trigger', %s)", (db,))
    finally:
        conn.close()


# ============================================================================ server


class OdooServer:
    """A real Odoo server process with one cron thread and no HTTP, in a process group
    of its own (a SIGKILL of the group leaves nothing of it running)."""

    def __init__(self, db, addons_path, logfile):
        self.cmd = [
            sys.executable,
            "-m",
            "odoo",
            f"--database={db}",
            f"--db-filter=^{db}$",
            f"--addons-path={','.join(addons_path)}",
            f"--data-dir={DATA_DIR}",
            "--max-cron-threads=1",
            "--no-http",
            "--log-level=info",
            f"--logfile={logfile}",
        ]
        # a cron job only partially done (10 calls) wakes the cron threads at once
        self.env = dict(os.environ, ODOO_NOTIFY_CRON_CHANGES="1")
        self.logfile = logfile
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self.proc.pid

    def timeouts(self):
        """How many times Odoo's guard refused to run the job ("Job ... timed out")."""
        if not os.path.exists(self.logfile):
            return 0
        with open(self.logfile, encoding="utf-8", errors="replace") as fh:
            return sum(1 for line in fh if ") timed out" in line)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        self._signal_group(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout=60):
        """Graceful stop (SIGTERM), SIGKILL when it does not end in time."""
        if not self.alive():
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def wait_backends_gone(db, pid, timeout=30):
    """After a SIGKILL PostgreSQL ends the dead process's sessions (rolling their work
    back) once it notices the closed sockets; wait for it so that no lock of the dead
    process is still held when the next server starts. Ended by hand after
    ``timeout``."""
    deadline = time.monotonic() + timeout
    while db.backends(pid):
        if time.monotonic() > deadline:
            db.run(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                "application_name = %s",
                (f"odoo-{pid}",),
            )
            return False
        time.sleep(POLL)
    return True


# ============================================================================ one round


class Timing:
    """Observed durations, to aim the kills: server start to first batch, and one
    batch."""

    def __init__(self):
        self.startup = []
        self.batch = []

    def startup_estimate(self):
        return statistics.median(self.startup) if self.startup else 8.0

    def batch_estimate(self):
        return statistics.median(self.batch) if self.batch else 0.5


def run_round(ctx, db_name, kills_wanted, rng, timing, concurrent=False):
    """One round on a fresh copy of the template: start the server, kill it up to
    ``kills_wanted`` times, let the last life finish; returns the round's figures."""
    args = ctx["args"]
    started = time.monotonic()
    bench.db_copy(ctx["template"], db_name)
    db = Db(db_name)
    try:
        today, due, baseline = prepare_round(db, db_name, ctx, args.batch_size)
        logfile = os.path.join(LOG_DIR, f"{db_name}.server.log")
        if os.path.exists(logfile):
            os.remove(logfile)
        server = OdooServer(db_name, ctx["ours_path"], logfile)
        direct = None
        if concurrent:
            direct = start_direct(ctx, db_name)
        kills = []
        rearms = 0
        lives = 0
        try:
            while True:
                lives += 1
                outcome, info = run_life(
                    db,
                    server,
                    today,
                    len(due),
                    baseline,
                    kills_wanted - len(kills),
                    rng,
                    timing,
                    direct,
                    started,
                )
                rearms += info["rearms"]
                if outcome != "killed":
                    break
                kills.append(info)
                say(
                    f"kill {len(kills)}/{kills_wanted} (aimed at {info['aim']}: "
                    f"{info['phase']}, "
                    f"{info['after']:.1f}s after the start, "
                    f"{info['steps']} customers with a step so far, "
                    f"{info['lost']} uncommitted steps lost)"
                )
        except BaseException:
            if direct and direct["proc"].poll() is None:
                direct[
                    "proc"
                ].kill()  # the round failed: do not leave the second process waiting
            raise
        finally:
            server.stop()
        direct_result = finish_direct(direct, db_name) if direct else None
        say(f"{db_name}: checking")
        after = run_worker("due", db_name, ctx["ours_path"], {})
        result = check_round(db, today, due, after["due"], baseline)
        result.update(
            {
                "kills": kills,
                "lives": lives,
                "rearms": rearms,
                "seconds": time.monotonic() - started,
                "today": today,
                "direct": direct_result,
                "date_changed": after["today"] != today,
            }
        )
        return result
    finally:
        db.close()


def draw_aim(kills_left, rng, timing, life_start):
    """(aim, kill time or None) of a server's life: where its kill, if any, is aimed;
    the kill time is known at once only for a kill aimed at the start."""
    kill_at = None
    aim = None
    if kills_left > 0:
        draw = rng.random()
        if draw < STARTUP_SHARE:
            aim = "start"
            kill_at = life_start + rng.uniform(0.2, timing.startup_estimate())
        elif draw < STARTUP_SHARE + COMMIT_SHARE:
            aim = "commit"
        else:
            aim = "batch"
    return aim, kill_at


def kill_phase(progress):
    """Where the run was when the kill hit, from its ir_cron_progress rows."""
    if not progress:
        return "before the first batch"
    if progress[-1][1] == 0:
        return "during a batch"
    return "between batches"


def run_life(
    db, server, today, n_due, baseline, kills_left, rng, timing, direct, round_start
):
    """One server process: start it, watch it, and kill it ("killed", the kill's record)
    or see the job to its end ("finished"). Odoo's own guard against crashing jobs (a
    job whose last 3 calls never ended is marked failed, not run, and postponed to its
    next day: "Job ... timed out" in the log) is answered with a trigger, as
    `_trigger()` does: the run is run again. A job that ended by itself with customers
    left is not: they are missing."""
    mark = db.one(
        "SELECT coalesce(max(id), 0) FROM ir_cron_progress WHERE cron_id = %s",
        (db.cron_id,),
    )
    lost_at_start = db.log_ids_lost()
    pid = server.start()
    life_start = time.monotonic()
    aim, kill_at = draw_aim(kills_left, rng, timing, life_start)
    first_batch = None
    last_notify = 0.0
    rearms = 0
    timeouts_seen = server.timeouts()
    go_sent = False
    while True:
        now = time.monotonic()
        if now - round_start > ROUND_TIMEOUT:
            server.kill()
            sys.exit(
                f"[chaos] the round took more than {ROUND_TIMEOUT}s; see the server log"
            )
        if not server.alive():
            sys.exit(
                "[chaos] the Odoo server ended by itself (exit "
                f"{server.proc.returncode}); see its log"
            )
        progress = db.progress(mark)
        if progress and first_batch is None:
            first_batch = now
            timing.startup.append(now - life_start)
            if aim == "batch":
                kill_at = now + rng.uniform(
                    0, BATCHES_PER_KILL * timing.batch_estimate()
                )
        if aim == "commit" and kill_at is None and any(row[1] for row in progress):
            kill_at = now
        if direct and progress and not go_sent:
            # concurrent mode: the direct call starts as the cron begins its batches
            time.sleep(rng.uniform(0, timing.batch_estimate()))
            open(direct["go_file"], "w").close()
            go_sent = True
        if kill_at is not None and now >= kill_at:
            server.kill()
            wait_backends_gone(db, pid)
            progress = db.progress(mark)
            record_batches(timing, progress)
            return "killed", {
                "phase": kill_phase(progress),
                "aim": aim,
                "lost": db.log_ids_lost() - lost_at_start,
                "rearms": rearms,
                "after": now - life_start,
                "steps": db.covered(today, baseline["invoice_followup_log"]),
            }
        ready = db.cron_ready()
        if ready:
            if now - last_notify > 0.5:
                notify_cron_workers(db.name)
                last_notify = now
        elif not (
            direct and direct["proc"].poll() is None
        ):  # the job is over (and the direct call too)
            covered = db.covered(today, baseline["invoice_followup_log"])
            timeouts = server.timeouts()
            if covered >= n_due or timeouts <= timeouts_seen:
                record_batches(timing, db.progress(mark))
                server.stop()
                return "finished", {"rearms": rearms}
            # Odoo's guard postponed the job to its next day: run it again now
            timeouts_seen = timeouts
            db.trigger()
            rearms += 1
            say(
                "Odoo postponed the cron (3 calls in a row never ended) with "
                f"{n_due - covered} customers "
                "left: triggered again"
            )
        wake = now + POLL
        if kill_at is not None:
            wake = min(wake, kill_at)
        time.sleep(max(0.0, wake - time.monotonic()))


def run_held_round(ctx, db_name):
    """One round where a second Odoo process holds the last due customer's step in an
    open transaction while the cron runs, and is SIGKILLed once the cron is over or
    stalls behind it (HOLD_STALL seconds without a new step); then the cron's job is
    seen to its end (never run again by hand: the day's run is over when it says so)."""
    args = ctx["args"]
    started = time.monotonic()
    bench.db_copy(ctx["template"], db_name)
    db = Db(db_name)
    holder = None
    logfile = os.path.join(LOG_DIR, f"{db_name}.server.log")
    if os.path.exists(logfile):
        os.remove(logfile)
    server = OdooServer(db_name, ctx["ours_path"], logfile)
    try:
        today, due, baseline = prepare_round(db, db_name, ctx, args.batch_size)
        ready_file = os.path.join(LOG_DIR, f"{db_name}.hold.ready")
        if os.path.exists(ready_file):
            os.remove(ready_file)
        holder = subprocess.Popen(
            worker_cmd(
                "hold",
                db_name,
                ctx["ours_path"],
                {"ready_file": ready_file, "hold": ROUND_TIMEOUT},
            ),
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        while not os.path.exists(ready_file):
            if holder.poll() is not None:
                sys.exit(
                    "[chaos] the holding process ended (exit "
                    f"{holder.returncode}); see its worker log"
                )
            time.sleep(0.1)
        with open(ready_file) as fh:
            held = int(fh.read())
        say(f"{db_name}: customer {held} held by a second process; cron starting")
        server.start()
        wait_cron(db, server, started, stall=(today, baseline["invoice_followup_log"]))
        over_before = not db.cron_ready()
        say(
            f"cron {'over' if over_before else 'waiting'}: SIGKILL of the "
            "holding process"
        )
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
        wait_backends_gone(db, holder.pid)
        wait_cron(db, server, started)
        server.stop()
        after = run_worker("due", db_name, ctx["ours_path"], {})
        result = check_round(db, today, due, after["due"], baseline)
        result.update(
            {
                "kills": [],
                "lives": 1,
                "rearms": 0,
                "seconds": time.monotonic() - started,
                "today": today,
                "direct": None,
                "date_changed": after["today"] != today,
                "held": {"customer": held, "cron_over_before_kill": over_before},
            }
        )
        return result
    finally:
        server.stop()
        if holder and holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait()
        db.close()


def wait_cron(db, server, round_start, stall=None):
    """Until the cron's job is over (not due any more); with ``stall`` (today, the
    round's first log id): or until no new step for HOLD_STALL seconds."""
    last_notify = 0.0
    last_covered, last_change = -1, time.monotonic()
    while db.cron_ready():
        now = time.monotonic()
        if now - round_start > ROUND_TIMEOUT:
            sys.exit(
                f"[chaos] the round took more than {ROUND_TIMEOUT}s; see the server log"
            )
        if not server.alive():
            sys.exit(
                "[chaos] the Odoo server ended by itself (exit "
                f"{server.proc.returncode}); see its log"
            )
        if stall:
            covered = db.covered(*stall)
            if covered != last_covered:
                last_covered, last_change = covered, now
            elif now - last_change > (HOLD_STALL if covered else 3 * HOLD_STALL):
                # no new step for a while; before the first one, the first batch
                # itself may wait for the holder (an invoice number it has taken:
                # fee invoices of the same journal are numbered one after the other)
                return
        if now - last_notify > 0.5:
            notify_cron_workers(db.name)
            last_notify = now
        time.sleep(POLL)


def record_batches(timing, progress):
    """Batch durations: time between the starts of consecutive calls of one life."""
    starts = [row[3] for row in progress]
    timing.batch.extend(float(b - a) for a, b in itertools.pairwise(starts) if b > a)


def start_direct(ctx, db_name):
    """The second process of the concurrent mode, its registry loaded before the cron
    starts."""
    ready_file = os.path.join(LOG_DIR, f"{db_name}.direct.ready")
    go_file = os.path.join(LOG_DIR, f"{db_name}.direct.go")
    for path in (ready_file, go_file):
        if os.path.exists(path):
            os.remove(path)
    cmd = worker_cmd(
        "direct",
        db_name,
        ctx["ours_path"],
        {"ready_file": ready_file, "go_file": go_file},
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not os.path.exists(ready_file):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(
                "[chaos] the direct-call process did not start; see its worker log"
            )
        time.sleep(0.1)
    return {"proc": proc, "go_file": go_file}


def finish_direct(direct, db_name):
    if not os.path.exists(direct["go_file"]):
        open(
            direct["go_file"], "w"
        ).close()  # the cron never started: let it run anyway
    stdout, _err = direct["proc"].communicate()
    return parse_result("direct", db_name, stdout, direct["proc"].returncode)


# ============================================================================ checks


def prepare_round(db, db_name, ctx, batch_size):
    """Configure a fresh round's database; (today, due customers, ids before the
    run)."""
    db.prepare(batch_size)
    say(f"{db_name}: listing the due customers (read only)")
    before = run_worker("due", db_name, ctx["ours_path"], {})
    return before["today"], before["due"], db.max_ids()


def check_round(db, today, due, still_due, baseline):
    """The round's figures, from the database. A step is a log of today that did not
    fail; mails, chatter messages, SMS and activities are those created in the round."""
    due_ids = {int(p) for p in due}
    after_log = baseline["invoice_followup_log"]
    steps = dict(
        db.all(
            "SELECT partner_id, count(*) FROM invoice_followup_log WHERE date = "
            "%s AND state != 'failed' AND id > %s"
            " GROUP BY partner_id, company_id",
            (today, after_log),
        )
    )
    failed = db.one(
        "SELECT count(*) FROM invoice_followup_log WHERE date = %s AND state = "
        "'failed' AND id > %s",
        (today, after_log),
    )
    # the reminder mails (mail.mail inherits mail.message: model, res_id = the customer)
    mails = dict(
        db.all(
            "SELECT m.res_id, count(*) FROM mail_mail mm JOIN mail_message m ON "
            "m.id = mm.mail_message_id"
            " WHERE m.model = 'res.partner' AND mm.id > %s GROUP BY m.res_id",
            (baseline["mail_mail"],),
        )
    )
    messages = dict(
        db.all(
            "SELECT res_id, count(*) FROM mail_message WHERE model = "
            "'res.partner' AND message_type = 'comment'"
            " AND id > %s GROUP BY res_id",
            (baseline["mail_message"],),
        )
    )
    sms = dict(
        db.all(
            "SELECT number, count(*) FROM sms_sms WHERE id > %s GROUP BY number",
            (baseline["sms_sms"],),
        )
    )
    activities = dict(
        db.all(
            "SELECT res_id, count(*) FROM mail_activity WHERE res_model = "
            "'res.partner' AND id > %s GROUP BY res_id",
            (baseline["mail_activity"],),
        )
    )
    # half-written: a step without a channel outcome its stage has, a channel said sent
    # without its queued record (the SMS: its number, as mass SMS are not linked to the
    # step's message), a step without invoices
    half = db.all(
        "SELECT l.id FROM invoice_followup_log l JOIN invoice_followup_stage s "
        "ON s.id = l.stage_id"
        " WHERE l.date = %s AND l.id > %s AND l.state = 'done' AND ("
        "  (s.send_email AND l.email_state IS NULL)"
        "  OR (s.send_sms AND l.sms_state IS NULL)"
        "  OR ((s.create_activity OR s.escalate) AND l.activity_state IS NULL)"
        "  OR (l.email_state = 'sent' AND NOT EXISTS ("
        "      SELECT 1 FROM mail_mail mm WHERE mm.mail_message_id = "
        "l.mail_message_id))"
        "  OR (l.sms_state = 'sent' AND (l.sms_message_id IS NULL OR NOT EXISTS ("
        "      SELECT 1 FROM sms_sms ss WHERE ss.number = l.sms_info AND ss.id > %s)))"
        "  OR NOT EXISTS (SELECT 1 FROM invoice_followup_log_account_move_rel r "
        "WHERE r.log_id = l.id))",
        (today, after_log, baseline["sms_sms"]),
    )
    # late-payment fees: one per step at a fee stage that lists an overdue invoice, none
    # twice, none without its step (made in the step's transaction, or not at all)
    fee_counts = db.all(
        "SELECT l.id, count(m.id) FROM invoice_followup_log l"
        " JOIN invoice_followup_stage s ON s.id = l.stage_id"
        " LEFT JOIN account_move m ON m.followup_fee_step_id = l.id"
        " WHERE l.date = %s AND l.id > %s AND l.state = 'done' AND s.fee_type != 'none'"
        " AND EXISTS (SELECT 1 FROM invoice_followup_log_account_move_rel r"
        "   JOIN account_move o ON o.id = r.move_id WHERE r.log_id = l.id"
        "   AND o.followup_charge_kind IS NULL AND o.followup_date_due < l.date)"
        " GROUP BY l.id",
        (today, after_log),
    )
    fee_orphans = db.one(
        "SELECT count(*) FROM account_move m WHERE m.id > %s"
        " AND m.followup_charge_kind = 'fee' AND NOT EXISTS ("
        "  SELECT 1 FROM invoice_followup_log l WHERE l.id = m.followup_fee_step_id"
        "  AND l.state = 'done')",
        (baseline["account_move"],),
    )
    # the invoices: every due invoice of a customer with a step advanced today, and no
    # invoice advanced today for a customer without a step
    due_moves = [m for p, ids in due.items() if int(p) in steps for m in ids]
    not_advanced = (
        db.one(
            "SELECT count(*) FROM account_move WHERE id = ANY(%s)"
            " AND (followup_stage_id IS NULL OR followup_last_date IS DISTINCT "
            "FROM %s)",
            (due_moves, today),
        )
        if due_moves
        else 0
    )
    advanced_alone = db.one(
        "SELECT count(DISTINCT commercial_partner_id) FROM account_move"
        " WHERE followup_last_date = %s AND NOT (commercial_partner_id = ANY(%s))",
        (today, list(steps) or [0]),
    )
    return {
        "due": len(due_ids),
        "steps": sum(steps.values()),
        "customers_with_step": len(steps),
        "failed": failed,
        "missing": len(due_ids - set(steps)),
        "unexpected": len(set(steps) - due_ids),
        "dup_steps": sum(1 for n in steps.values() if n > 1),
        "mails": sum(mails.values()),
        "dup_mails": sum(1 for n in mails.values() if n > 1),
        "dup_messages": sum(1 for n in messages.values() if n > 1),
        "sms": sum(sms.values()),
        "dup_sms": sum(1 for n in sms.values() if n > 1),
        "activities": sum(activities.values()),
        "dup_activities": sum(1 for n in activities.values() if n > 1),
        "fees": sum(n for _step, n in fee_counts),
        "dup_fees": sum(1 for _step, n in fee_counts if n > 1),
        "half_written": len(half)
        + not_advanced
        + advanced_alone
        + fee_orphans
        + sum(1 for _step, n in fee_counts if n == 0),
        "half_detail": {
            "steps": len(half),
            "fees without their step": fee_orphans,
            "fee steps without their fee": sum(1 for _step, n in fee_counts if n == 0),
            "due invoices not advanced": not_advanced,
            "customers advanced without a step": advanced_alone,
        },
        "still_due": len(still_due),
    }


BAD_KEYS = (
    "missing",
    "dup_steps",
    "dup_mails",
    "dup_messages",
    "dup_sms",
    "dup_activities",
    "dup_fees",
    "half_written",
    "still_due",
)


# ============================================================================ report


def machine_line():
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores (nproc), load average {load[0]:.2f} / "
        f"{load[1]:.2f} / {load[2]:.2f}"
    )


def print_report(title, rounds, kills_wanted, wall, load_start):
    kills = [k for r in rounds for k in r["kills"]]
    total = {
        key: sum(r[key] for r in rounds)
        for key in (
            "due",
            "steps",
            "failed",
            "missing",
            "unexpected",
            "dup_steps",
            "mails",
            "dup_mails",
            "dup_messages",
            "sms",
            "dup_sms",
            "activities",
            "dup_activities",
            "fees",
            "dup_fees",
            "half_written",
            "still_due",
            "rearms",
            "lives",
        )
    }
    phases = {}
    for kill in kills:
        phases[kill["phase"]] = phases.get(kill["phase"], 0) + 1
    lost = sum(1 for k in kills if k["lost"])
    rows = [
        ("rounds (fresh copy of the template each)", len(rounds)),
        (
            "kills (SIGKILL of the Odoo process group)",
            f"{len(kills)} (wanted {kills_wanted})" if kills_wanted else "0",
        ),
        (
            "  of which threw uncommitted steps away",
            f"{lost} ({sum(k['lost'] for k in kills)} steps)",
        ),
        ("server starts", total["lives"]),
        ("due customers (sum over the rounds)", total["due"]),
        ("steps today (not failed)", total["steps"]),
        ("failed steps", total["failed"]),
        ("MISSING (due, no step)", total["missing"]),
        ("DUPLICATED steps (customers with 2+)", total["dup_steps"]),
        ("mails queued", total["mails"]),
        ("DUPLICATED mails (customers with 2+)", total["dup_mails"]),
        ("DUPLICATED chatter messages", total["dup_messages"]),
        ("SMS queued", total["sms"]),
        ("DUPLICATED SMS (numbers with 2+)", total["dup_sms"]),
        ("activities", total["activities"]),
        ("DUPLICATED activities", total["dup_activities"]),
        ("late-payment fee invoices", total["fees"]),
        ("DUPLICATED fees (steps with 2+)", total["dup_fees"]),
        ("HALF-WRITTEN steps / invoices", total["half_written"]),
        ("still due after the run", total["still_due"]),
        ("steps of customers not due at the start", total["unexpected"]),
        ("cron run again after Odoo's timeout guard", total["rearms"]),
        ("total wall time (s)", f"{wall:.0f}"),
    ]
    width = 44
    print()
    print("=" * 72)
    print(title)
    print("=" * 72)
    for label, value in rows:
        print(f"{label:{width}} {value!s:>24}")
    if phases:
        aims = {}
        for kill in kills:
            aims[kill["aim"]] = aims.get(kill["aim"], 0) + 1
        print(
            "kills by moment hit: "
            + ", ".join(f"{n} {phase}" for phase, n in sorted(phases.items()))
        )
        print(
            "kills by aim: "
            + ", ".join(f"{n} {AIMS[aim]}" for aim, n in sorted(aims.items()))
        )
    for i, r in enumerate(rounds, 1):
        line = (
            f"round {i}: {len(r['kills'])} kills, {r['lives']} starts, "
            f"{r['due']} due, {r['steps']} steps, "
            f"{r['missing']} missing, {r['dup_steps']} dup, {r['seconds']:.0f}s"
        )
        if r["half_written"]:
            line += f", half-written {r['half_detail']}"
        if r.get("direct"):
            d = r["direct"]
            line += f"; direct call: {d['customers']} customers in {d['seconds']:.1f}s"
            if d.get("error"):
                line += f", error {d['error']}"
        if r.get("held"):
            h = r["held"]
            line += (
                f"; customer {h['customer']} held: the cron "
                f"{'was over' if h['cron_over_before_kill'] else 'waited for it'} "
                "when the holder was killed"
            )
        if r["date_changed"]:
            line += " (the day changed during the round: figures unreliable)"
        print(line)
    print(f"machine: {machine_line()} (at the start: {load_start[0]:.2f})")
    bad = [key for key in BAD_KEYS if total[key]]
    if kills_wanted and len(kills) < kills_wanted:
        bad.append("too few kills")
    print(
        "RESULT: "
        + (
            "OK: nothing missing, duplicated or half-written"
            if not bad
            else "FAILED: " + ", ".join(bad)
        )
    )
    print("=" * 72)
    return not bad


# ============================================================================ main


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument(
        "--invoices",
        type=int,
        help="posted overdue invoices (default 2.5 per customer)",
    )
    parser.add_argument(
        "--kills",
        type=int,
        default=20,
        help="SIGKILLs of the cron's server, at least (default 20)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="data and kill moments (default 42)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=5,
        help="invoice_followup.batch_size (default 5)",
    )
    parser.add_argument(
        "--concurrent",
        type=int,
        default=1,
        metavar="N",
        help="rounds of the cron + a direct _cron_invoice_followup() call at once "
        "(default 1)",
    )
    parser.add_argument(
        "--addons-dir",
        default=REPO_ROOT,
        help="folder holding the invoice_followup to test (default: this repository)",
    )
    parser.add_argument(
        "--held",
        type=int,
        default=1,
        metavar="N",
        help="rounds where a second process holds a customer's step and is SIGKILLed "
        "(default 1)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the worked database ifu_chaos_<customers>",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the base and template databases"
    )
    # internal: worker subprocesses
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--worker-addons-path", help=argparse.SUPPRESS)
    parser.add_argument("--worker-options", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = WORKERS[args.worker](
            bench.check_db_name(args.db),
            args.worker_addons_path,
            json.loads(args.worker_options),
        )
        print(RESULT_MARK + json.dumps(result), flush=True)
        return 0

    if args.invoices is None:
        args.invoices = args.customers * 5 // 2
    start = time.monotonic()
    load_start = os.getloadavg()
    os.makedirs(DATA_DIR, exist_ok=True)
    os.makedirs(LOG_DIR, exist_ok=True)
    core = bench.core_addons_path()
    ours_path = [*core, os.path.realpath(args.addons_dir)]
    template, timings = ensure_template(args, core, ours_path)
    ctx = {"args": args, "template": template, "ours_path": ours_path}
    work = f"{DB_PREFIX}{args.customers}"
    rng = random.Random(args.seed + 7)
    timing = Timing()

    ok = True
    try:
        rounds = []
        kills = 0
        idle = 0  # rounds in a row that ended before their kill
        while kills < args.kills or not rounds:
            say(f"kill round {len(rounds) + 1}: {kills}/{args.kills} kills so far")
            result = run_round(ctx, work, args.kills - kills, rng, timing)
            rounds.append(result)
            kills += len(result["kills"])
            idle = 0 if result["kills"] else idle + 1
            if idle >= 3 and kills < args.kills:
                sys.exit(
                    "[chaos] 3 rounds ended before any kill: the run is too "
                    "short to aim at; "
                    "use more --customers or a smaller --batch-size"
                )
        ok = print_report(
            f"Crash test: {args.customers} customers, {args.invoices} invoices, "
            f"batch size {args.batch_size}, "
            f"seed {args.seed} ({datetime.date.today()})",
            rounds,
            args.kills,
            time.monotonic() - start,
            load_start,
        )
        if args.concurrent:
            part = time.monotonic()
            conc = [
                run_round(ctx, work, 0, rng, timing, concurrent=True)
                for _ in range(args.concurrent)
            ]
            ok = (
                print_report(
                    "Concurrent: the cron and a direct "
                    f"_cron_invoice_followup() call at once, {args.customers} "
                    f"customers, batch size {args.batch_size}",
                    conc,
                    0,
                    time.monotonic() - part,
                    load_start,
                )
                and ok
            )
        if args.held:
            part = time.monotonic()
            held = [run_held_round(ctx, work) for _ in range(args.held)]
            ok = (
                print_report(
                    "Held: a second process holds the last due customer's step "
                    "(an accountant's Send now still "
                    f"running) and is SIGKILLed, {args.customers} customers",
                    held,
                    0,
                    time.monotonic() - part,
                    load_start,
                )
                and ok
            )
        if timings:
            print(
                "Preparation: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items())
            )
    finally:
        if not args.keep:
            bench.db_drop(work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
