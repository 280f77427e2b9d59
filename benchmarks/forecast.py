#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Back-test of the predicted payment dates (invoice.followup.prediction).

    make forecast                   generated histories, then the demo database
    make forecast FORECAST_ARGS="--skip-demo"       the generated set alone
    make forecast FORECAST_ARGS=--help              every option

Every fully paid customer invoice is predicted again with what was known at the
start of its month (as_of = the first day of its invoice date's month: the
addon's own _predict_sql, history paid strictly before as_of) and compared with
how late it really was paid (the `late` of _history_sql: days between payment and
due date, signed, weighted by amount). Printed: the mean absolute error in days of
the prediction and of two baselines, "paid on the due date" (0) and "the
customer's average delay" (the customer's mean so far, 0 without history), on all
invoices and by the customer's history size at as_of (0, 1-3, 4+ paid invoices),
and whether the prediction beats both (paired difference, standard error over
customers).

Two sets (every database is named ifu_fc_*; logs in .cache/forecast-logs/):

1. generated: ifu_fc_base_<customers>x<invoices>, account_payment and sms without
   demo data, then benchmarks/run.py's plan_history: customers of known behaviour
   (early ~-5 days, on time ~0, ~10 and ~30 days late; 1 to 30 invoices each over
   24 months; most payments within a few days of the customer's usual delay, 15 %
   20 to 90 days later), real posted invoices and payments reconciled with them.
   Built once per size, seed and day, then reused; ifu_fc_gen is a copy of it with
   invoice_followup installed.
2. demo: ifu_fc_demo, a new database with invoice_followup and its demo data.
"""

import argparse
import datetime
import json
import math
import os
import sys

import run as bench  # benchmarks/run.py: database helpers, workers, paid histories

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
DB_PREFIX = "ifu_fc_"
# run.py's helpers refuse any database outside their prefix and keep their files in
# their folders: point them to ours (this process and its worker subprocesses only)
bench.DB_PREFIX = DB_PREFIX
bench.DATA_DIR = os.path.join(REPO_ROOT, ".cache", "forecast-data")
bench.LOG_DIR = os.path.join(REPO_ROOT, ".cache", "forecast-logs")
GEN_VERSION = 1  # bump when the generated histories change
BUCKETS = (("0", 0, 0), ("1-3", 1, 3), ("4+", 4, None))
SHRINK_TRIES = (0.5, 1, 2, 4, 8)
MIN_INVOICES = 30  # fewer back-tested invoices: too small to conclude
METHODS = (
    # (key, label)
    ("predicted", "prediction (median shrunk to the company's, k learnt)"),
    ("due", "baseline: paid on the due date"),
    ("mean", "baseline: the customer's average delay"),
    ("median", "for information: the customer's median, unshrunk"),
)


def say(msg):
    print(f"[forecast] {msg}", file=sys.stderr, flush=True)


# ============================================================================ workers


def worker_backtest(db, addons_path, opts):
    """Every fully paid customer invoice predicted as of the start of its month:
    rows [partner id, partner ref, paid_count, median, mean, company median,
    predicted, late]."""
    _odoo, registry = bench._worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415
    from odoo.tools import SQL  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        prediction = env["invoice.followup.prediction"]
        history = prediction._history_sql()
        targets = SQL(
            """SELECT h.move_id, h.partner_id, h.company_id,
                      date_trunc('month', m.invoice_date)::date AS as_of
                 FROM (%s) h JOIN account_move m ON m.id = h.move_id""",
            history,
        )
        rows = env.execute_query(
            SQL(
                """SELECT h.partner_id, p.ref, pr.paid_count, pr.median, pr.mean,
                          pr.company_median, pr.predicted, h.late, pr.weight
                     FROM (%s) pr
                     JOIN (%s) h ON h.move_id = pr.move_id
                     JOIN res_partner p ON p.id = h.partner_id
                    ORDER BY pr.move_id""",
                prediction._predict_sql(targets),
                history,
            )
        )
        cr.rollback()
    weights = sorted(row[-1] for row in rows)
    return {
        "rows": [list(row[:-1]) for row in rows],
        "weight": weights[len(weights) // 2] if weights else None,
        "weights": [weights[0], weights[-1]] if weights else None,
    }


def worker_history(db, addons_path, opts):
    return bench.worker_history(db, addons_path, opts)


WORKERS = {"backtest": worker_backtest, "history": worker_history}


# ============================================================================ figures


def guesses(row):
    """{method key: predicted days late} of one back-tested invoice."""
    _partner, _ref, count, median, mean, company_median, predicted, _late = row
    return {
        "predicted": predicted,
        "due": 0.0,
        "mean": mean if count else 0.0,
        "median": median if count else company_median,
    }


def mae(rows, key):
    if not rows:
        return None
    return sum(abs(guesses(row)[key] - row[-1]) for row in rows) / len(rows)


def shrunk_mae(rows, k):
    """MAE of (n * customer median + k * company median) / (n + k)."""
    if not rows:
        return None
    total = 0.0
    for _partner, _ref, count, median, _mean, company, _pred, late in rows:
        total += abs((count * (median or 0) + k * company) / (count + k) - late)
    return total / len(rows)


def paired(rows, key):
    """(mean of |error of the prediction| - |error of ``key``|, its standard error
    with the invoices of a customer taken together: they are not independent)."""
    diffs = {}
    for row in rows:
        guess = guesses(row)
        diff = abs(guess["predicted"] - row[-1]) - abs(guess[key] - row[-1])
        diffs.setdefault(row[0], []).append(diff)
    n = len(rows)
    mean = sum(sum(d) for d in diffs.values()) / n
    groups = len(diffs)
    if groups < 2:
        return mean, None
    var = sum(sum(x - mean for x in d) ** 2 for d in diffs.values()) / n**2
    return mean, math.sqrt(var * groups / (groups - 1))


def verdict(rows, key):
    diff, se = paired(rows, key)
    figures = f"{diff:+.2f} days" + (f" ± {2 * se:.2f} (2 SE)" if se else "")
    if len(rows) < MIN_INVOICES or se is None:
        return f"too small to conclude ({len(rows)} invoices; {figures})"
    if diff + 2 * se < 0:
        return f"BEATS it ({figures})"
    if diff - 2 * se > 0:
        return f"does NOT beat it: worse ({figures})"
    return f"no clear difference, too small to conclude ({figures})"


def fmt(value):
    return "-" if value is None else f"{value:.2f}"


def print_set(name, result, meta):
    rows = result["rows"]
    print()
    print("=" * 78)
    print(f"Back-test, {name}: {meta}")
    print("=" * 78)
    customers = len({row[0] for row in rows})
    print(f"{len(rows):,} fully paid invoices of {customers:,} customers back-tested")
    if not rows:
        print("nothing to back-test")
        return {}
    parts = [("all", rows)] + [
        (
            label,
            [r for r in rows if low <= r[2] and (high is None or r[2] <= high)],
        )
        for label, low, high in BUCKETS
    ]
    width = 48
    print()
    print(
        "Mean absolute error (days); columns: all invoices, then by how many paid "
        "invoices the customer had at as_of"
    )
    print(f"{'':{width}}" + "".join(f"{label:>12}" for label, _r in parts))
    print(f"{'invoices':{width}}" + "".join(f"{len(r):>12,}" for _l, r in parts))
    for key, label in METHODS:
        maes = "".join(f"{fmt(mae(r, key)):>12}" for _l, r in parts)
        print(f"{label:{width}}{maes}")
    kinds = {}
    for row in rows:
        ref = row[1] or ""
        if ref.count("/") == 2:  # run.py's plan_history: kind/typical days late/n
            kinds.setdefault(ref.split("/")[0], []).append(row)
    if kinds:
        print()
        print("By kind of customer (generated behaviour):")
        print(
            f"{'':{width - 12}}{'invoices':>12}"
            + "".join(f"{key:>12}" for key, _label in METHODS)
        )
        for kind, kind_rows in sorted(kinds.items()):
            print(
                f"{kind:{width - 12}}{len(kind_rows):>12,}"
                + "".join(f"{fmt(mae(kind_rows, key)):>12}" for key, _l in METHODS)
            )
    print()
    print(
        "For information, the same formula with a fixed weight k of the company's "
        "median (the addon's, learnt per company and month: median "
        f"{fmt(result['weight'])}, from {fmt((result['weights'] or [None])[0])} to "
        f"{fmt((result['weights'] or [None, None])[1])}):"
    )
    for k in SHRINK_TRIES:
        maes = "".join(f"{fmt(shrunk_mae(r, k)):>12}" for _l, r in parts)
        print(f"{f'k = {k}':{width}}{maes}")
    late = sorted(row[-1] for row in rows)
    print()
    print(
        f"real delays: median {late[len(late) // 2]:.1f} days, "
        f"from {late[0]:.0f} to {late[-1]:.0f}"
    )
    result = {}
    for key, label in METHODS[1:3]:
        result[key] = verdict(rows, key)
        print(f"prediction against {label[len('baseline: ') :]!r}: {result[key]}")
    return {
        "invoices": len(rows),
        "customers": customers,
        "mae": {label: {key: mae(r, key) for key, _l in METHODS} for label, r in parts},
        "counts": {label: len(r) for label, r in parts},
        "verdicts": result,
    }


# ============================================================================ main


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument(
        "--regenerate", action="store_true", help="rebuild the generated histories"
    )
    parser.add_argument(
        "--addons-dir",
        default=REPO_ROOT,
        help="folder holding the invoice_followup to test (default: this repository)",
    )
    parser.add_argument("--json", help="also write the figures to this file")
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
        print(bench.RESULT_MARK + json.dumps(result, default=str), flush=True)
        return 0

    os.makedirs(bench.DATA_DIR, exist_ok=True)
    core = bench.core_addons_path()
    ours_path = core + [os.path.realpath(args.addons_dir)]
    script = os.path.abspath(__file__)
    figures = {}
    if not args.skip_generated:
        base = f"{DB_PREFIX}base_{args.customers}x{args.invoices}"
        signature = (
            f"v{GEN_VERSION}:{args.customers}:{args.invoices}:"
            f"{args.seed}:{datetime.date.today()}"
        )
        if args.regenerate or bench.db_param(base, "ifu_bench.signature") != signature:
            say(f"building {base} (account_payment, sms, paid histories)")
            bench.db_drop(base)
            bench.odoo_install(base, bench.BASE_MODULES, core, f"{base}.install.log")
            options = {
                "customers": args.customers,
                "invoices": args.invoices,
                "seed": args.seed,
                "batch": args.batch,
                "signature": signature,
            }
            history = bench.run_worker(
                "history", base, core, options, "history.log", script=script
            )
            say(
                f"{history['invoices']} invoices, {history['paid']} paid, in "
                f"{history['seconds']:.0f}s"
            )
            bench.db_vacuum_analyze(base)
        else:
            say(f"reusing {base} (same size, seed and day)")
        gen = f"{DB_PREFIX}gen"
        say(f"{gen}: copy of {base} + invoice_followup")
        bench.db_copy(base, gen)
        bench.odoo_install(gen, "invoice_followup", ours_path, f"{gen}.install.log")
        result = bench.run_worker(
            "backtest", gen, ours_path, {}, "backtest-gen.log", script=script
        )
        figures["generated"] = print_set(
            "generated histories",
            result,
            f"{args.customers:,} customers, {args.invoices:,} invoices over 24 "
            f"months (seed {args.seed}, {datetime.date.today()})",
        )
    if not args.skip_demo:
        demo = f"{DB_PREFIX}demo"
        say(f"{demo}: new database, invoice_followup with its demo data")
        bench.db_drop(demo)
        bench.odoo_install(
            demo, "invoice_followup", ours_path, f"{demo}.install.log", demo=True
        )
        result = bench.run_worker(
            "backtest", demo, ours_path, {}, "backtest-demo.log", script=script
        )
        figures["demo"] = print_set(
            "demo data", result, f"invoice_followup's demo ({datetime.date.today()})"
        )
    print()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
