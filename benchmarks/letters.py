"""The letters mix of the daily run (issue 16): the default stages with their
letters (final notice and escalation) and attached invoice PDFs, on the bench's
generated data (benchmarks/run.py's base database), in three ways:

- ``batched``: the addon as it is: a batch's letters rendered LETTERS_PER_CALL per
  wkhtmltopdf call, each step keeping its own PDF (cut at the letters'
  references, invoice.followup.log._split_letters);
- ``one-by-one``: one wkhtmltopdf call per letter (LETTERS_PER_CALL = 1, what
  the run did before);
- ``at print``: the run without rendering letters, then the accountant's bulk
  print of all the day's letters (one report, one call), the other way the issue
  names.

Each is measured on a fresh copy, in a worker subprocess (run.py's), rolled back.

    make bench-letters [LETTERS_ARGS="--customers 100 --invoices 500"]
    python3 benchmarks/letters.py --help

The invoices of the generated data have no PDF of their own (never sent), so
each attached invoice is rendered by Odoo's invoice report: --no-attach leaves
them out to see the letters alone.
"""

import argparse
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402  (benchmarks/run.py: databases, workers, data)

MODES = ("batched", "one-by-one", "at-print")


def worker_letters(db, addons_path, opts):
    odoo, registry = run._worker_env(db, addons_path)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    from odoo.addons.base.models.ir_actions_report import (  # noqa: PLC0415
        IrActionsReport,
    )
    from odoo.addons.invoice_followup.models import (  # noqa: PLC0415
        invoice_followup_log,
    )

    mode = opts["mode"]
    calls = {"letter": 0, "other": 0}
    original = IrActionsReport._run_wkhtmltopdf

    def counting(report, bodies, *args, **kwargs):
        name = report._get_report(kwargs.get("report_ref")).report_name
        key = "letter" if name == "invoice_followup.report_followup_letter" else "other"
        calls[key] += 1
        return original(report, bodies, *args, **kwargs)

    IrActionsReport._run_wkhtmltopdf = counting
    if mode == "one-by-one":
        invoice_followup_log.LETTERS_PER_CALL = 1
    Log = registry["invoice.followup.log"]
    if mode == "at-print":
        # the run queues the letters without rendering them: they are made when
        # printed
        Log._render_letter = lambda self: {}

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # the default stages' letters and attached invoices, as installed
        defaults = {
            stage: (stage.send_letter, stage.attach_invoices)
            for stage in env["invoice.followup.stage"].search(
                [("company_id", "=", env.company.id)]
            )
        }
        run._ours_setup(env)  # run.py's bench settings (they switch PDFs off)
        letter_stages = env["invoice.followup.stage"]
        for stage, (send_letter, attach) in defaults.items():
            stage.write(
                {
                    "send_letter": send_letter,
                    "attach_invoices": attach and bool(opts.get("attach")),
                }
            )
            if send_letter:
                letter_stages |= stage
        env.flush_all()
        start = time.perf_counter()
        processed = env["account.move"]._cron_invoice_followup()
        env.flush_all()
        run_seconds = time.perf_counter() - start
        letters = env["invoice.followup.log"].search(
            [("letter_state", "=", "to_print")]
        )
        result = {
            "mode": mode,
            "customers": processed,
            "letters": len(letters),
            "letter_stages": letter_stages.mapped("name"),
            "attach": bool(opts.get("attach")),
            "run_seconds": run_seconds,
            "run_letter_calls": calls["letter"],
            "run_other_calls": calls["other"],
            "attaching_stages": [s.name for s, v in defaults.items() if v[1]],
        }
        calls.update(letter=0, other=0)
        start = time.perf_counter()
        pdf, _type = (
            env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(
                "invoice_followup.action_report_followup_letter", letters.ids
            )
        )
        result["print_seconds"] = time.perf_counter() - start
        result["print_calls"] = calls["letter"]
        result["print_bytes"] = len(pdf)
        cr.rollback()
    return result


run.WORKERS["letters"] = worker_letters


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"among {', '.join(MODES)}"
    )
    parser.add_argument(
        "--no-attach", action="store_true", help="no invoice PDFs attached"
    )
    parser.add_argument(
        "--addons-dir",
        default=run.REPO_ROOT,
        help="folder holding the invoice_followup to bench",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--worker-addons-path", help=argparse.SUPPRESS)
    parser.add_argument("--worker-options", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        import json  # noqa: PLC0415

        result = worker_letters(
            run.check_db_name(args.db),
            args.worker_addons_path,
            json.loads(args.worker_options),
        )
        print(run.RESULT_MARK + json.dumps(result), flush=True)
        return 0

    core = run.core_addons_path()
    base = f"{run.DB_PREFIX}base_{args.customers}x{args.invoices}"
    signature = (
        f"v{run.GEN_VERSION}:{args.customers}:{args.invoices}:"
        f"{args.seed}:{datetime.date.today()}"
    )
    if run.db_param(base, "ifu_bench.signature") != signature:
        run.say(f"building {base} (as make bench does)")
        run.db_drop(base)
        run.odoo_install(base, run.BASE_MODULES, core, "base-install.log")
        run.run_worker(
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
        run.db_vacuum_analyze(base)
    ours_db = f"{run.DB_PREFIX}letters"
    ours_path = core + [os.path.realpath(args.addons_dir)]
    run.say(f"{ours_db}: copy of {base} + invoice_followup")
    run.db_copy(base, ours_db)
    run.odoo_install(ours_db, "invoice_followup", ours_path, "letters-install.log")
    results = []
    for mode in args.modes.split(","):
        run.say(f"letters mix, {mode}")
        results.append(
            run.run_worker(
                "letters",
                ours_db,
                ours_path,
                {"mode": mode, "attach": not args.no_attach},
                f"letters-{mode}.log",
                script=os.path.abspath(__file__),
            )
        )
    load = os.getloadavg()[0]
    print()
    print(
        f"Letters mix: {args.customers} customers, {args.invoices} invoices, "
        f"letters at {', '.join(results[0]['letter_stages'])}, invoice PDFs "
        f"{'attached' if not args.no_attach else 'not attached'}; load {load:.1f}"
    )
    print(
        f"{'mode':<12} {'letters':>7} {'run s':>8} {'letter calls':>12} "
        f"{'other PDF calls':>15} {'s/letter in run':>15} {'print all s':>11}"
    )
    for res in results:
        per = res["run_seconds"] / res["letters"] if res["letters"] else 0
        print(
            f"{res['mode']:<12} {res['letters']:>7} {res['run_seconds']:>8.1f} "
            f"{res['run_letter_calls']:>12} {res['run_other_calls']:>15} "
            f"{per:>15.2f} {res['print_seconds']:>11.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
