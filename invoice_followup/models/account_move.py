# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The invoice's side of the follow-up: its schedule (fields and computes), what
is an open customer invoice (said once: _followup_open_domain / _followup_is_open),
the accountant's actions and the customer's answers (receipt, question, dispute,
"already paid", promise). Over 400 lines because the answers belong to the
invoice they answer; the run itself is models/invoice_followup_run.py."""

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
    ("agency", "With agency"),
]


# pauses that only an accountant (or a payment plan) lifts: customers' answers never do
ACCOUNTANT_PAUSES = ("manual", "excluded", "payment_plan", "agency")


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
    followup_receipt_date = fields.Datetime(
        "Receipt Confirmed On", copy=False, readonly=True
    )
    followup_receipt_by = fields.Char("Receipt Confirmed By", copy=False, readonly=True)
    followup_question_type = fields.Selection(
        [("question", "Question"), ("dispute", "Dispute"), ("paid", "Says it is paid")],
        string="Customer Request",
        copy=False,
        readonly=True,
    )
    followup_answer_ids = fields.Many2many(
        "invoice.followup.answer",
        "invoice_followup_answer_move_rel",
        "move_id",
        "answer_id",
        string="Customer Answers",
        copy=False,
        readonly=True,
    )
    # late-payment charges (models/invoice_followup_charge.py)
    followup_charge_kind = fields.Selection(
        [("fee", "Late-payment fee"), ("interest", "Late-payment interest")],
        "Late-payment Charge",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="This invoice charges a late-payment fee or statutory interest.",
    )
    followup_fee_step_id = fields.Many2one(
        "invoice.followup.log",
        "Charged by Step",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    followup_fee_stage_id = fields.Many2one(
        "invoice.followup.stage", "Fee of Stage", copy=False, readonly=True
    )
    followup_charged_move_ids = fields.Many2many(
        "account.move",
        "invoice_followup_charge_move_rel",
        "charge_id",
        "move_id",
        "Charged For",
        copy=False,
        readonly=True,
        help="The late invoices this charge is for.",
    )
    followup_charge_waived_reason = fields.Char(
        "Waived Because", copy=False, readonly=True
    )
    followup_interest_invoiced_to = fields.Date(
        "Interest Invoiced Up To",
        copy=False,
        readonly=True,
        help="Statutory interest on this invoice was invoiced up to this day.",
    )
    followup_compensation_move_id = fields.Many2one(
        "account.move",
        "Compensation Claimed On",
        copy=False,
        readonly=True,
        help="The invoice that claimed this invoice's fixed compensation (once per "
        "invoice).",
    )
    followup_predicted_date = fields.Date(
        "Expected Payment",
        copy=False,
        readonly=True,
        help="When the invoice will probably be paid, from the customer's own "
        "payment history pulled towards the company's when it is short "
        "(refreshed by the daily run).",
    )
    followup_predicted_days = fields.Float(
        "Expected Days Late", copy=False, readonly=True, digits=(16, 1)
    )
    followup_predicted_count = fields.Integer(
        "Paid Invoices Behind the Prediction", copy=False, readonly=True
    )
    followup_predicted_median = fields.Float(
        "Customer's Median Days Late", copy=False, readonly=True, digits=(16, 1)
    )
    followup_predicted_late = fields.Boolean(
        "Later Than Expected",
        copy=False,
        readonly=True,
        help="Still open after the day the customer's history predicted.",
    )
    followup_predicted_basis = fields.Char(
        "Expected Because", compute="_compute_followup_predicted_basis"
    )
    followup_reason_id = fields.Many2one(
        "invoice.followup.reason",
        "Late-payment Reason",
        compute="_compute_followup_reason",
        store=True,
        index="btree_not_null",
        help="The reason of the customer's latest answer about this invoice.",
    )
    followup_question_note = fields.Text("Request Details", copy=False, readonly=True)
    followup_question_state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        string="Request Status",
        copy=False,
        readonly=True,
        tracking=True,
    )
    followup_promise_date = fields.Date(
        "Promised Payment Date", copy=False, readonly=True
    )
    followup_promise_amount = fields.Monetary(
        "Promised Amount", copy=False, readonly=True, currency_field="currency_id"
    )
    followup_promise_made_date = fields.Date(
        "Promise Made On",
        copy=False,
        readonly=True,
        help="When the customer first promised the pending payment date: a new promise "
        "cannot move the date past the company's maximum delay counted from this day.",
    )
    followup_promise_broken = fields.Boolean(
        "Promise Broken", copy=False, readonly=True
    )
    followup_promise_broken_count = fields.Integer(
        "Broken Promises",
        copy=False,
        readonly=True,
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
        "followup_predicted_date",
        "followup_predicted_days",
        "followup_predicted_count",
        "followup_predicted_median",
        "followup_predicted_late",
    )
    @api.depends_context("lang")
    def _compute_followup_predicted_basis(self):
        for move in self:
            move.followup_predicted_basis = (
                self.env["invoice.followup.prediction"]._basis_words(
                    move.followup_predicted_count,
                    move.followup_predicted_median,
                    move.followup_predicted_late,
                    move.followup_predicted_days,
                )
                if move.followup_predicted_date
                else ""
            )

    @api.depends("followup_answer_ids.reason_id", "followup_answer_ids.date")
    def _compute_followup_reason(self):
        for move in self:
            move.followup_reason_id = move.followup_answer_ids._latest_reason()

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
                min(open_terms.mapped("date_maturity"))
                if open_terms
                else move.invoice_date_due
            )

    def init(self):
        res = super().init()
        # one fee invoice per follow-up step and currency, even across crashes and
        # reruns: guarded by PostgreSQL itself (models/invoice_followup_charge.py)
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS account_move_followup_fee_step_uniq "
                "ON account_move (followup_fee_step_id, currency_id) "
                "WHERE followup_fee_step_id IS NOT NULL"
            )
        )
        return res

    def action_followup_waive(self):
        """Waive this late-payment charge: the wizard asks why."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Waive Late-payment Charge"),
            "res_model": "invoice.followup.waive.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_ids": self.ids},
        }

    @api.model
    def _followup_open_domain(self):
        """The open customer invoice, as a domain: posted, something left to pay
        (see _followup_is_open for the same test on a record)."""
        return [
            ("move_type", "in", FOLLOWUP_MOVE_TYPES),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("amount_residual", ">", 0),
        ]

    def _followup_discount_date(self):
        """The last day of the invoice's early-payment discount (Odoo's, on its
        payment term), or False."""
        self.ensure_one()
        if not self.invoice_payment_term_id.early_discount:
            return False
        dates = [
            line.discount_date
            for line in self.line_ids
            if line.display_type == "payment_term" and line.discount_date
        ]
        return min(dates) if dates else False

    def _followup_is_open(self):
        """The open customer invoice, on a record (see _followup_open_domain)."""
        self.ensure_one()
        return (
            self.state == "posted"
            and self.move_type in FOLLOWUP_MOVE_TYPES
            and self.payment_state in ("not_paid", "partial")
            and not self.currency_id.is_zero(self.amount_residual)
            and self.amount_residual > 0
        )

    @api.model
    def _followup_rules_by_company(self, companies):
        """{company id: its stages' rules (invoice.followup.stage._followup_rules)}."""
        stages = (
            self.env["invoice.followup.stage"]
            .sudo()
            .search([("company_id", "in", companies.ids)], order="sequence, id")
        )
        rules = defaultdict(list)
        rules.update(
            (company.id, company_stages._followup_rules())
            for company, company_stages in stages.grouped("company_id").items()
        )
        return rules

    def _followup_remaining_rules(self, rules):
        """The rules (see invoice.followup.stage._followup_rules) of the stages
        after the last one done that apply to this invoice."""
        self.ensure_one()
        done = self.followup_stage_id
        after = (done.sequence, done.id) if done else None
        return [
            rule
            for rule in rules
            if (after is None or rule.key > after) and rule.applies_to(self)
        ]

    def _followup_due_rule(self, remaining, today, include_manual=False):
        """The most advanced of the ``remaining`` rules due today or before
        (catch-up: never a burst of every stage missed), or None. Without
        ``include_manual`` (the daily run) it never reaches past the first
        manual stage: that one waits for an accountant in the worklist."""
        due = None
        for rule in remaining:
            if not include_manual and not rule.auto_execute:
                break
            date = rule.date_for(self)
            if date and date <= today:
                due = rule
        return due

    @api.depends(
        "state",
        "move_type",
        "payment_state",
        "amount_residual",
        "invoice_date",
        "followup_date_due",
        "followup_stage_id",
        "company_id",
        "partner_id.commercial_partner_id.payment_risk_override",
        "partner_id.commercial_partner_id.followup_behaviour_ids.risk_band",
    )
    def _compute_followup_next(self):
        """What the daily run will do next: the stage it would send today (the
        most advanced one due, as the run catches up), else the next stage to
        come, and its date. Depends on today's date: refreshed by the daily run
        (invoice.followup.run._refresh_schedule, the one place)."""
        today = fields.Date.context_today(self)
        rules_by_company = self._followup_rules_by_company(self.company_id)
        for move in self:
            remaining = (
                move._followup_remaining_rules(rules_by_company[move.company_id.id])
                if move._followup_is_open()
                else []
            )
            rule = (
                (move._followup_due_rule(remaining, today) or remaining[0])
                if remaining
                else None
            )
            move.followup_next_stage_id = rule.stage if rule else False
            move.followup_next_date = rule.date_for(move) if rule else False

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
        """Depends on today's date (a manual stage that falls due needs action):
        refreshed by the daily run (invoice.followup.run._refresh_schedule)."""
        today = fields.Date.context_today(self)
        for move in self:
            if move.state != "posted" or move.move_type not in FOLLOWUP_MOVE_TYPES:
                move.followup_state = "none"
            elif not move._followup_is_open():
                move.followup_state = "done"
            elif (
                move.followup_pause_reason
                or move.commercial_partner_id.followup_excluded
            ):
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
    def _cron_invoice_followup(self, batch_size=None):
        """The daily follow-up cron's entry point: invoice.followup.run._run_daily."""
        return self.env["invoice.followup.run"]._run_daily(batch_size)

    def _followup_record_broken_promise(self):
        """These invoices' promises to pay were not kept: said in their chatter,
        counted on the invoice and on the customer."""
        self._message_log_batch(
            {
                move.id: self.env._(
                    "The customer did not keep the promise to pay by %(date)s: "
                    "follow-up resumes.",
                    date=fields.Date.to_string(move.followup_promise_date),
                )
                for move in self
            }
        )
        for move in self:
            move.write(
                {
                    "followup_promise_broken": True,
                    "followup_promise_broken_count": move.followup_promise_broken_count
                    + 1,
                }
            )
        for partner, moves in self.grouped("commercial_partner_id").items():
            partner.write(
                {
                    "followup_promise_broken_count": (
                        partner.followup_promise_broken_count + len(moves)
                    )
                }
            )
            partner._message_log(
                body=self.env._(
                    "Promise to pay not kept: %(invoices)s.",
                    invoices=", ".join(moves.mapped("name")),
                )
            )

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
        return (
            self.env["invoice.followup.run"]
            ._run(self, run_by="user", force=True)
            ._action_show_result()
        )

    def action_followup_resume(self):
        self.write({"followup_pause_reason": False, "followup_paused_until": False})
        # the last invoice taken back from the agency: the customer is no longer with it
        self.env["invoice.followup.handover"]._release_partners(
            self.commercial_partner_id
        )

    # ------------------------------------------------------------------
    # Customer answers (portal and signed mail links). Called after the
    # controller checked access; ``self`` may be sudo. An answer never lifts a
    # pause set by an accountant or a payment plan; a repeat of an open request
    # returns the existing one.
    # ------------------------------------------------------------------
    def _followup_check_answerable(self):
        self.ensure_one()
        if self.move_type not in FOLLOWUP_MOVE_TYPES or self.state != "posted":
            raise UserError(
                self.env._("Only posted customer invoices can be answered.")
            )

    def _followup_live_plans(self):
        """The payment plans (draft, proposed or active) that cover these invoices."""
        return (
            self.env["invoice.payment.plan"]
            .sudo()
            .search([("move_ids", "in", self.ids), ("state", "in", LIVE_STATES)])
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
        rules = self._followup_rules_by_company(self.company_id)[self.company_id.id]
        receipt = [
            rule.stage
            for rule in self._followup_remaining_rules(rules)
            if rule.stage.receipt_check
        ][-1:]
        if receipt:
            [receipt] = receipt
            self.write(
                {
                    "followup_stage_id": receipt.id,
                    "followup_last_date": fields.Date.context_today(self),
                }
            )
        self.followup_log_ids.sorted("id")[-1:].write({"receipt_date": now})
        body = self.env._("%(name)s confirmed receiving this invoice.", name=name)
        self._message_log(body=body)
        self._followup_notify_responsible(
            self.env._("Receipt confirmed by the customer"), body
        )
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
        if not reason and request_type != "paid":
            raise UserError(self.env._("Please choose a reason."))
        if self.followup_question_state == "open":
            return False
        type_label = dict(
            self._fields["followup_question_type"]._description_selection(self.env)
        )[request_type]
        reason_label = reason.name or ""
        values = {
            "followup_question_type": request_type,
            "followup_question_note": note,
            "followup_question_state": "open",
        }
        if not self.followup_pause_reason and not self._followup_held_by_accountant():
            values.update(followup_pause_reason="dispute", followup_paused_until=False)
        self.write(values)
        self.env["invoice.followup.answer"]._record(
            request_type, self, reason, name=name, note=note
        )
        body = Markup("<p><strong>%s</strong> (%s)</p><p>%s</p><p>%s</p>") % (
            type_label,
            name,
            reason_label,
            note or "",
        )
        self.message_post(
            body=body,
            author_id=self.commercial_partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachments=attachments or [],
        )
        self._followup_notify_responsible(
            self.env._(
                "%(type)s from the customer: %(reason)s",
                type=type_label,
                reason=reason_label,
            )
            if reason
            else self.env._("The customer says it is paid"),
            body,
        )
        return True

    def _followup_promise_limit(self):
        """The latest date a promise may name: the company's maximum delay
        counted from the first promise still pending (else from today)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        start = today
        if (
            self.followup_promise_date
            and self.followup_promise_date >= today
            and self.followup_promise_made_date
        ):
            start = self.followup_promise_made_date
        return start + timedelta(days=self.company_id.followup_max_promise_days)

    def _followup_promise(self, date, amount, name, reason=None):
        """The customer promises to pay by ``date``: follow-up pauses until then.
        One pending promise per invoice: a new one may change it, never past the
        company's maximum delay counted from the first. Refused on an invoice of
        a payment plan; recorded without lifting an accountant's pause."""
        self._followup_check_answerable()
        if self._followup_live_plans():
            raise UserError(
                self.env._(
                    "This invoice is part of a payment plan: please pay the "
                    "instalments as agreed, "
                    "or contact us to change the plan."
                )
            )
        today = fields.Date.context_today(self)
        limit = self._followup_promise_limit()
        if not date or date < today or date > limit:
            raise UserError(
                self.env._(
                    "Please choose a date between today and %(limit)s.",
                    limit=fields.Date.to_string(limit),
                )
            )
        if amount is not None and not (
            math.isfinite(amount)
            and amount > 0
            and self.currency_id.compare_amounts(amount, self.amount_residual) <= 0
        ):
            raise UserError(
                self.env._(
                    "The promised amount must be positive and at most the amount due."
                )
            )
        pending = self.followup_promise_date and self.followup_promise_date >= today
        values = {
            "followup_promise_date": date,
            "followup_promise_amount": amount or self.amount_residual,
            "followup_promise_made_date": self.followup_promise_made_date
            if pending
            else today,
        }
        if (
            self.followup_pause_reason in (False, "promise")
            and not self._followup_held_by_accountant()
        ):
            values.update(followup_pause_reason="promise", followup_paused_until=date)
        self.write(values)
        self.env["invoice.followup.answer"]._record(
            "promise",
            self,
            reason or self.env["invoice.followup.reason"],
            name=name,
            promise_date=date,
            promise_amount=self.currency_id._convert(
                self.followup_promise_amount,
                self.company_currency_id,
                self.company_id,
                today,
            ),
        )
        body = self.env._(
            "%(name)s promised to pay %(amount)s by %(date)s.",
            name=name,
            amount=self.currency_id.format(self.followup_promise_amount),
            date=fields.Date.to_string(date),
        )
        self._message_log(body=body)
        self._followup_notify_responsible(
            self.env._("Promise to pay from the customer"), body
        )
        return True

    def action_followup_resolve_request(self):
        """The accountant answered the customer's request: follow-up resumes."""
        for move in self.filtered(lambda m: m.followup_question_state == "open"):
            values = {"followup_question_state": "resolved"}
            if move.followup_pause_reason == "dispute":
                values.update(followup_pause_reason=False, followup_paused_until=False)
            move.write(values)
            move.followup_answer_ids.filtered(
                lambda a: a.kind in ("question", "dispute", "paid")
                and not a.resolved_date
            ).sudo().resolved_date = fields.Datetime.now()
            move._message_log(
                body=self.env._(
                    "Customer request resolved by %(user)s.", user=self.env.user.name
                )
            )
        return True
