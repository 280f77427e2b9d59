#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The daily run as queue_job jobs (invoice_followup_queue), with the real job runner:
the same data run with 1 worker and with 2 workers.

    make bench-queue                                   400 customers, 1,200 invoices
                                                       (about 3 minutes the first time)
    make bench-queue QUEUE_BENCH_ARGS="--customers 1000 --invoices 3000 --workers 1,2,4"

What it does (every database it touches is named ifu_bench_*):

1. ifu_bench_base_<customers>x<invoices>: benchmarks/run.py's base database (generated
   customers and overdue posted invoices; built once per size, seed and day, shared
   with make bench).
2. ifu_bench_queue_src: a copy of it with invoice_followup, queue_job and
   invoice_followup_queue installed, configured as make bench configures ours (automatic
   run every day, no PDF); rebuilt when the base or the addons change.
3. For each number of workers N: ifu_bench_queue_<N>, a copy of ifu_bench_queue_src;
   an Odoo server with --workers=N+1 (one HTTP worker left for the job runner's own
   calls), --load=web,queue_job (the job runner), queue_job's max_capacity N and the
   channel root.invoice_followup at capacity N; then the scheduled action is triggered
   (ir.cron.method_direct_trigger, as "Run Manually" does: the batches are enqueued)
   and the time from the enqueue to the last job done is measured.
4. Checks, as a test of the runner would: every batch job done (none failed), one step
   of the day per due customer (no customer twice, none left).

The machine is shared: the 1-minute load average at the end of each run is printed.
"""

import argparse
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as bench  # noqa: E402  (benchmarks/run.py: databases, workers, data)

SRC_DB = f"{bench.DB_PREFIX}queue_src"
MODULES = "invoice_followup,queue_job,invoice_followup_queue"
CHANNEL = "root.invoice_followup"
CRON_XMLID = "invoice_followup.ir_cron_invoice_followup"


def say(msg):
    print(f"[bench-queue] {msg}", file=sys.stderr, flush=True)


# ============================================================================ workers
# (run in a subprocess: ``queue_jobs.py --worker <phase>``)


def worker_setup(db, addons_path, opts):
    """Configure the follow-up as make bench does, the batch size."""
    odoo, registry = bench._worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        bench._ours_setup(env)
        env["ir.config_parameter"].set_param(
            "invoice_followup.batch_size", opts["batch_size"]
        )
        env["ir.config_parameter"].set_param("ifu_bench.queue_signature", opts["sig"])
    return {}


def worker_enqueue(db, addons_path, opts):
    """The scheduled action, as "Run Manually" starts it: enqueues the batches."""
    odoo, registry = bench._worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env.ref(
            "invoice_followup_queue.queue_job_channel_invoice_followup"
        ).capacity = opts["capacity"]
        due = len(env["invoice.followup.run"]._due_work())
        cr.commit()
        start = time.time()
        env.ref(CRON_XMLID).method_direct_trigger()
        cr.commit()
    return {"start": start, "due": due}


WORKERS = {"setup": worker_setup, "enqueue": worker_enqueue}


# ============================================================================ runs


def free_port(start):
    port = start
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
        port += 1


def job_states(db):
    conn = bench.pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                """SELECT method_name, state, count(*), max(date_done)
                     FROM queue_job WHERE channel = %s GROUP BY 1, 2""",
                (CHANNEL,),
            )
            return cr.fetchall()
    finally:
        conn.close()


def day_steps(db):
    conn = bench.pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                """SELECT count(*), count(DISTINCT partner_id) FROM invoice_followup_log
                    WHERE is_day_step AND date = CURRENT_DATE"""
            )
            return cr.fetchone()
    finally:
        conn.close()


def start_server(db, addons_path, workers, port, log):
    env = dict(os.environ, ODOO_QUEUE_JOB_MAX_CAPACITY=str(workers))
    env.pop("ODOO_QUEUE_JOB_CHANNELS", None)  # the database's channels, not a server's
    # odoo-bin, not python -m odoo: the prefork server starts its gevent process
    # again with sys.argv[0], which must be a script
    odoo_bin = os.path.join(bench.odoo_root(), "odoo-bin")
    cmd = [
        sys.executable,
        *([odoo_bin] if os.path.isfile(odoo_bin) else ["-m", "odoo"]),
        f"--database={db}",
        f"--db-filter=^{db}$",
        f"--addons-path={','.join(addons_path)}",
        f"--data-dir={bench.DATA_DIR}",
        f"--workers={workers + 1}",
        "--load=web,queue_job",
        "--max-cron-threads=0",
        f"--http-port={port}",
        f"--gevent-port={free_port(port + 1)}",
        "--limit-time-real=1800",
        "--limit-time-cpu=1800",
        "--log-level=info",
        f"--logfile={log}",
    ]
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise SystemExit(f"[bench-queue] timed out waiting for {what}")


def runner_ready(log, db):
    try:
        with open(log, encoding="utf-8", errors="replace") as fh:
            return f"queue job runner ready for db {db}" in fh.read()
    except FileNotFoundError:
        return False


def measure(args, addons_path, workers):
    db = f"{bench.DB_PREFIX}queue_{workers}"
    say(f"{db}: copy of {SRC_DB}; server with {workers} job worker(s)")
    bench.db_copy(SRC_DB, db)
    log = os.path.join(bench.LOG_DIR, f"queue-{workers}.log")
    if os.path.exists(log):
        os.remove(log)
    port = free_port(args.port)
    server = start_server(db, addons_path, workers, port, log)
    try:
        wait_for(lambda: runner_ready(log, db), 180, f"the job runner ({log})")
        enq = bench.run_worker(
            "enqueue",
            db,
            addons_path,
            {"capacity": workers},
            f"queue-{workers}-enqueue.log",
            script=os.path.abspath(__file__),
        )

        def finished():
            states = job_states(db)
            return states and all(
                state in ("done", "failed") for _m, state, _c, _d in states
            )

        wait_for(finished, args.timeout, f"the jobs of {db}")
        end = time.time()
        load = os.getloadavg()[0]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    states = job_states(db)
    batches = {
        state: count for m, state, count, _d in states if m == "_followup_queue_batch"
    }

    def seconds_to(method=None):
        """From the enqueue to the last job (of ``method``) done (date_done: UTC)."""
        done = [d for m, _s, _c, d in states if d and method in (None, m)]
        if not done:
            return end - enq["start"]
        return (
            max(done).replace(tzinfo=datetime.timezone.utc).timestamp() - enq["start"]
        )

    steps, customers = day_steps(db)
    return {
        "workers": workers,
        "due": enq["due"],
        "batches": batches,
        "steps": steps,
        "customers": customers,
        "batch_seconds": seconds_to("_followup_queue_batch"),
        "seconds": seconds_to(),
        "load": load,
    }


def ensure_src(args, core):
    """ifu_bench_queue_src: the base + the three addons, configured."""
    base = f"{bench.DB_PREFIX}base_{args.customers}x{args.invoices}"
    signature = (
        f"v{bench.GEN_VERSION}:{args.customers}:{args.invoices}:"
        f"{args.seed}:{bench.datetime.date.today()}"
    )
    if bench.db_param(base, "ifu_bench.signature") != signature:
        say(f"building {base} (account_payment, sms, generated data)")
        bench.db_drop(base)
        bench.odoo_install(base, bench.BASE_MODULES, core, "base-install.log")
        bench.run_worker(
            "generate",
            base,
            core,
            {
                "customers": args.customers,
                "invoices": args.invoices,
                "seed": args.seed,
                "batch": 250,
                "signature": signature,
            },
            "generate.log",
        )
        bench.db_vacuum_analyze(base)
    addons = core + [bench.REPO_ROOT]
    sig = (
        f"{signature}:{args.batch_size}:"
        + bench.addon_hash(os.path.join(bench.REPO_ROOT, "invoice_followup"))
        + bench.addon_hash(os.path.join(bench.REPO_ROOT, "invoice_followup_queue"))
    )
    if bench.db_param(SRC_DB, "ifu_bench.queue_signature") != sig:
        say(f"{SRC_DB}: copy of {base} + {MODULES}")
        bench.db_copy(base, SRC_DB)
        bench.odoo_install(SRC_DB, MODULES, addons, "queue-install.log")
        bench.run_worker(
            "setup",
            SRC_DB,
            addons,
            {"batch_size": args.batch_size, "sig": sig},
            "queue-setup.log",
            script=os.path.abspath(__file__),
        )
        bench.db_vacuum_analyze(SRC_DB)
    else:
        say(f"reusing {SRC_DB}")
    return addons


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--invoices", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument(
        "--workers", default="1,2", help="numbers of job workers, comma-separated"
    )
    parser.add_argument("--port", type=int, default=8395, help="first HTTP port")
    parser.add_argument("--timeout", type=int, default=1800)
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
        print(bench.RESULT_MARK + json.dumps(result), flush=True)
        return 0

    os.makedirs(bench.DATA_DIR, exist_ok=True)
    os.makedirs(bench.LOG_DIR, exist_ok=True)
    addons = ensure_src(args, bench.core_addons_path())
    results = [measure(args, addons, int(n)) for n in args.workers.split(",")]

    print()
    print(
        f"invoice_followup_queue: {args.customers} customers, "
        f"{args.invoices} invoices, "
        f"{args.batch_size} customers per job; {os.cpu_count()} CPU(s)"
    )
    print(
        f"{'workers':>7} {'due':>5} {'jobs done':>9} {'failed':>6} {'steps':>6} "
        f"{'batches s':>9} {'+insight s':>10} {'cust./s':>7} {'load':>5}"
    )
    problems = []
    for res in results:
        done, failed = res["batches"].get("done", 0), res["batches"].get("failed", 0)
        print(
            f"{res['workers']:>7} {res['due']:>5} {done:>9} {failed:>6} "
            f"{res['steps']:>6} {res['batch_seconds']:>9.1f} {res['seconds']:>10.1f} "
            f"{res['due'] / res['batch_seconds']:>7.1f} {res['load']:>5.2f}"
        )
        if failed or set(res["batches"]) - {"done"}:
            problems.append(f"{res['workers']} worker(s): jobs {res['batches']}")
        if res["steps"] != res["customers"] or res["customers"] != res["due"]:
            problems.append(
                f"{res['workers']} worker(s): {res['steps']} day steps for "
                f"{res['customers']} customers, {res['due']} were due"
            )
    if len(results) > 1:
        print(
            f"speed-up {results[-1]['workers']} vs {results[0]['workers']} worker(s): "
            f"x{results[0]['batch_seconds'] / results[-1]['batch_seconds']:.2f} "
            "(batches)"
        )
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print("OK: every job done, one step of the day per due customer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
