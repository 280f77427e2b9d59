# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The follow-up run, in one file (issue 11): due work, pauses, blocked
customers, planning, claiming, executing in batches, marking invoices done.
Over 400 lines because each of these steps is part of the one run a reader
should find here; the long docstrings say why each guard exists."""

import logging
from collections import defaultdict
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .account_move import FOLLOWUP_MOVE_TYPES
from .invoice_followup_log import DAY_STEP_INDEX

_logger = logging.getLogger(__name__)

# the advisory lock of one (customer p, company c) step, for every run
STEP_LOCK_KEY = SQL("hashtextextended('invoice_followup.step:' || c || ':' || p, 0)")
# the stored schedule of an invoice: what the run will do next, and when
SCHEDULE_FIELDS = ("followup_next_stage_id", "followup_next_date", "followup_state")


class InvoiceFollowupRun(models.AbstractModel):
    """The follow-up run, in one place: what is due, who is left alone today,
    which step each customer gets, executing the steps in batches (locked per
    customer, retried in halves when one fails) and moving the invoices on.

    Everything that runs follow-up steps calls it: the daily cron
    (account.move._cron_invoice_followup), "Send now" and "Escalate" on invoices,
    customers and the worklist, broken payment plans, and the preview wizard
    (which plans a step without running it). The steps themselves
    (invoice.followup.log) execute their channels; the invoices keep their
    schedule (account.move._compute_followup_next)."""

    _name = "invoice.followup.run"
    _description = "Follow-up Run"

    # ------------------------------------------------------------------
    # The daily run
    # ------------------------------------------------------------------
    @api.model
    def _run_daily(self, batch_size=None):
        """In a cron: one batch of customers per call, progress reported with
        _notify_progress (the framework commits and calls again). Outside a
        cron: every due customer, then return. Returns how many customers
        were done."""
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        batch_size = batch_size or self._batch_size()
        work = self._daily_work()
        partners = list(work)
        batches = [
            partners[i : i + batch_size] for i in range(0, len(partners), batch_size)
        ]
        Move = self.env[
            "account.move"
        ].sudo()  # the daily run acts for every company, as the system
        for batch in batches[:1] if in_cron else batches:
            moves = Move.browse(
                [move_id for partner_id in batch for move_id in work[partner_id]]
            )
            for company, company_moves in moves.grouped("company_id").items():
                self.with_company(company)._run(
                    company_moves.with_company(company), run_by="cron"
                )
            if in_cron:
                # what is still due: a customer this batch had to leave to another
                # run (held past the wait) comes back in a later call; the later
                # batches are read again by the next call only (reading the whole
                # day's work twice a call made a big book's calls slow)
                self.env.flush_all()
                still_due = self._due_work(partner_ids=batch)
                done = len(set(batch) - set(still_due))
                remaining = len(partners) - len(batch) + len(still_due)
                if not remaining:  # the day's last batch
                    self._refresh_insight()
                self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
                return done
            # outside a cron nothing commits between batches: keep the cache small
            self.env.flush_all()
            self.env.invalidate_all()
        self._refresh_insight()
        self.env["ir.cron"]._notify_progress(done=len(partners), remaining=0)
        return len(partners)

    @api.model
    def _daily_work(self):
        """The day's due work (_due_work), once the pauses whose date passed
        and the credit holds whose invoices were settled are released."""
        self._release_pauses()
        # a hold whose overdue invoices were settled otherwise (cancelled, ...)
        self.env["invoice.followup.credit.hold"].sudo()._release_paid()
        # the fallbacks of failed deliveries, up to a batch per call (the rest at
        # the next call): models/invoice_followup_fallback.py
        self.env["invoice.followup.log"].sudo()._followup_send_fallbacks(
            self._run_companies(), limit=self._batch_size()
        )
        return self._due_work()

    @api.model
    def _run_companies(self):
        """The companies whose automatic follow-up runs today (one of their
        sending weekdays)."""
        today = fields.Date.context_today(self)
        companies = (
            self.env["res.company"].sudo().search([("followup_auto", "=", True)])
        )
        return companies.filtered(
            lambda c: today.weekday() in c._followup_sending_weekdays()
        )

    @api.model
    def _refresh_insight(self):
        """What the day taught: each customer's payment behaviour, then the
        predicted payment dates (they read the company's default band of the
        behaviour), then the cash-in forecast (it reads the predictions), then what
        happened after each recent step, then the receivables figures (they read
        it)."""
        self.env["invoice.followup.behaviour"].sudo()._refresh()
        self.env["invoice.followup.prediction"].sudo()._refresh()
        self.env["invoice.followup.cashin"].sudo()._refresh()
        self.env["invoice.followup.effect"].sudo()._refresh()
        self.env["invoice.followup.kpi"].sudo()._refresh()

    @api.model
    def _batch_size(self):
        """Customers per batch (Settings, system parameter
        invoice_followup.batch_size)."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("invoice_followup.batch_size", "500")
        )
        return int(value) if str(value).isdigit() and int(value) > 0 else 500

    @api.model
    def _release_pauses(self):
        """Pauses whose date has passed end: the invoice goes back in line; an
        unkept promise is recorded on the invoice and the customer. Returns the
        invoices released."""
        today = fields.Date.context_today(self)
        expired = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("followup_pause_reason", "!=", False),
                    ("followup_paused_until", "!=", False),
                    ("followup_paused_until", "<", today),
                ]
            )
        )
        broken = expired.filtered(
            lambda m: m.followup_pause_reason == "promise" and m._followup_is_open()
        )
        expired.write({"followup_pause_reason": False, "followup_paused_until": False})
        if broken:
            broken._followup_record_broken_promise()
        return expired

    @api.model
    def _due_work(self, partner_ids=None):
        """{commercial partner id: [ids of its due invoices]}, with one indexed
        query, for the companies whose automatic follow-up runs today. The
        stored schedule that today's date made stale is refreshed first.
        ``partner_ids``: only these commercial partners (a batch of the run
        that checks its customers are still due, invoice_followup_queue)."""
        today = fields.Date.context_today(self)
        only = (
            [("commercial_partner_id", "in", list(partner_ids))]
            if partner_ids is not None
            else []
        )
        Move = self.env["account.move"].sudo()
        companies = self._run_companies()
        # where the run works today, manual stages that fell due become actions
        # for the worklist (the run moves the other due invoices on itself);
        # elsewhere, due invoices show the stage a run would send today
        self._refresh_schedule(
            Move.search(
                [
                    *only,
                    ("followup_next_date", "<=", today),
                    "|",
                    "&",
                    ("company_id", "in", companies.ids),
                    "&",
                    ("followup_state", "=", "planned"),
                    ("followup_next_stage_id.auto_execute", "=", False),
                    "&",
                    ("company_id", "not in", companies.ids),
                    ("followup_state", "in", ("planned", "action_needed")),
                ]
            )
        )
        if not companies:
            return {}
        domain = [
            *only,
            ("company_id", "in", companies.ids),
            ("followup_next_date", "<=", today),
            ("followup_state", "=", "planned"),
        ]
        blocked = self._blocked_partners(companies, today)
        if blocked:
            domain.append(("commercial_partner_id", "not in", list(blocked)))
        groups = Move._read_group(
            domain,
            ["commercial_partner_id"],
            ["id:array_agg"],
            order="commercial_partner_id",
        )
        return {partner.id: ids for partner, ids in groups}

    @api.model
    def _blocked_partners(self, companies, today):
        """{commercial partner id} the daily run leaves alone today: waiting for
        an accountant, failed today already, or at their weekly maximum."""
        blocked = {
            partner.id
            for [partner] in self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("followup_state", "=", "action_needed"),
                ],
                ["commercial_partner_id"],
            )
        }
        Step = self.env["invoice.followup.log"].sudo()
        blocked.update(
            partner.id
            for [partner] in Step._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("date", "=", today),
                    ("state", "=", "failed"),
                ],
                ["partner_id"],
            )
        )
        for company in companies.filtered("followup_max_per_week"):
            blocked.update(
                partner.id
                for partner, count in Step._read_group(
                    [
                        ("company_id", "=", company.id),
                        ("date", ">", today - timedelta(days=7)),
                        ("state", "=", "done"),
                    ],
                    ["partner_id"],
                    ["__count"],
                )
                if count >= company.followup_max_per_week
            )
        return blocked

    # ------------------------------------------------------------------
    # The stored schedule
    # ------------------------------------------------------------------
    @api.model
    def _refresh_schedule(self, moves):
        """Recompute the stored schedule of ``moves`` (SCHEDULE_FIELDS). The
        ORM recomputes it when what it depends on changes; but it also depends
        on today's date (the stage due today, "action needed" once a manual
        stage falls due), so this is the one place that refreshes it by hand:
        the daily run for the invoices that fell due (_due_work), stages that
        change (_refresh_companies) and a run that finds a schedule stale
        (_plan). Unchanged values are not written."""
        if not moves:
            return
        moves.fetch(list(SCHEDULE_FIELDS))
        for fname in SCHEDULE_FIELDS:
            self.env.add_to_compute(moves._fields[fname], moves)
        moves._recompute_recordset(list(SCHEDULE_FIELDS))

    @api.model
    def _refresh_companies(self, companies):
        """The stages of ``companies`` changed: refresh the schedule of their open
        invoices."""
        if companies:
            Move = self.env["account.move"].sudo()
            self._refresh_schedule(
                Move.search(
                    [
                        ("company_id", "in", companies.ids),
                        ("move_type", "in", FOLLOWUP_MOVE_TYPES),
                        ("state", "=", "posted"),
                        "|",
                        ("followup_state", "not in", ("none", "done")),
                        ("payment_state", "in", ("not_paid", "partial")),
                    ]
                )
            )

    # ------------------------------------------------------------------
    # Steps: planned, claimed, executed
    # ------------------------------------------------------------------
    @api.model
    def _run(self, moves, run_by="user", force=False, stage=None):
        """Execute the follow-up steps due for ``moves``: one step per customer
        and company, at the most advanced stage due among its invoices; every
        invoice advances to its own stage. ``force`` (a user's "Send now") also
        runs manual stages and the next stage not due yet; ``stage`` forces the
        step (escalation, a broken payment plan). Returns the steps
        (invoice.followup.log), failed ones included."""
        run = self.with_env(moves.env)  # with the rights ``moves`` come with
        planned = run._claim(run._plan(moves, force=force, stage=stage))
        return run._execute(planned, run_by)

    @api.model
    def _plan(self, moves, force=False, stage=None):
        """[{'partner', 'company', 'stage', 'targets': {invoice: its stage}}], one
        per customer and company of ``moves`` that has a step due."""
        today = fields.Date.context_today(self)
        rules_by_company = moves._followup_rules_by_company(moves.company_id)
        planned = []
        stale = moves.browse()
        for (partner, company), group in moves.grouped(
            lambda m: (m.commercial_partner_id, m.company_id)
        ).items():
            targets = {}
            for move in group.filtered(lambda m: m._followup_is_open()):
                remaining = move._followup_remaining_rules(rules_by_company[company.id])
                rule = move._followup_due_rule(remaining, today, include_manual=force)
                move_stage = (
                    stage
                    or (rule and rule.stage)
                    or (force and remaining and remaining[0].stage)
                )
                if move_stage:
                    targets[move] = move_stage
            if not targets:
                stale |= group
                continue
            planned.append(
                {
                    "partner": partner,
                    "company": company,
                    "stage": max(targets.values(), key=lambda s: (s.sequence, s.id)),
                    "targets": targets,
                }
            )
        self._refresh_schedule(stale)
        return planned

    @api.model
    def _claim(self, planned):
        """The planned steps this transaction may execute: their (customer, company)
        locked for this transaction and no step of the day yet. A customer another run
        holds is waited for (at most invoice_followup.lock_wait_seconds, 60 by
        default; all locks taken in one order, so two runs never deadlock on
        them): when that run commits, the unique index leaves the customer to it;
        when it dies, this run does the step. Past the wait, the customers still
        held are left out of this run (the daily run comes back to them)."""
        if not planned:
            return planned
        keys = [(item["partner"].id, item["company"].id) for item in planned]
        partner_ids, company_ids = [key[0] for key in keys], [key[1] for key in keys]
        wait = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("invoice_followup.lock_wait_seconds", "60")
        )
        wait = int(wait) if str(wait).isdigit() else 60
        try:
            with self.env.cr.savepoint(flush=False):
                [(previous,)] = self.env.execute_query(
                    SQL("SELECT current_setting('lock_timeout')")
                )
                self.env.execute_query(
                    SQL(
                        "SELECT set_config('lock_timeout', %s, true)",
                        f"{wait * 1000}ms",
                    )
                )
                # a lock timeout is an expected outcome here, not an error to log
                self.env.cr.execute(
                    SQL(
                        """SELECT pg_advisory_xact_lock(lock_key) FROM (
                           SELECT %s AS lock_key FROM unnest(%s::int[], %s::int[]) AS
                               k(p, c) ORDER BY 1) AS keys""",
                        STEP_LOCK_KEY,
                        partner_ids,
                        company_ids,
                    ),
                    log_exceptions=False,
                )
                self.env.execute_query(
                    SQL("SELECT set_config('lock_timeout', %s, true)", previous)
                )
            locked = set(keys)
        except pg_errors.LockNotAvailable:
            locked = set(
                self.env.execute_query(
                    SQL(
                        "SELECT p, c FROM unnest(%s::int[], %s::int[]) AS k(p, "
                        "c) WHERE pg_try_advisory_xact_lock(%s)",
                        partner_ids,
                        company_ids,
                        STEP_LOCK_KEY,
                    )
                )
            )
        Step = self.env["invoice.followup.log"]
        Step.flush_model(["partner_id", "company_id", "date", "is_day_step"])
        done = set(
            self.env.execute_query(
                SQL(
                    """SELECT partner_id, company_id FROM invoice_followup_log
                WHERE is_day_step AND date = %s AND partner_id = ANY(%s) AND company_id
                    = ANY(%s)""",
                    fields.Date.context_today(self),
                    partner_ids,
                    company_ids,
                )
            )
        )
        claimed = [
            item
            for item, key in zip(planned, keys, strict=True)
            if key in locked and key not in done
        ]
        if len(claimed) < len(planned):
            _logger.info(
                "Follow-up: %s customer(s) left out (another run holds them or "
                "they had their step today)",
                len(planned) - len(claimed),
            )
        return claimed

    @api.model
    def _execute(self, planned, run_by):
        """Execute the claimed ``planned`` steps together (one query per kind of record
        for all of them). When something fails, the work is rolled back and done
        again in halves until the failing customer is alone: it gets a failed
        step, the others go out. A customer whose step another run committed in
        the meantime (the unique index refuses a second one) is left alone.
        Returns the steps made (invoice.followup.log)."""
        Step = self.env["invoice.followup.log"]
        if not planned:
            return Step
        try:
            with self.env.cr.savepoint():
                steps = self._create_steps(planned, run_by)
                # fees first: the reminder lists them, a crash undoes both
                self.env["invoice.followup.charge"]._charge_fees(steps)
                steps._run_channels()
                self._mark_done(planned)
            return steps
        except Exception as error:  # noqa: BLE001 - recorded on the step, the run goes on
            if len(planned) > 1:
                half = len(planned) // 2
                return self._execute(planned[:half], run_by) | self._execute(
                    planned[half:], run_by
                )
            if isinstance(error, pg_errors.UniqueViolation) and DAY_STEP_INDEX in str(
                error
            ):
                _logger.info(
                    "Follow-up: customer %s had its step from another run",
                    planned[0]["partner"].id,
                )
                return Step
            _logger.warning(
                "Follow-up failed for customer %s: %s",
                planned[0]["partner"].id,
                error,
                exc_info=True,
            )
            step = self._create_steps(planned, run_by, day_step=False)
            step._followup_set({"state": "failed", "error": str(error)})
            return step

    @api.model
    def _create_steps(self, planned, run_by, day_step=True):
        """Create the records (invoice.followup.log) of the ``planned`` steps in
        one go. A step lists its invoices plus every other overdue invoice of
        the customer that is not paused. ``day_step``: they are the customers'
        steps of the day (not a failed attempt nor a preview)."""
        today = fields.Date.context_today(self)
        Move = self.env["account.move"]
        partners = self.env["res.partner"].concat(
            *(item["partner"] for item in planned)
        )
        companies = self.env["res.company"].concat(
            *(item["company"] for item in planned)
        )
        step_moves = Move.concat(*(Move.concat(*item["targets"]) for item in planned))
        overdue = Move.search(
            [
                ("commercial_partner_id", "in", partners.ids),
                ("company_id", "in", companies.ids),
                *Move._followup_open_domain(),
                ("followup_date_due", "<", today),
                ("followup_state", "in", ("planned", "action_needed", "done")),
                ("id", "not in", step_moves.ids),
            ]
        ).grouped(lambda m: (m.commercial_partner_id, m.company_id))
        open_credits = self.env["invoice.followup.document"]._open_credits(
            partners, companies
        )
        Variant = self.env["invoice.followup.variant"]
        vals_list = []
        for item in planned:
            partner, company = item["partner"], item["company"]
            listed = Move.concat(*item["targets"]) | overdue.get(
                (partner, company), Move
            )
            listed = listed.sorted(lambda m: (m.followup_date_due or today, m.id))
            vals_list.append(
                {
                    "partner_id": partner.id,
                    "recipient_id": partner._followup_get_recipient().id,
                    "company_id": company.id,
                    "stage_id": item["stage"].id,
                    "move_ids": [fields.Command.set(listed.ids)],
                    "run_by": run_by,
                    "amount_due": sum(listed.mapped("amount_residual_signed")),
                    "amount_credit": open_credits[partner.id, company.id],
                    "is_day_step": day_step,
                    "variant_id": Variant._pick(item["stage"], partner).id,
                }
            )
        Step = self.env["invoice.followup.log"].with_context(
            mail_create_nosubscribe=True, mail_create_nolog=True
        )
        return Step.create(vals_list)

    @api.model
    def _mark_done(self, planned):
        """Each invoice of ``planned`` reached its own stage today: one write per
        stage, not per invoice, as account.move.write() is costly. These fields
        do not touch the journal items: no resync, no balance check."""
        today = fields.Date.context_today(self)
        by_stage = defaultdict(list)
        for item in planned:
            for move, move_stage in item["targets"].items():
                by_stage[move_stage].append(move.id)
        Move = self.env["account.move"].with_context(
            skip_invoice_sync=True, check_move_validity=False
        )
        for move_stage, move_ids in by_stage.items():
            Move.browse(move_ids).write(
                {"followup_stage_id": move_stage.id, "followup_last_date": today}
            )

    # ------------------------------------------------------------------
    # On demand
    # ------------------------------------------------------------------
    @api.model
    def _preview(self, partner, company):
        """The step "Send now" would make for ``partner`` in ``company``, created
        (not a step of the day, nothing sent) for the preview to render; the
        caller deletes it."""
        moves = (
            partner.with_company(company)
            ._followup_open_invoices()
            .filtered(lambda m: m.followup_state in ("planned", "action_needed"))
        )
        planned = self._plan(moves, force=True)
        if not planned:
            raise UserError(
                self.env._("No follow-up step is planned for this customer.")
            )
        return self._create_steps(planned, "user", day_step=False)
