# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import math
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .invoice_payment_plan import LIVE_STATES

FOLLOWUP_MOVE_TYPES = ("out_invoice", "out_receipt")
PAUSE_REASONS = [
    ("dispute", "Dispute or question"),
    ("promise", "Promise to pay"),
    ("payment_plan", "Payment plan"),
    ("manual", "Paused by an accountant"),
    ("excluded", "Excluded"),
]


QUESTION_REASONS = [
    ("not_received", "I did not receive the goods or service"),
    ("wrong_amount", "The amount is wrong"),
    ("wrong_details", "Wrong details (address, tax number, reference)"),
    ("quality", "Problem with the quality"),
    ("already_paid", "I already paid"),
    ("other", "Other"),
]


# pauses that only an accountant (or a payment plan) lifts: customers' answers never do
ACCOUNTANT_PAUSES = ("manual", "excluded", "payment_plan")


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "invoice.followup.portal.mixin"]

    # Indexed: every follow-up step looks up the customer's invoices; without it
    # each lookup scans all the invoices of the company.
    commercial_partner_id = fields.Many2one(index="btree_not_null")

    followup_date_due = fields.Date(
        "Follow-up Due Date",
        compute="_compute_followup_date_due",
        store=True,
        help="Due date of the earliest instalment still open.",
    )
    followup_stage_id = fields.Many2one(
        "invoice.followup.stage",
        string="Follow-up Stage",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="Last follow-up step done for this invoice.",
    )
    followup_last_date = fields.Date("Last Follow-up", copy=False, readonly=True)
    followup_next_stage_id = fields.Many2one(
        "invoice.followup.stage",
        string="Next Follow-up Stage",
        compute="_compute_followup_next",
        store=True,
    )
    followup_next_date = fields.Date(
        "Next Follow-up",
        compute="_compute_followup_next",
        store=True,
        index="btree_not_null",
    )
    followup_state = fields.Selection(
        [
            ("none", "Not followed up"),
            ("planned", "Planned"),
            ("action_needed", "Action needed"),
            ("paused", "Paused"),
            ("done", "Done"),
        ],
        string="Follow-up Status",
        compute="_compute_followup_state",
        store=True,
        index=True,
    )
    followup_pause_reason = fields.Selection(
        PAUSE_REASONS, string="Pause Reason", copy=False, tracking=True
    )
    followup_paused_until = fields.Date("Paused Until", copy=False, tracking=True)
    followup_receipt_date = fields.Datetime("Receipt Confirmed On", copy=False, readonly=True)
    followup_receipt_by = fields.Char("Receipt Confirmed By", copy=False, readonly=True)
    followup_question_type = fields.Selection(
        [("question", "Question"), ("dispute", "Dispute"), ("paid", "Says it is paid")],
        string="Customer Request", copy=False, readonly=True,
    )
    followup_question_reason = fields.Selection(
        QUESTION_REASONS, string="Request Reason", copy=False, readonly=True
    )
    followup_question_note = fields.Text("Request Details", copy=False, readonly=True)
    followup_question_state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        string="Request Status", copy=False, readonly=True, tracking=True,
    )
    followup_promise_date = fields.Date("Promised Payment Date", copy=False, readonly=True)
    followup_promise_amount = fields.Monetary(
        "Promised Amount", copy=False, readonly=True, currency_field="currency_id"
    )
    followup_promise_made_date = fields.Date(
        "Promise Made On", copy=False, readonly=True,
        help="When the customer first promised the pending payment date: a new promise "
        "cannot move the date past the company's maximum delay counted from this day.",
    )
    followup_promise_broken = fields.Boolean("Promise Broken", copy=False, readonly=True)
    followup_promise_broken_count = fields.Integer(
        "Broken Promises", copy=False, readonly=True,
        help="How many promises to pay this invoice were not kept.",
    )
    followup_log_ids = fields.Many2many(
        "invoice.followup.log",
        "invoice_followup_log_account_move_rel",
        "move_id",
        "log_id",
        string="Follow-up History",
        copy=False,
        readonly=True,
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends(
        "invoice_date_due",
        "line_ids.date_maturity",
        "line_ids.reconciled",
        "line_ids.display_type",
    )
    def _compute_followup_date_due(self):
        for move in self:
            open_terms = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
                and not line.reconciled
                and line.date_maturity
            )
            move.followup_date_due = (
                min(open_terms.mapped("date_maturity")) if open_terms else move.invoice_date_due
            )

    def _followup_is_open(self):
        """A posted customer invoice that still has something to pay."""
        self.ensure_one()
        return (
            self.state == "posted"
            and self.move_type in FOLLOWUP_MOVE_TYPES
            and self.payment_state not in ("paid", "in_payment", "reversed")
            and not self.currency_id.is_zero(self.amount_residual)
            and self.amount_residual > 0
        )

    @api.model
    def _followup_stages_by_company(self, companies):
        stages = self.env["invoice.followup.stage"].sudo().search(
            [("company_id", "in", companies.ids)], order="sequence, id"
        )
        by_company = defaultdict(lambda: self.env["invoice.followup.stage"])
        for stage in stages:
            by_company[stage.company_id.id] |= stage
        return by_company

    @api.model
    def _followup_rules_by_company(self, companies):
        """{company id: its stages' rules (invoice.followup.stage._followup_rules)}."""
        rules = defaultdict(list)
        rules.update(
            (company_id, stages._followup_rules())
            for company_id, stages in self._followup_stages_by_company(companies).items()
        )
        return rules

    def _followup_remaining_stages(self, stages):
        """Stages after the last one done that apply to this invoice."""
        return stages.browse([rule.stage.id for rule in self._followup_remaining_rules(stages._followup_rules())])

    def _followup_remaining_rules(self, rules):
        """The rules (see invoice.followup.stage._followup_rules) of the stages
        after the last one done that apply to this invoice."""
        self.ensure_one()
        done = self.followup_stage_id
        after = (done.sequence, done.id) if done else None
        return [
            rule for rule in rules
            if (after is None or rule.key > after) and rule.applies_to(self)
        ]

    @api.depends(
        "state",
        "move_type",
        "payment_state",
        "amount_residual",
        "invoice_date",
        "followup_date_due",
        "followup_stage_id",
        "company_id",
        "partner_id.commercial_partner_id.payment_risk_level",
    )
    def _compute_followup_next(self):
        rules_by_company = self._followup_rules_by_company(self.company_id)
        for move in self:
            remaining = (
                move._followup_remaining_rules(rules_by_company[move.company_id.id])
                if move._followup_is_open() else []
            )
            move.followup_next_stage_id = remaining[0].stage if remaining else False
            move.followup_next_date = remaining[0].date_for(move) if remaining else False

    @api.depends(
        "followup_next_stage_id",
        "followup_next_date",
        "followup_pause_reason",
        "state",
        "move_type",
        "payment_state",
        "amount_residual",
        "partner_id.commercial_partner_id.followup_excluded",
    )
    def _compute_followup_state(self):
        today = fields.Date.context_today(self)
        for move in self:
            if move.state != "posted" or move.move_type not in FOLLOWUP_MOVE_TYPES:
                move.followup_state = "none"
            elif not move._followup_is_open():
                move.followup_state = "done"
            elif move.followup_pause_reason or move.commercial_partner_id.followup_excluded:
                move.followup_state = "paused"
            elif not move.followup_next_stage_id:
                move.followup_state = "done"
            elif (
                not move.followup_next_stage_id.auto_execute
                and move.followup_next_date
                and move.followup_next_date <= today
            ):
                move.followup_state = "action_needed"
            else:
                move.followup_state = "planned"

    @api.model
    def _invoice_followup_recompute(self, companies):
        """Stages changed: recompute the schedule of the open invoices of ``companies``."""
        if not companies:
            return
        moves = self.sudo().search(
            [
                ("company_id", "in", companies.ids),
                ("move_type", "in", FOLLOWUP_MOVE_TYPES),
                ("state", "=", "posted"),
                "|",
                ("followup_state", "not in", ("none", "done")),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        # followup_state too: add_to_compute() does not mark the fields that depend on
        # the next stage (installing on open invoices left them all "done")
        fnames = ["followup_next_stage_id", "followup_next_date", "followup_state"]
        for fname in fnames:
            self.env.add_to_compute(self._fields[fname], moves)
        moves._recompute_recordset(fnames)

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    def _followup_due_stage(self, rules, today, include_manual=False):
        """The most advanced stage due today or before for this invoice, among
        the stages of ``rules`` (invoice.followup.stage._followup_rules); catch-up:
        never a burst of every stage missed. Without ``include_manual`` (the
        daily run) it never reaches past the first manual stage: that one waits
        for an accountant in the worklist."""
        self.ensure_one()
        due = self.env["invoice.followup.stage"]
        for rule in self._followup_remaining_rules(rules):
            if not include_manual and not rule.auto_execute:
                break
            date = rule.date_for(self)
            if date and date <= today:
                due = rule.stage
        return due

    @api.model
    def _cron_invoice_followup(self, batch_size=None):
        """Daily follow-up. In a cron: one batch of customers per call, progress
        reported with _notify_progress (the framework commits and calls again).
        Outside a cron: every due customer, then return."""
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        batch_size = batch_size or int(
            self.env["ir.config_parameter"].sudo().get_param("invoice_followup.batch_size", 500)
        )
        self._invoice_followup_release_pauses()
        work = self._invoice_followup_due_work()
        partners = list(work)
        batches = [partners[i:i + batch_size] for i in range(0, len(partners), batch_size)]
        for batch in batches[:1] if in_cron else batches:
            # the daily run acts for every company, as the system
            moves = self.sudo().browse([move_id for partner_id in batch for move_id in work[partner_id]])
            for company, company_moves in moves.grouped("company_id").items():
                company_moves.with_company(company)._invoice_followup_run(run_by="cron")
            if in_cron:
                # what is still due: a customer this batch had to leave to another
                # run (held past the wait) comes back in a later call
                self.env.flush_all()
                still_due = self._invoice_followup_due_work()
                done = len(set(batch) - set(still_due))
                self.env["ir.cron"]._notify_progress(done=done, remaining=len(still_due))
                return done
            # outside a cron nothing commits between batches: keep the cache small
            self.env.flush_all()
            self.env.invalidate_all()
        self.env["ir.cron"]._notify_progress(done=len(partners), remaining=0)
        return len(partners)

    @api.model
    def _invoice_followup_release_pauses(self):
        """Pauses whose date has passed end: the invoice goes back in line; an
        unkept promise is recorded on the invoice and the customer."""
        today = fields.Date.context_today(self)
        expired = self.sudo().search(
            [
                ("followup_pause_reason", "!=", False),
                ("followup_paused_until", "!=", False),
                ("followup_paused_until", "<", today),
            ]
        )
        broken = expired.filtered(
            lambda m: m.followup_pause_reason == "promise" and m._followup_is_open()
        )
        if broken:
            broken._message_log_batch(
                {
                    move.id: self.env._(
                        "The customer did not keep the promise to pay by %(date)s: follow-up resumes.",
                        date=fields.Date.to_string(move.followup_paused_until),
                    )
                    for move in broken
                }
            )
        expired.write({"followup_pause_reason": False, "followup_paused_until": False})
        if broken:
            broken.write({"followup_promise_broken": True})
            broken.flush_recordset(["followup_promise_broken_count"])
            self.env.execute_query(SQL(
                "UPDATE account_move SET followup_promise_broken_count = COALESCE(followup_promise_broken_count, 0) + 1"
                " WHERE id IN %s", tuple(broken.ids),
            ))
            broken.invalidate_recordset(["followup_promise_broken_count"])
            partners = broken.commercial_partner_id
            partners.flush_recordset(["followup_promise_broken_count"])
            self.env.execute_query(SQL(
                """UPDATE res_partner p SET followup_promise_broken_count = COALESCE(p.followup_promise_broken_count, 0) + t.n
                     FROM (SELECT commercial_partner_id AS id, count(*) AS n FROM account_move
                            WHERE id IN %s GROUP BY commercial_partner_id) t
                    WHERE p.id = t.id""",
                tuple(broken.ids),
            ))
            partners.invalidate_recordset(["followup_promise_broken_count"])
        return expired

    @api.model
    def _invoice_followup_due_work(self):
        """One indexed query for the due invoices, grouped by commercial partner:
        {partner_id: [move ids]}, for companies whose automatic follow-up runs today."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].sudo().search([("followup_auto", "=", True)])
        companies = companies.filtered(lambda c: today.weekday() in c._followup_sending_weekdays())
        if not companies:
            return {}
        # manual stages that fell due become actions for the worklist
        manual = self.sudo().search(
            [
                ("company_id", "in", companies.ids),
                ("followup_next_date", "<=", today),
                ("followup_state", "=", "planned"),
                ("followup_next_stage_id.auto_execute", "=", False),
            ]
        )
        if manual:
            self.env.add_to_compute(self._fields["followup_state"], manual)
            manual._recompute_recordset(["followup_state"])
        blocked = self._invoice_followup_blocked_partners(companies, today)
        domain = [
            ("company_id", "in", companies.ids),
            ("followup_next_date", "<=", today),
            ("followup_state", "=", "planned"),
        ]
        if blocked:
            domain.append(("commercial_partner_id", "not in", list(blocked)))
        groups = self.sudo()._read_group(
            domain, ["commercial_partner_id"], ["id:array_agg"], order="commercial_partner_id"
        )
        return {partner.id: ids for partner, ids in groups}

    @api.model
    def _invoice_followup_blocked_partners(self, companies, today):
        """Customers the daily run leaves alone today: waiting for an accountant,
        failed today already, or at their weekly maximum of reminders."""
        blocked = {
            partner.id
            for [partner] in self.sudo()._read_group(
                [("company_id", "in", companies.ids), ("followup_state", "=", "action_needed")],
                ["commercial_partner_id"],
            )
        }
        Log = self.env["invoice.followup.log"].sudo()
        blocked.update(
            partner.id
            for [partner] in Log._read_group(
                [("company_id", "in", companies.ids), ("date", "=", today), ("state", "=", "failed")],
                ["partner_id"],
            )
        )
        for company in companies.filtered("followup_max_per_week"):
            blocked.update(
                partner.id
                for partner, count in Log._read_group(
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

    def _invoice_followup_run_customer(self, run_by="user", force=False, stage=None):
        """Execute one follow-up step for the invoices ``self`` (one customer,
        one company). See _invoice_followup_run()."""
        if len(self.commercial_partner_id) > 1 or len(self.company_id) > 1:
            raise UserError(self.env._("A follow-up step covers one customer of one company."))
        return self._invoice_followup_run(run_by=run_by, force=force, stage=stage)

    def _invoice_followup_run(self, run_by="user", force=False, stage=None):
        """Execute the follow-up steps due for the invoices ``self``: one step per
        customer and company, at the most advanced stage due among its invoices;
        every invoice advances to its own stage. ``force`` (a user's "Send now")
        also runs manual stages and the next stage not due yet; ``stage`` forces
        the step (a broken payment plan resumes at a set stage). The steps are
        executed together; a customer whose step fails gets a failed log."""
        steps = self._invoice_followup_plan_steps(force=force, stage=stage)
        return self.env["invoice.followup.log"]._followup_run_steps(steps, run_by)

    def _invoice_followup_plan_steps(self, force=False, stage=None):
        """[{'partner', 'company', 'stage', 'targets': {invoice: its stage}}], one
        per customer and company of ``self`` that has a step due."""
        today = fields.Date.context_today(self)
        rules_by_company = self._followup_rules_by_company(self.company_id)
        steps = []
        stale = self.browse()
        groups = self.grouped(lambda m: (m.commercial_partner_id, m.company_id))
        for (partner, company), moves in groups.items():
            targets = {}
            for move in moves.filtered(lambda m: m._followup_is_open()):
                move_stage = stage or move._followup_due_stage(
                    rules_by_company[company.id], today, include_manual=force
                )
                if not move_stage and force:
                    move_stage = move.followup_next_stage_id
                if move_stage:
                    targets[move] = move_stage
            if not targets:
                stale |= moves
                continue
            steps.append({
                "partner": partner,
                "company": company,
                "stage": max(targets.values(), key=lambda s: (s.sequence, s.id)),
                "targets": targets,
            })
        if stale:
            # the stored schedule was stale: refresh it so that the run moves on
            for fname in ("followup_next_stage_id", "followup_next_date", "followup_state"):
                self.env.add_to_compute(self._fields[fname], stale)
            stale._recompute_recordset()
        return steps

    @api.model
    def _invoice_followup_mark_done(self, steps):
        """Each invoice of ``steps`` reached its own stage today: one write per
        stage, not per invoice, as account.move.write() is costly. These fields
        do not touch the journal items: no resync, no balance check."""
        today = fields.Date.context_today(self)
        by_stage = defaultdict(list)
        for step in steps:
            for move, move_stage in step["targets"].items():
                by_stage[move_stage].append(move.id)
        for move_stage, move_ids in by_stage.items():
            self.browse(move_ids).with_context(
                skip_invoice_sync=True, check_move_validity=False
            ).write({"followup_stage_id": move_stage.id, "followup_last_date": today})

    def _invoice_followup_ensure_tokens(self):
        """Give the invoices that have none their portal access token (a UUID,
        as portal.mixin makes them), in one UPDATE: get_portal_url() in the
        templates would call account.move.write() (which resynchronises the
        journal items) once per invoice."""
        missing = self.filtered(lambda m: not m.access_token)
        if missing:
            missing.flush_recordset(["access_token"])
            self.env.execute_query(SQL(
                "UPDATE account_move SET access_token = gen_random_uuid()::text"
                " WHERE id IN %s AND access_token IS NULL",
                tuple(missing.ids),
            ))
            missing.invalidate_recordset(["access_token"])

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    @api.model
    def _followup_context_invoices(self):
        """The invoices a follow-up wizard is opened on (the action's selection)."""
        if self.env.context.get("active_model") != "account.move":
            return self.browse()
        return self.browse(self.env.context.get("active_ids", []))

    def action_followup_send_now(self):
        """Send the follow-up of the selected invoices now, customer by customer."""
        self.check_access("write")
        return self._invoice_followup_run(run_by="user", force=True)._action_show_result()

    def action_followup_resume(self):
        self.write({"followup_pause_reason": False, "followup_paused_until": False})

    # ------------------------------------------------------------------
    # Customer answers (portal and signed mail links). Called after the
    # controller checked access; ``self`` may be sudo. An answer never lifts a
    # pause set by an accountant or a payment plan; a repeat of an open request
    # returns the existing one.
    # ------------------------------------------------------------------
    def _followup_check_answerable(self):
        self.ensure_one()
        if self.move_type not in FOLLOWUP_MOVE_TYPES or self.state != "posted":
            raise UserError(self.env._("Only posted customer invoices can be answered."))

    def _followup_live_plans(self):
        """The payment plans (draft, proposed or active) that cover these invoices."""
        return self.env["invoice.payment.plan"].sudo().search(
            [("move_ids", "in", self.ids), ("state", "in", LIVE_STATES)]
        )

    def _followup_held_by_accountant(self):
        """True when the follow-up of this invoice was paused by an accountant,
        the customer is excluded, or a payment plan covers it: customers'
        answers leave such a pause alone."""
        self.ensure_one()
        return bool(
            self.followup_pause_reason in ACCOUNTANT_PAUSES
            or self.commercial_partner_id.followup_excluded
            or self._followup_live_plans()
        )

    def _followup_notify_responsible(self, summary, note):
        """Activity for the customer's follow-up responsible (else salesperson,
        else the company's default responsible) on the invoice; no assignment
        mail: customers' answers must not turn into a mail storm."""
        partner = self.commercial_partner_id.with_company(self.company_id)
        user = (
            partner.followup_responsible_id
            or self.invoice_user_id
            or partner._followup_get_responsible(self.company_id)
        )
        if user:
            self.with_context(mail_activity_quick_update=True).activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=note,
                user_id=user.id,
                date_deadline=fields.Date.context_today(self),
            )
        return user

    def _followup_confirm_receipt(self, name):
        """The customer confirms the invoice arrived: recorded on the invoice and
        its last follow-up step; the receipt-check stage is done for it. Once:
        a second confirmation changes nothing. Returns whether it was new."""
        self._followup_check_answerable()
        if self.followup_receipt_date:
            return False
        now = fields.Datetime.now()
        self.write({"followup_receipt_date": now, "followup_receipt_by": name})
        stages = self._followup_stages_by_company(self.company_id)[self.company_id.id]
        receipt = self._followup_remaining_stages(stages).filtered("receipt_check")[-1:]
        if receipt:
            self.write({"followup_stage_id": receipt.id, "followup_last_date": fields.Date.context_today(self)})
        self.followup_log_ids.sorted("id")[-1:].write({"receipt_date": now})
        body = self.env._("%(name)s confirmed receiving this invoice.", name=name)
        self._message_log(body=body)
        self._followup_notify_responsible(self.env._("Receipt confirmed by the customer"), body)
        return True

    def _followup_ask(self, request_type, reason, note, name, attachments=None):
        """A question, a dispute or "I already paid": posted in the invoice's
        chatter, an activity for the responsible, follow-up paused until an
        accountant resolves it (unless an accountant or a plan paused it
        already). One open request per invoice: while it is open, a new one
        changes nothing. Returns whether the request was new."""
        self._followup_check_answerable()
        if request_type not in dict(self._fields["followup_question_type"].selection):
            raise UserError(self.env._("Unknown request."))
        if reason not in dict(QUESTION_REASONS):
            raise UserError(self.env._("Please choose a reason."))
        if self.followup_question_state == "open":
            return False
        type_label = dict(self._fields["followup_question_type"]._description_selection(self.env))[request_type]
        reason_label = dict(self._fields["followup_question_reason"]._description_selection(self.env))[reason]
        values = {
            "followup_question_type": request_type,
            "followup_question_reason": reason,
            "followup_question_note": note,
            "followup_question_state": "open",
        }
        if not self.followup_pause_reason and not self._followup_held_by_accountant():
            values.update(followup_pause_reason="dispute", followup_paused_until=False)
        self.write(values)
        body = Markup("<p><strong>%s</strong> (%s)</p><p>%s</p><p>%s</p>") % (
            type_label, name, reason_label, note or "",
        )
        self.message_post(
            body=body,
            author_id=self.commercial_partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachments=attachments or [],
        )
        self._followup_notify_responsible(
            self.env._("%(type)s from the customer: %(reason)s", type=type_label, reason=reason_label),
            body,
        )
        return True

    def _followup_promise_limit(self):
        """The latest date a promise may name: the company's maximum delay
        counted from the first promise still pending (else from today)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        start = today
        if self.followup_promise_date and self.followup_promise_date >= today and self.followup_promise_made_date:
            start = self.followup_promise_made_date
        return start + timedelta(days=self.company_id.followup_max_promise_days)

    def _followup_promise(self, date, amount, name):
        """The customer promises to pay by ``date``: follow-up pauses until then.
        One pending promise per invoice: a new one may change it, never past the
        company's maximum delay counted from the first. Refused on an invoice of
        a payment plan; recorded without lifting an accountant's pause."""
        self._followup_check_answerable()
        if self._followup_live_plans():
            raise UserError(self.env._(
                "This invoice is part of a payment plan: please pay the instalments as agreed, "
                "or contact us to change the plan."
            ))
        today = fields.Date.context_today(self)
        limit = self._followup_promise_limit()
        if not date or date < today or date > limit:
            raise UserError(self.env._(
                "Please choose a date between today and %(limit)s.",
                limit=fields.Date.to_string(limit),
            ))
        if amount is not None and not (
            math.isfinite(amount)
            and amount > 0
            and self.currency_id.compare_amounts(amount, self.amount_residual) <= 0
        ):
            raise UserError(self.env._("The promised amount must be positive and at most the amount due."))
        pending = self.followup_promise_date and self.followup_promise_date >= today
        values = {
            "followup_promise_date": date,
            "followup_promise_amount": amount or self.amount_residual,
            "followup_promise_made_date": self.followup_promise_made_date if pending else today,
        }
        if self.followup_pause_reason in (False, "promise") and not self._followup_held_by_accountant():
            values.update(followup_pause_reason="promise", followup_paused_until=date)
        self.write(values)
        body = self.env._(
            "%(name)s promised to pay %(amount)s by %(date)s.",
            name=name,
            amount=self.currency_id.format(self.followup_promise_amount),
            date=fields.Date.to_string(date),
        )
        self._message_log(body=body)
        self._followup_notify_responsible(self.env._("Promise to pay from the customer"), body)
        return True

    def action_followup_resolve_request(self):
        """The accountant answered the customer's request: follow-up resumes."""
        for move in self.filtered(lambda m: m.followup_question_state == "open"):
            values = {"followup_question_state": "resolved"}
            if move.followup_pause_reason == "dispute":
                values.update(followup_pause_reason=False, followup_paused_until=False)
            move.write(values)
            move._message_log(body=self.env._("Customer request resolved by %(user)s.", user=self.env.user.name))
        return True
