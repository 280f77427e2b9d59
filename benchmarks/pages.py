#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Big customers and big books (issue 16): page timings on 100,000 customers and
the daily run on 10,000 to 100,000 customers. Called by run.py (make bench
BENCH_ARGS="--pages" / "--big-run", see benchmarks/README.md); this file is also
the worker script of these measures.

The databases, ifu_bench_scale_<customers>:
- ifu_bench_scale_seed_<n>: invoice_followup installed (no demo), set up as make
  bench sets it up (every weekday a sending day, the administrator responsible, no
  PDF), <n> customers with 5 posted invoices each, all overdue by 1 to 90 days,
  and one customer ("statement-500") with 500 open invoices, due from 180 days ago
  to 60 days ahead, all made through the ORM;
- ifu_bench_scale_<customers>: a copy of it with the <n> customers, their invoices
  and journal items copied in SQL (run.multiply_ledger) until there are
  <customers>, the 500-invoice customer left single; VACUUM ANALYZEd.
Both are built once per size, seed, day and addon files, then reused.
"""

import datetime
import json
import os
import random
import statistics
import sys
import threading
import time

import run as bench  # benchmarks/run.py: database helpers, workers, measures

GEN_VERSION = 1
SEED_CUSTOMERS = 1000  # customers made through the ORM, then copied
INVOICES_EACH = 5
STATEMENT_REF = "statement-500"
STATEMENT_INVOICES = 500
TARGETS = {  # seconds, issue 16
    "statement": 0.3,
    "worklist": 1.0,
    "form": 1.0,
}
REPEAT = 5
WORKLIST_ACTION = "invoice_followup.invoice_followup_worklist_action"


def say(msg):
    bench.say(msg)


def median_of(func, repeat=REPEAT, warmup=1):
    """func() -> (seconds, info); the median seconds of ``repeat`` calls after
    ``warmup`` calls, each call's seconds, and the last call's info."""
    for _ in range(warmup):
        func()
    runs, info = [], None
    for _ in range(repeat):
        seconds, info = func()
        runs.append(seconds)
    return statistics.median(runs), runs, info


# ============================================================================ data


def worker_scale_seed(db, addons_path, opts):
    """The seed customers (5 invoices each, overdue by 1 to 90 days, a customer's
    invoices close to each other) and the 500-invoice customer, posted through the
    ORM; the company set up as make bench sets it up."""
    _odoo, registry = bench._worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api, fields  # noqa: PLC0415

    rng = random.Random(opts["seed"])
    ctx = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, ctx)
        env.company.write(
            {"email": "accounts@bench-company.example.com", "phone": "+1 555 0100"}
        )
        bench._ours_setup(env)
        today = fields.Date.context_today(env["res.partner"])
        n = opts["customers"]
        partners = env["res.partner"].create(
            [
                {
                    "name": f"Scale Customer {i + 1:05d}",
                    "ref": f"scale-{i}",
                    "is_company": True,
                    "email": f"ap{i + 1}@scale{i + 1}.example.com",
                    "mobile": f"+32 470 {i // 10000 % 100:02d} {i // 100 % 100:02d} "
                    f"{i % 100:02d}",
                    "lang": "en_US",
                }
                for i in range(n)
            ]
        )
        big = env["res.partner"].create(
            {
                "name": "Statement Customer (500 invoices)",
                "ref": STATEMENT_REF,
                "is_company": True,
                "email": "ap@statement500.example.com",
                "mobile": "+32 470 99 99 99",
                "lang": "en_US",
            }
        )
        cr.commit()
        rows = []
        for partner in partners:
            oldest = rng.randint(1, 90)
            for _ in range(INVOICES_EACH):
                days = max(1, oldest - rng.randrange(15))
                due = today - datetime.timedelta(days=days)
                rows.append((partner.id, due - datetime.timedelta(days=30), due))
        for k in range(STATEMENT_INVOICES):
            # from 180 days overdue to 60 days ahead: every ageing bucket
            due = today + datetime.timedelta(days=-180 + k * 240 // STATEMENT_INVOICES)
            rows.append((big.id, due - datetime.timedelta(days=30), due))
        rng.shuffle(rows)
        bench.post_invoices(env, rows, rng, opts["batch"], label="scale seed")
        big._followup_get_access_token()
        cr.commit()
    return {"seconds": time.perf_counter() - start, "invoices": len(rows)}


def ensure_scale_db(args, ours_path, customers, timings):
    """ifu_bench_scale_<customers> (built from the seed database, see the module
    docstring); returns (database name, customers in it)."""
    seed_n = args.big_seed_customers
    copies = max(1, round(customers / seed_n))
    # once per bench: the sizes of one bench share their seed while others edit
    if not getattr(args, "scale_addon_hash", None):
        args.scale_addon_hash = bench.addon_hash(
            os.path.join(ours_path[-1], "invoice_followup")
        )
    hash_ = args.scale_addon_hash
    seed_sig = (
        f"scale-v{GEN_VERSION}:{seed_n}:{args.seed}:{datetime.date.today()}:{hash_}"
    )
    seed_db = f"{bench.DB_PREFIX}scale_seed_{seed_n}"
    db = f"{bench.DB_PREFIX}scale_{copies * seed_n}"
    signature = f"{seed_sig}:{copies}"
    if args.reuse_scale_db and bench.db_param(db, "ifu_bench.signature"):
        say(f"reusing {db} as it is (--reuse-scale-db)")
        return db
    if not args.regenerate and bench.db_param(db, "ifu_bench.signature") == signature:
        say(f"reusing {db} (same size, seed, day and addon files)")
        return db
    if args.regenerate or bench.db_param(seed_db, "ifu_bench.signature") != seed_sig:
        say(
            f"building {seed_db}: invoice_followup, {seed_n} customers with "
            f"{INVOICES_EACH} invoices and one with {STATEMENT_INVOICES}, through "
            "the ORM"
        )
        bench.db_drop(seed_db)
        timings["scale: install"] = bench.odoo_install(
            seed_db, "invoice_followup", ours_path, "scale-install.log"
        )
        seed = bench.run_worker(
            "scale_seed",
            seed_db,
            ours_path,
            {"customers": seed_n, "seed": args.seed, "batch": args.batch},
            "scale-seed.log",
            script=os.path.abspath(__file__),
        )
        timings["scale: ORM seed"] = seed["seconds"]
        bench.db_set_param(seed_db, "ifu_bench.signature", seed_sig)
    say(f"building {db}: {copies} SQL copies of the {seed_n} seed customers")
    bench.db_copy(seed_db, db)
    start = time.perf_counter()
    bench.multiply_ledger(db, copies, single_refs=(STATEMENT_REF,))
    timings[f"scale {copies * seed_n}: SQL copies"] = time.perf_counter() - start
    start = time.perf_counter()
    bench.db_vacuum_analyze(db)
    timings[f"scale {copies * seed_n}: VACUUM ANALYZE"] = time.perf_counter() - start
    bench.db_set_param(db, "ifu_bench.signature", signature)
    return db


# ============================================================================ pages


def view_spec(env, model, node):
    """The fields specification the web client sends for the view ``node`` (an
    arch of get_views, sub-views inline): every field of the view, many2one with
    their display name, x2many with the fields of their list (else kanban)
    sub-view and its limit (40 unless the sub-view says), or their display name
    for widgets without a sub-view (many2many_tags). Attributes the web client
    adds (context, order, the form sub-view's fields) are left out."""
    spec = {}
    model_fields = env[model]._fields
    for child in node:
        if not isinstance(child.tag, str) or child.tag in ("groupby", "searchpanel"):
            continue
        if child.tag != "field":
            for name, sub in view_spec(env, model, child).items():
                if sub or name not in spec:
                    spec[name] = sub
            continue
        field = model_fields.get(child.get("name"))
        if field is None:
            continue
        if field.type == "many2one":
            sub = {"fields": {"display_name": {}}}
        elif field.type in ("one2many", "many2many"):
            modes = (child.get("mode") or "list,kanban").split(",")
            subviews = {c.tag: c for c in child if isinstance(c.tag, str)}
            subview = next(
                (subviews[m] for m in modes if m in subviews),
                None,
            )
            if subview is None or "tags" in (child.get("widget") or ""):
                sub = {"fields": {"display_name": {}}}
            else:
                sub = {
                    "fields": view_spec(env, field.comodel_name, subview),
                    "limit": int(subview.get("limit") or 40),
                }
        else:
            sub = {}
        if sub or field.name not in spec:
            spec[field.name] = sub
    return spec


def default_filters_domain(env, action, search_arch):
    """The domain of the action's search_default_* filters, as the web client
    combines them: OR within a group of filters (between separators), AND
    between groups; with the action's own domain."""
    from odoo.osv import expression  # noqa: PLC0415
    from odoo.tools.safe_eval import datetime as sdatetime  # noqa: PLC0415
    from odoo.tools.safe_eval import dateutil, safe_eval  # noqa: PLC0415

    today = datetime.date.today()
    eval_ctx = {
        "uid": env.uid,
        "context_today": lambda: today,
        "datetime": sdatetime,
        "relativedelta": dateutil.relativedelta.relativedelta,
    }
    context = safe_eval(action.context or "{}", eval_ctx)
    wanted = {key[len("search_default_") :] for key, on in context.items() if on}
    groups, group = [], []
    for node in search_arch:
        if not isinstance(node.tag, str):
            continue
        if node.tag == "separator":
            groups.append(group)
            group = []
        elif node.tag == "filter" and node.get("name") in wanted and node.get("domain"):
            group.append(safe_eval(node.get("domain"), eval_ctx))
    groups.append(group)
    domains = [expression.OR(g) for g in groups if g]
    if action.domain:
        domains.append(safe_eval(action.domain, eval_ctx))
    return expression.AND(domains) if domains else [], sorted(wanted)


def worker_pages(db, addons_path, opts):
    """The statement page (HTTP through Odoo's WSGI application), the worklist's
    first page and the 500-invoice customer's form (as the web client asks them),
    each the median of REPEAT after a warm-up."""
    from lxml import etree  # noqa: PLC0415

    _odoo, registry = bench._worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    result = {"load_average_start": os.getloadavg()[0]}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        big = env["res.partner"].search([("ref", "=", STATEMENT_REF)], limit=1)
        token = big._followup_get_access_token()
        open_names = big._followup_open_invoices(all_companies=True).mapped("name")
        result["customers"] = env["res.partner"].search_count(
            [("ref", "=like", "scale-%")]
        ) + len(big)
        result["open_invoices"] = env["account.move"].search_count(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        result["statement_invoices"] = len(open_names)
        cr.commit()  # the token, when it was new
    big_id = big.id

    # ---- the portal statement: a real request through Odoo's WSGI application
    from werkzeug.test import Client  # noqa: PLC0415

    from odoo import http  # noqa: PLC0415
    from odoo.service import server  # noqa: PLC0415

    server.load_server_wide_modules()
    client = Client(http.root)
    url = f"/my/followup?pid={big_id}&access_token={token}"

    def statement():
        start = time.perf_counter()
        response = client.get(url)
        body = response.get_data(as_text=True)
        seconds = time.perf_counter() - start
        thread = threading.current_thread()
        if response.status_code != 200:
            raise SystemExit(f"[bench] {url} answered {response.status_code}")
        return seconds, {
            "queries": getattr(thread, "query_count", None),
            "query_seconds": getattr(thread, "query_time", None),
            "bytes": len(body),
            "shown": sum(1 for name in open_names if name in body),
        }

    median, runs, info = median_of(statement)
    result["statement"] = {"seconds": median, "runs": runs, **info}

    # ---- the worklist and the customer form, as the administrator's web client
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        admin = env.ref("base.user_admin")
        env = api.Environment(cr, admin.id, {})
        env = env(context=env["res.users"].context_get())
        Worklist = env["invoice.followup.worklist"]
        action = env.ref(WORKLIST_ACTION).sudo()
        views = Worklist.get_views([(False, "list"), (False, "search")])["views"]
        list_arch = etree.fromstring(views["list"]["arch"])
        search_arch = etree.fromstring(views["search"]["arch"])
        list_spec = view_spec(env, Worklist._name, list_arch)
        domain, filters = default_filters_domain(env, action, search_arch)

        def worklist():
            env.invalidate_all()
            before = cr.sql_log_count
            start = time.perf_counter()
            res = Worklist.web_search_read(
                domain, list_spec, offset=0, limit=80, order="", count_limit=10001
            )
            return time.perf_counter() - start, {
                "queries": cr.sql_log_count - before,
                "rows": len(res["records"]),
                "length": res["length"],
            }

        median, runs, info = median_of(worklist)
        start = time.perf_counter()
        count = Worklist.search_count(domain)
        result["worklist"] = {
            "seconds": median,
            "runs": runs,
            **info,
            "filters": filters,
            "domain": repr(domain),
            "fields": sorted(list_spec),
            "count": count,
            "count_seconds": time.perf_counter() - start,
            "all_rows": Worklist.search_count([]),
        }

        Partner = env["res.partner"].with_context(invoice_followup_tab=True)
        form = Partner.get_views([(False, "form")])["views"]["form"]
        form_arch = etree.fromstring(form["arch"])
        form_spec = {**view_spec(env, "res.partner", form_arch), "display_name": {}}
        tab = form_arch.xpath("//page[@name='invoice_followup']")
        tab_spec = view_spec(env, "res.partner", tab[0]) if tab else {}
        record = Partner.browse(big_id)

        def customer_form():
            env.invalidate_all()
            before = cr.sql_log_count
            start = time.perf_counter()
            values = record.web_read(form_spec)[0]
            return time.perf_counter() - start, {
                "queries": cr.sql_log_count - before,
                "invoice_rows": len(values.get("followup_invoice_ids") or []),
            }

        median, runs, info = median_of(customer_form)
        result["form"] = {
            "seconds": median,
            "runs": runs,
            **info,
            "fields": len(form_spec),
            "tab_found": bool(tab),
            "tab_x2many": {
                name: sub.get("limit")
                for name, sub in tab_spec.items()
                if env["res.partner"]._fields[name].type in ("one2many", "many2many")
            },
        }
        cr.rollback()
    result["load_average"] = os.getloadavg()[0]
    return result


def print_pages(res):
    statement, worklist, form = res["statement"], res["worklist"], res["form"]
    print()
    print("=" * 78)
    print(
        f"Page timings on {res['customers']:,} customers, {res['open_invoices']:,} "
        f"open invoices ({datetime.date.today()})"
    )
    print("=" * 78)

    def line(label, part, key):
        verdict = "ok" if part["seconds"] <= TARGETS[key] else "MISSED"
        ms = part["seconds"] * 1000
        target = TARGETS[key] * 1000
        runs = ", ".join(f"{r * 1000:.0f}" for r in part["runs"])
        print(f"{label:<44} {ms:>7.0f} ms  target {target:>5.0f} ms  {verdict}")
        print(f"{'':<44} runs {runs} ms; {part['queries']} queries")

    line(
        f"portal statement, {res['statement_invoices']} open invoices",
        statement,
        "statement",
    )
    print(
        f"{'':<44} GET /my/followup?pid=..&access_token=.. through odoo.http.root; "
        f"{statement['bytes'] / 1024:.0f} KiB, {statement['shown']} invoices shown"
    )
    line("worklist, first page (web_search_read, 80)", worklist, "worklist")
    print(
        f"{'':<44} default filters {', '.join(worklist['filters']) or '-'}: "
        f"{worklist['count']:,} rows of {worklist['all_rows']:,} "
        f"(count alone {worklist['count_seconds'] * 1000:.0f} ms); "
        f"{len(worklist['fields'])} fields"
    )
    line("customer form, 500-invoice customer (web_read)", form, "form")
    print(
        f"{'':<44} {form['fields']} fields of the form view; Follow-up tab "
        f"{'found' if form['tab_found'] else 'NOT FOUND'}, its lists "
        + ", ".join(f"{k} (limit {v})" for k, v in form["tab_x2many"].items())
        + f"; {form['invoice_rows']} open invoices listed"
    )
    print(f"load average at the end {res['load_average']:.2f}")
    print("=" * 78)


# ============================================================================ run


class RssSampler(threading.Thread):
    """VmRSS of this process every ``interval`` seconds, with the time."""

    def __init__(self, interval=1.0):
        super().__init__(daemon=True)
        self.interval = interval
        self.samples = []
        self.stopped = threading.Event()
        self.start_time = time.perf_counter()

    def run(self):
        while not self.stopped.wait(self.interval):
            rss, _peak = bench._rss_status()
            self.samples.append((time.perf_counter() - self.start_time, rss))

    def quartiles(self):
        """RSS (MiB) at a quarter, half, three quarters and the end of the run."""
        if not self.samples:
            return []
        end = self.samples[-1][0]
        return [
            next(rss for t, rss in self.samples if t >= end * q)
            for q in (0.25, 0.5, 0.75, 1.0)
        ]


def worker_big_run(db, addons_path, opts):
    """The daily run as Odoo's cron runs it (ir.cron._run_job): one batch per
    call of account.move._cron_invoice_followup with a progress record, each
    call committed, at most 10 calls per cursor (MAX_BATCH_PER_CRON_JOB), until
    nothing remains. Outside a cron the whole run is one transaction that holds
    an advisory lock per customer until its end: past about 10,000 customers
    PostgreSQL runs out of lock slots (max_locks_per_transaction). ``db`` is a
    throw-away copy: the run commits. The insight refresh at the end is timed
    apart."""
    import gc  # noqa: PLC0415

    _odoo, registry = bench._worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    from odoo.addons.base.models.ir_cron import (  # noqa: PLC0415
        MAX_BATCH_PER_CRON_JOB,
    )

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        due = env["invoice.followup.run"]._due_work()
        due_customers = len(due)
        due_invoices = sum(len(ids) for ids in due.values())
        max_log = env["invoice.followup.log"].search([], order="id desc", limit=1).id
        max_mail = env["mail.mail"].search([], order="id desc", limit=1).id
        cron_id = env.ref("invoice_followup.ir_cron_invoice_followup").id
        cr.rollback()
    Run = registry["invoice.followup.run"]
    refresh = Run._refresh_insight
    refresh_seconds = []

    def timed_refresh(self):
        begin = time.perf_counter()
        refresh(self)
        refresh_seconds.append(time.perf_counter() - begin)

    Run._refresh_insight = timed_refresh
    batches = []  # (customers done, seconds) of each call
    queries = 0
    gc.collect()
    peak_reset = bench._rss_reset_peak()
    rss_before, _peak = bench._rss_status()
    sampler = RssSampler()
    start = time.perf_counter()
    sampler.start()
    try:
        remaining = True
        while remaining:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                cron = env["ir.cron"].browse(cron_id)
                for _ in range(MAX_BATCH_PER_CRON_JOB):
                    cron_p, progress = cron._add_progress()
                    cr.commit()
                    begin = time.perf_counter()
                    before = cr.sql_log_count
                    env["account.move"].with_context(
                        cron_p.env.context
                    )._cron_invoice_followup()
                    cr.commit()
                    queries += cr.sql_log_count - before
                    batches.append((progress.done, time.perf_counter() - begin))
                    remaining = progress.remaining
                    if not remaining or not progress.done:
                        remaining = remaining and progress.done
                        break
    finally:
        seconds = time.perf_counter() - start
        sampler.stopped.set()
        Run._refresh_insight = refresh
    _rss, rss_peak = bench._rss_status()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        steps = env["invoice.followup.log"].search_count([("id", ">", max_log or 0)])
        mails = env["mail.mail"].search_count([("id", ">", max_mail or 0)])
        still_due = len(env["invoice.followup.run"]._due_work())
        cr.rollback()
    # ms per customer of the first and the last tenth of the batches (without the
    # day's last batch, which also refreshes the insight)
    full = [(n, sec) for n, sec in batches[:-1] if n] or batches
    tenth = max(1, len(full) // 10)

    def ms_per_customer(part):
        return 1000 * sum(sec for _n, sec in part) / max(1, sum(n for n, _s in part))

    return {
        "load_average": os.getloadavg()[0],
        "seconds": seconds,
        "queries": queries,
        "rss_before_mib": rss_before,
        "rss_peak_mib": rss_peak,
        "peak_is_run_only": peak_reset,
        "customers": sum(n for n, _sec in batches),
        "calls": len(batches),
        "due_customers": due_customers,
        "due_invoices": due_invoices,
        "still_due": still_due,
        "steps": steps,
        "mails": mails,
        "refresh_seconds": sum(refresh_seconds),
        "rss_quartiles": sampler.quartiles(),
        "ms_first_tenth": ms_per_customer(full[:tenth]),
        "ms_last_tenth": ms_per_customer(full[-tenth:]),
    }


def print_big_run(results):
    print()
    print("=" * 78)
    print(
        "Daily run on many customers (_cron_invoice_followup as the cron runs it: "
        f"one committed batch per call), {datetime.date.today()}"
    )
    print("=" * 78)
    print(
        f"{'customers':>9} {'invoices':>9} {'steps':>7} {'time':>8} {'of which':>9} "
        f"{'cust/s':>7} {'queries':>8} {'RSS':>6} {'peak +':>7} {'load':>5}"
    )
    print(
        f"{'due':>9} {'due':>9} {'':>7} {'(s)':>8} {'refresh':>9} "
        f"{'(excl.)':>7} {'':>8} {'(MiB)':>6} {'(MiB)':>7} {'':>5}"
    )
    for res in results:
        run_only = res["seconds"] - res["refresh_seconds"]
        print(
            f"{res['due_customers']:>9,} {res['due_invoices']:>9,} "
            f"{res['steps']:>7,} {res['seconds']:>8.1f} "
            f"{res['refresh_seconds']:>8.1f}s "
            f"{res['customers'] / run_only if run_only else 0:>7.1f} "
            f"{res['queries']:>8,} {res['rss_before_mib']:>6.0f} "
            f"{res['rss_peak_mib'] - res['rss_before_mib']:>7.0f} "
            f"{res['load_average']:>5.2f}"
        )
    for res in results:
        quart = ", ".join(f"{rss:.0f}" for rss in res["rss_quartiles"])
        print(
            f"{res['due_customers']:,} customers: {res['calls']} calls, "
            f"{res['ms_first_tenth']:.1f} ms per customer in the first tenth of "
            f"the batches, {res['ms_last_tenth']:.1f} in the last; RSS at 1/4, "
            f"1/2, 3/4 and the end {quart} MiB; {res['mails']:,} mails; still due "
            f"after the run {res['still_due']}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        ratio_n = last["due_customers"] / first["due_customers"]

        def run_only(r):
            return r["seconds"] - r["refresh_seconds"]

        ratio_t = run_only(last) / run_only(first)
        print(
            f"{ratio_n:.1f} x the customers: {ratio_t:.2f} x the time of the steps "
            f"(linear: {ratio_n:.1f}); peak RSS increase "
            f"{first['rss_peak_mib'] - first['rss_before_mib']:.0f} -> "
            f"{last['rss_peak_mib'] - last['rss_before_mib']:.0f} MiB"
        )
    if any(not res["peak_is_run_only"] for res in results):
        print("(peak RSS: the kernel peak could not be reset: it includes Odoo's load)")
    print("=" * 78)


# ============================================================================ main


def main_scale(args, ours_path, timings):
    """What run.py's --pages / --big-run options ask; returns the figures."""
    figures = {}
    script = os.path.abspath(__file__)
    if args.pages or args.pages_only:
        db = ensure_scale_db(args, ours_path, args.big_customers, timings)
        say(f"page timings on {db}")
        figures["pages"] = bench.run_worker(
            "pages", db, ours_path, {}, "pages.log", script=script
        )
        print_pages(figures["pages"])
    if args.big_run or args.big_run_only:
        sizes = [int(s) for s in str(args.big_run_sizes).split(",") if s.strip()]
        results = []
        for size in sizes:
            db = ensure_scale_db(args, ours_path, size, timings)
            run_db = f"{bench.DB_PREFIX}scale_run"
            say(f"the daily run on {run_db}, a copy of {db} (the cron commits)")
            bench.db_copy(db, run_db)
            try:
                res = bench.run_worker(
                    "big_run",
                    run_db,
                    ours_path,
                    {},
                    f"big-run-{size}.log",
                    script=script,
                )
            finally:
                bench.db_drop(run_db)
            say(
                f"{res['customers']:,} customers in {res['seconds']:.0f}s "
                f"(load {res['load_average']:.2f})"
            )
            results.append(res)
            if args.json:  # each size as it ends: the next ones are long
                with open(args.json, "w", encoding="utf-8") as fh:
                    json.dump({**figures, "big_run": results}, fh, indent=2)
        figures["big_run"] = results
        print_big_run(results)
    if timings:
        print("Preparation: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()))
    return figures


WORKERS = {
    "scale_seed": worker_scale_seed,
    "pages": worker_pages,
    "big_run": worker_big_run,
}


def worker_main(argv):
    """``pages.py --worker NAME --db DB --worker-addons-path P --worker-options J``
    (bench.run_worker's command line)."""
    opts = dict(zip(argv[0::2], argv[1::2], strict=True))
    result = WORKERS[opts["--worker"]](
        bench.check_db_name(opts["--db"]),
        opts["--worker-addons-path"],
        json.loads(opts["--worker-options"]),
    )
    print(bench.RESULT_MARK + json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
