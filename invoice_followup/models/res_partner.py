# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The customer's side of the follow-up: its fields (preferences, responsible,
follow-up contact, counters), its statement link and tokens, the figures of its
Follow-up tab and the accountant's actions from the customer form and the
worklist. Over 400 lines because these are the customer's own concerns; the run
is models/invoice_followup_run.py, plan requests models/invoice_payment_plan.py."""

import secrets

from werkzeug.urls import url_encode

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import consteq

from odoo.addons.base.models.res_partner import WARNING_MESSAGE

from .account_move import FOLLOWUP_MOVE_TYPES
from .invoice_followup_risk_level import RISK_LEVELS


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "invoice.followup.portal.mixin"]

    followup_responsible_id = fields.Many2one(
        "res.users",
        string="Follow-up Responsible",
        company_dependent=True,
        help="Accountant in charge of this customer's follow-up. Falls back on the "
        "salesperson, then on the company's default responsible.",
    )
    followup_partner_id = fields.Many2one(
        "res.partner",
        string="Follow-up Contact",
        help="Contact who receives reminders. When empty, the invoice address "
        "of the customer receives them.",
    )
    followup_use_email = fields.Boolean("Reminders by Email", default=True)
    followup_use_sms = fields.Boolean("Reminders by SMS", default=True)
    followup_use_letter = fields.Boolean("Reminders by Letter", default=True)
    followup_use_phone = fields.Boolean("Reminder Calls", default=True)
    followup_excluded = fields.Boolean(
        "Excluded from Follow-up",
        help="No reminder of any kind is sent to this customer.",
    )
    # hand-over to a collection agency or lawyer (models/invoice_followup_handover.py)
    followup_agency_kind = fields.Selection(
        [
            ("collection", "Collection agency"),
            ("legal", "Legal department or lawyer"),
        ],
        "Follow-up Agency",
        help="This partner collects debts for the company: hand-over stages can "
        "hand customers over to it, with the pre-legal file.",
    )
    followup_agency_id = fields.Many2one(
        "res.partner",
        "With Agency",
        copy=False,
        readonly=True,
        help="The collection agency or lawyer the customer was handed over to.",
    )
    followup_agency_date = fields.Date("With Agency Since", copy=False, readonly=True)
    payment_risk_level = fields.Selection(
        RISK_LEVELS,
        string="Payment Risk",
        compute="_compute_payment_risk_level",
        inverse="_inverse_payment_risk_level",
        search="_search_payment_risk_level",
        help="The level stages and the payment plan policy use: the level set by "
        "hand when there is one, else the band of the payment behaviour, else (no "
        "payment history) the company's band for new customers.",
    )
    payment_risk_override = fields.Selection(
        RISK_LEVELS,
        string="Risk Set by Hand",
        copy=False,
        tracking=True,
        help="Wins over the band computed from the payment behaviour. Empty: the "
        "computed band applies.",
    )
    payment_risk_override_uid = fields.Many2one(
        "res.users", "Risk Set by", copy=False, readonly=True
    )
    payment_risk_override_date = fields.Date("Risk Set on", copy=False, readonly=True)
    payment_risk_source = fields.Char(
        "Risk Comes From", compute="_compute_payment_risk_level"
    )
    followup_answer_ids = fields.One2many(
        "invoice.followup.answer", "partner_id", string="Answers"
    )
    followup_reason_id = fields.Many2one(
        "invoice.followup.reason",
        "Usual Late-payment Reason",
        compute="_compute_followup_reason",
        help="The reason the customer gave most often in the last 12 months "
        "(the latest one when two are as frequent).",
    )
    followup_reason_summary = fields.Char(
        "Reasons Given", compute="_compute_followup_reason"
    )
    payment_predicted_days_late = fields.Float(
        "Expected Days Late",
        compute="_compute_payment_predicted",
        digits=(16, 1),
        help="How late a new invoice of this customer will probably be paid: its "
        "median, pulled towards the company's when it has few paid invoices.",
    )
    payment_predicted_basis = fields.Char(
        "Expected Because", compute="_compute_payment_predicted"
    )
    followup_behaviour_ids = fields.One2many(
        "invoice.followup.behaviour", "partner_id", string="Payment Behaviours"
    )

    followup_access_token = fields.Char(
        "Follow-up Access Token",
        copy=False,
        groups="base.group_system",
        index="btree_not_null",
        help="Signs the statement link of the follow-up mails for customers without "
        "a portal login.",
    )
    followup_link_sent_date = fields.Date(
        "New Link Sent On",
        copy=False,
        readonly=True,
        groups="base.group_system",
        help="Last day a customer asked for a new statement link (at most one a day).",
    )
    followup_promise_broken_count = fields.Integer(
        "Broken Promises",
        readonly=True,
        copy=False,
        help="How many promises to pay this customer did not keep.",
    )
    payment_plan_ids = fields.One2many(
        "invoice.payment.plan", "partner_id", string="Payment Plans"
    )
    payment_plan_broken_count = fields.Integer(
        "Broken Payment Plans",
        readonly=True,
        copy=False,
        help="How many payment plans this customer did not keep.",
    )
    followup_log_ids = fields.One2many(
        "invoice.followup.log", "partner_id", string="Follow-up History"
    )
    # credit hold (models/invoice_followup_credit_hold.py): Odoo's partner warning
    # blocks, the step that set it and the warning it replaced are kept here
    followup_hold_step_id = fields.Many2one(
        "invoice.followup.log",
        "Credit Hold Step",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The follow-up step whose credit hold is in force.",
    )
    followup_on_hold = fields.Boolean(
        "On Credit Hold",
        compute="_compute_followup_on_hold",
        store=True,
        help="A follow-up step put this customer on credit hold: Odoo's blocking "
        "warning stops new invoices (and sales orders) until the overdue invoices "
        "are paid, a payment plan is accepted, or an accountant lifts the hold.",
    )
    followup_hold_date = fields.Date(
        "On Credit Hold Since", related="followup_hold_step_id.hold_date"
    )
    followup_hold_company_id = fields.Many2one(
        "res.company",
        "Credit Hold By",
        related="followup_hold_step_id.company_id",
    )
    followup_hold_prev_invoice_warn = fields.Selection(
        WARNING_MESSAGE,
        "Invoice Warning Before the Hold",
        readonly=True,
        copy=False,
    )
    followup_hold_prev_invoice_warn_msg = fields.Text(
        "Invoice Warning Message Before the Hold", readonly=True, copy=False
    )
    followup_invoice_ids = fields.One2many(
        "account.move",
        compute="_compute_followup_figures",
        string="Open Invoices",
    )
    followup_amount_due = fields.Monetary(
        "Amount Due",
        compute="_compute_followup_figures",
        currency_field="followup_currency_id",
    )
    followup_amount_overdue = fields.Monetary(
        "Amount Overdue",
        compute="_compute_followup_figures",
        currency_field="followup_currency_id",
    )
    followup_currency_id = fields.Many2one(
        "res.currency", compute="_compute_followup_figures"
    )
    followup_interest_due = fields.Char(
        "Statutory Interest Accrued",
        compute="_compute_followup_interest_due",
        help="Interest and fixed compensation due today on the overdue invoices, "
        "by the company's statutory interest law (not invoiced yet).",
    )
    followup_next_date = fields.Date(
        "Next Follow-up", compute="_compute_followup_figures"
    )
    followup_next_stage_id = fields.Many2one(
        "invoice.followup.stage",
        string="Next Stage",
        compute="_compute_followup_figures",
    )
    followup_behaviour_id = fields.Many2one(
        "invoice.followup.behaviour",
        string="Payment Behaviour",
        compute="_compute_followup_behaviour",
        search="_search_followup_behaviour",
    )
    payment_avg_days_late = fields.Float(related="followup_behaviour_id.avg_days_late")
    followup_days_late_spread = fields.Float(
        related="followup_behaviour_id.days_late_spread"
    )
    payment_on_time_rate = fields.Float(related="followup_behaviour_id.share_on_time")
    followup_share_partial = fields.Float(related="followup_behaviour_id.share_partial")
    followup_avg_days_to_pay = fields.Float(
        related="followup_behaviour_id.avg_days_to_pay"
    )
    followup_trend_days = fields.Float(related="followup_behaviour_id.trend_days")
    followup_paid_count = fields.Integer(related="followup_behaviour_id.paid_count")
    followup_usual_open_amount = fields.Monetary(
        related="followup_behaviour_id.usual_open_amount",
        currency_field="followup_currency_id",
    )
    followup_promises_kept = fields.Integer(
        related="followup_behaviour_id.promises_kept"
    )
    followup_promises_broken = fields.Integer(
        related="followup_behaviour_id.promises_broken"
    )
    followup_plans_broken = fields.Integer(related="followup_behaviour_id.plans_broken")
    followup_dispute_count = fields.Integer(
        related="followup_behaviour_id.dispute_count"
    )
    followup_usually_late = fields.Boolean(related="followup_behaviour_id.usually_late")
    followup_getting_worse = fields.Boolean(
        related="followup_behaviour_id.getting_worse"
    )
    payment_risk_score = fields.Integer(related="followup_behaviour_id.risk_score")
    followup_risk_band = fields.Selection(related="followup_behaviour_id.risk_band")
    followup_risk_reasons = fields.Char(related="followup_behaviour_id.risk_reasons")

    @api.depends_context("company", "lang")
    def _compute_payment_predicted(self):
        Prediction = self.env["invoice.followup.prediction"].sudo()
        rows = Prediction._for_customers(self.filtered("id"), self.env.company)
        for partner in self:
            predicted, count, median = rows.get(
                partner.commercial_partner_id.id, (0.0, 0, 0.0)
            )
            partner.payment_predicted_days_late = predicted
            partner.payment_predicted_basis = (
                Prediction._basis_words(count, median, predicted=predicted)
                if partner.id
                else False
            )

    @api.depends_context("company")
    def _compute_followup_reason(self):
        since = fields.Datetime.subtract(fields.Datetime.now(), days=365)
        groups = (
            self.env["invoice.followup.answer"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                    ("reason_id", "!=", False),
                    ("date", ">=", since),
                ],
                ["partner_id", "reason_id"],
                ["__count", "date:max"],
            )
        )
        best = {}
        totals = {}
        for partner, reason, count, last in groups:
            totals[partner] = totals.get(partner, 0) + count
            if partner not in best or (count, last) > best[partner][1:]:
                best[partner] = (reason, count, last)
        for partner in self:
            commercial = partner.commercial_partner_id
            reason, count, _last = best.get(
                commercial, (self.env["invoice.followup.reason"], 0, None)
            )
            partner.followup_reason_id = reason
            partner.followup_reason_summary = (
                self.env._(
                    "%(reason)s: %(count)s of %(total)s answers in 12 months",
                    reason=reason.name,
                    count=count,
                    total=totals[commercial],
                )
                if reason
                else False
            )

    def _followup_risk_level(self, company):
        """(level, behaviour row or None) of this commercial partner in
        ``company``: the hand-set level wins, else the band computed from its
        payment behaviour, else the company's band for customers without one."""
        self.ensure_one()
        partner = self.commercial_partner_id
        row = next(
            (
                b
                for b in partner.sudo().followup_behaviour_ids
                if b.company_id == company
            ),
            None,
        )
        level = (
            partner.payment_risk_override
            or (row and row.risk_band)
            or company.followup_default_risk
            or RISK_LEVELS[0][0]
        )
        return level, row

    @api.depends(
        "commercial_partner_id.payment_risk_override",
        "commercial_partner_id.followup_behaviour_ids.risk_band",
    )
    @api.depends_context("company", "lang")
    def _compute_payment_risk_level(self):
        company = self.env.company
        for partner in self:
            level, row = partner._followup_risk_level(company)
            partner.payment_risk_level = level
            commercial = partner.commercial_partner_id
            if commercial.payment_risk_override_uid:
                partner.payment_risk_source = self.env._(
                    "Set by hand by %(user)s on %(date)s",
                    user=commercial.payment_risk_override_uid.name,
                    date=commercial.payment_risk_override_date,
                )
            elif commercial.payment_risk_override:
                # set before who and when were recorded (an upgrade, the demo)
                partner.payment_risk_source = self.env._("Set by hand")
            elif row and row.paid_count:
                partner.payment_risk_source = self.env._(
                    "Payment behaviour (risk score %(score)s)", score=row.risk_score
                )
            else:
                partner.payment_risk_source = self.env._(
                    "No payment history yet: the company's band for new customers"
                )

    def _inverse_payment_risk_level(self):
        for partner in self:
            partner.commercial_partner_id.payment_risk_override = (
                partner.payment_risk_level
            )

    def _search_payment_risk_level(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the payment risk."))
        levels = [value] if isinstance(value, str) else list(value or [])
        company = self.env.company
        rows = (
            self.env["invoice.followup.behaviour"]
            .sudo()
            .search([("company_id", "=", company.id)])
        )
        bands = rows.filtered(lambda row: row.risk_band in levels)
        others = rows - bands
        domain = [
            "|",
            ("commercial_partner_id.payment_risk_override", "in", levels),
            "&",
            ("commercial_partner_id.payment_risk_override", "=", False),
            "|",
            ("commercial_partner_id", "in", bands.partner_id.ids),
        ]
        domain += (
            [("commercial_partner_id", "not in", others.partner_id.ids)]
            if company.followup_default_risk in levels
            else [("id", "=", 0)]
        )
        if operator in ("!=", "not in"):
            domain = ["!", *domain]
        return domain

    def write(self, vals):
        if "payment_risk_override" in vals:
            vals = dict(
                vals,
                payment_risk_override_uid=vals["payment_risk_override"]
                and self.env.uid,
                payment_risk_override_date=vals["payment_risk_override"]
                and fields.Date.context_today(self),
            )
        return super().write(vals)

    def action_followup_clear_risk(self):
        """Back to the band computed from the payment behaviour."""
        self.commercial_partner_id.payment_risk_override = False
        return True

    def _followup_get_access_token(self):
        """The token of the customer's statement link, created on first use."""
        partner = self.commercial_partner_id.sudo()
        if not partner.followup_access_token:
            partner.followup_access_token = self._followup_new_access_token()
        return partner.followup_access_token

    @api.model
    def _followup_new_access_token(self):
        # short (12 characters, 72 random bits) so the SMS link stays short
        return secrets.token_urlsafe(9)

    def _followup_check_access_token(self, token):
        """True when ``token`` opens this customer's statement: the token of a
        commercial partner, made for it (a contact's record or a company that
        became another's contact opens nothing)."""
        self.ensure_one()
        partner = self.sudo()
        return bool(
            token
            and partner.commercial_partner_id == partner
            and partner.followup_access_token
            and consteq(partner.followup_access_token, str(token))
        )

    @api.depends_context("company")
    def _compute_followup_interest_due(self):
        Charge = self.env["invoice.followup.charge"]
        company = self.env.company
        for partner in self:
            summary = (
                company.followup_interest_regime_id
                and partner.id
                and Charge._interest_summary(partner, company)
            )
            partner.followup_interest_due = (
                " + ".join(
                    currency.format(amount) for currency, amount in summary["totals"]
                )
                if summary
                else False
            )

    def action_followup_invoice_interest(self):
        """Invoice the statutory interest and compensation due today (one invoice
        per currency) and open it."""
        self.ensure_one()
        invoices = self.env["invoice.followup.charge"]._invoice_interest(
            self, self.env.company
        )
        return invoices._get_records_action(name=self.env._("Interest Invoices"))

    def action_followup_renew_link(self):
        """A new statement link for these customers: the links of earlier mails
        and SMS no longer open anything (their visitors are told so and can ask
        for a new link, sent to the address on file)."""
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._(
                    "Only accounting managers can renew customers' follow-up links."
                )
            )
        partners = self.commercial_partner_id
        for partner in partners.sudo():
            partner.followup_access_token = self._followup_new_access_token()
        partners._message_log_batch(
            {
                partner.id: self.env._(
                    "Follow-up link renewed by %(user)s: the links of earlier "
                    "reminders no longer open the statement.",
                    user=self.env.user.name,
                )
                for partner in partners
            }
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "New follow-up link made: the earlier links no longer work."
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _followup_send_new_link(self):
        """A visitor with an outdated link asked for a new one: the current link
        goes to the customer's follow-up address on file (never to an address
        typed by the visitor), at most once a day. Returns whether a mail left."""
        self.ensure_one()
        partner = self.sudo()
        today = fields.Date.context_today(self)
        recipient = partner._followup_get_recipient()
        if (
            partner.commercial_partner_id != partner
            or partner.followup_link_sent_date == today
            or not recipient.email
        ):
            return False
        template = self.env.ref(
            "invoice_followup.mail_template_followup_new_link", raise_if_not_found=False
        )
        if not template:
            return False
        partner.followup_link_sent_date = today
        template.sudo().send_mail(
            partner.id,
            email_values={"recipient_ids": [fields.Command.set(recipient.ids)]},
        )
        partner._message_log(
            body=self.env._(
                "A new follow-up link was sent to %(email)s on request.",
                email=recipient.email,
            )
        )
        return True

    def _followup_get_statement_url(self, path="/my/followup"):
        """Signed link to the customer's follow-up statement in the portal (or
        to another follow-up page ``path`` that takes the statement's token)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        query = url_encode(
            {
                "pid": partner.id,
                "access_token": partner._followup_get_access_token(),
            }
        )
        return f"{partner.get_base_url()}{path}?{query}"

    def _followup_get_responsible(self, company):
        """Who follows this customer up in ``company``: its follow-up
        responsible, else its salesperson, else the company's default."""
        partner = self.commercial_partner_id.with_company(company)
        return (
            partner.followup_responsible_id
            or partner.user_id
            or company.followup_responsible_id
        )

    def _followup_text_direction(self):
        """'rtl' or 'ltr': the direction of this contact's language."""
        self.ensure_one()
        lang = self.lang or self.commercial_partner_id.lang or self.env.lang or "en_US"
        return self.env["res.lang"]._get_data(code=lang).direction or "ltr"

    def _followup_get_short_url(self):
        """Short signed link for SMS: /f/<token> redirects to the statement."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return f"{partner.get_base_url()}/f/{partner._followup_get_access_token()}"

    def _followup_open_invoices(self, all_companies=False):
        """Open customer invoices of these customers, oldest due first, in the
        current company unless ``all_companies`` (the customer's portal statement)."""
        Move = self.env["account.move"]
        domain = [
            ("commercial_partner_id", "in", self.commercial_partner_id.ids),
            *Move._followup_open_domain(),
        ]
        if not all_companies:
            domain.append(("company_id", "=", self.env.company.id))
        return Move.search(domain, order="followup_date_due, id")

    def _followup_get_recipient(self):
        """Whom the follow-up of this customer is addressed to: its follow-up
        contact, else its invoice address, else the customer itself."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.followup_partner_id:
            return partner.followup_partner_id
        return self.browse(partner.address_get(["invoice"])["invoice"])

    @api.depends_context("company")
    def _compute_followup_figures(self):
        today = fields.Date.context_today(self)
        moves = self._followup_open_invoices()
        by_partner = moves.grouped("commercial_partner_id")
        for partner in self:
            open_moves = by_partner.get(partner.commercial_partner_id, moves.browse())
            planned = open_moves.filtered(
                lambda m: m.followup_next_date
                and m.followup_state in ("planned", "action_needed")
            )
            # what the run sends: the most advanced stage due, else the next to come
            due = planned.filtered(lambda m: m.followup_next_date <= today)
            first = (
                due.sorted(
                    lambda m: (
                        m.followup_next_stage_id.sequence,
                        m.followup_next_stage_id.id,
                    )
                )[-1:]
                or planned.sorted(lambda m: (m.followup_next_date, m.id))[:1]
            )
            partner.followup_invoice_ids = open_moves
            partner.followup_currency_id = self.env.company.currency_id
            partner.followup_amount_due = sum(
                open_moves.mapped("amount_residual_signed")
            )
            partner.followup_amount_overdue = sum(
                open_moves.filtered(
                    lambda m: m.followup_date_due and m.followup_date_due < today
                ).mapped("amount_residual_signed")
            )
            partner.followup_next_date = first.followup_next_date
            partner.followup_next_stage_id = first.followup_next_stage_id

    # ------------------------------------------------------------------
    # Actions (customer form and worklist), over the engine (invoice.followup.run)
    # ------------------------------------------------------------------
    def _followup_moves_or_raise(self):
        moves = self._followup_open_invoices().filtered(
            lambda m: m.followup_state != "paused"
        )
        if not moves:
            raise UserError(
                self.env._("These customers have no open invoice to follow up.")
            )
        return moves

    def action_followup_send_now(self):
        return self._followup_moves_or_raise().action_followup_send_now()

    @api.model
    def _followup_escalation_stage(self, company):
        """The stage "Escalate" runs in ``company``: its most advanced active
        stage flagged ``escalate``, else its last active stage."""
        stages = (
            self.env["invoice.followup.stage"]
            .sudo()
            .search([("company_id", "=", company.id)], order="sequence desc, id desc")
        )
        return stages.filtered("escalate")[:1] or stages[:1]

    def action_followup_escalate(self):
        """Run the escalation stage now for the open overdue invoices (not
        paused) of these customers in the current company, through the engine of
        "Send now"; show the result as "Send now" does."""
        company = self.env.company
        today = fields.Date.context_today(self)
        moves = self._followup_moves_or_raise().filtered(
            lambda m: m.followup_date_due and m.followup_date_due < today
        )
        if not moves:
            raise UserError(
                self.env._("These customers have no overdue invoice to escalate.")
            )
        stage = self._followup_escalation_stage(company)
        if not stage:
            raise UserError(
                self.env._(
                    "The company %(company)s has no follow-up stage.",
                    company=company.name,
                )
            )
        moves.check_access("write")
        return (
            self.env["invoice.followup.run"]
            ._run(moves, run_by="user", force=True, stage=stage)
            ._action_show_result()
        )

    def action_followup_skip_stage(self):
        """Mark the next stage as done without sending anything."""
        moves = self._followup_moves_or_raise()
        for move in moves.filtered("followup_next_stage_id"):
            move.write(
                {
                    "followup_stage_id": move.followup_next_stage_id.id,
                    "followup_last_date": fields.Date.context_today(self),
                }
            )
        moves._message_log_batch(
            {
                m.id: self.env._(
                    "Follow-up stage %(stage)s skipped by %(user)s.",
                    stage=m.followup_stage_id.name,
                    user=self.env.user.name,
                )
                for m in moves
            }
        )
        return True

    def action_followup_exclude(self):
        self.commercial_partner_id.write({"followup_excluded": True})
        return True

    def action_followup_include(self):
        self.commercial_partner_id.write({"followup_excluded": False})
        return True

    @api.depends("followup_hold_step_id")
    def _compute_followup_on_hold(self):
        for partner in self:
            partner.followup_on_hold = bool(partner.followup_hold_step_id)

    def action_followup_release_hold(self):
        """An accountant lifts the credit hold that the follow-up of the
        companies they work in put on these customers."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only accountants can lift a credit hold."))
        partners = self.commercial_partner_id.filtered("followup_on_hold")
        if not partners:
            raise UserError(self.env._("This customer is not on credit hold."))
        released = self.env["invoice.followup.credit.hold"]._release(
            partners,
            self.env.companies,
            self.env._("by hand, by %(user)s", user=self.env.user.name),
        )
        if not released:
            raise UserError(
                self.env._(
                    "The credit hold was set by the follow-up of %(companies)s: "
                    "switch to that company to lift it.",
                    companies=", ".join(
                        partners.sudo().followup_hold_company_id.mapped("name")
                    ),
                )
            )
        return True

    @api.model
    def _followup_wizard_action(self, res_model, context):
        return {
            "type": "ir.actions.act_window",
            "res_model": res_model,
            "view_mode": "form",
            "target": "new",
            "context": context,
        }

    def action_followup_pause(self):
        return self._followup_wizard_action(
            "invoice.followup.pause.wizard",
            {"default_partner_ids": self.commercial_partner_id.ids},
        )

    def action_followup_preview(self):
        self.ensure_one()
        return self._followup_wizard_action(
            "invoice.followup.preview.wizard",
            {"default_partner_id": self.commercial_partner_id.id},
        )

    def action_followup_log_call(self):
        return self._followup_wizard_action(
            "invoice.followup.call.wizard",
            {"default_partner_ids": self.commercial_partner_id.ids},
        )

    @api.depends_context("company")
    def _compute_followup_behaviour(self):
        rows = (
            self.env["invoice.followup.behaviour"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ]
            )
            .grouped("partner_id")
        )
        for partner in self:
            partner.followup_behaviour_id = rows.get(partner.commercial_partner_id)

    def _search_followup_behaviour(self, operator, value):
        rows = (
            self.env["invoice.followup.behaviour"]
            .sudo()
            .search([("company_id", "=", self.env.company.id)])
        )
        matching = rows.filtered_domain([("id", operator, value)])
        return [("id", "in", matching.partner_id.ids)]

    def action_followup_refresh_behaviour(self):
        """Compute these customers' payment behaviour now (the daily run does it
        for everyone)."""
        self.env["invoice.followup.behaviour"].sudo()._refresh(self)
        self.env["invoice.followup.prediction"].sudo()._refresh(self)
        return True

    def action_followup_paid_invoices(self):
        """The invoices the payment behaviour is based on."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(
            {
                "domain": [
                    ("commercial_partner_id", "=", self.commercial_partner_id.id),
                    ("company_id", "=", self.env.company.id),
                    ("move_type", "in", FOLLOWUP_MOVE_TYPES),
                    ("state", "=", "posted"),
                ],
                "context": {"create": False},
            }
        )
        return action

    def action_followup_prelegal_file(self):
        """Print the pre-legal file of the customer now (statement, invoices,
        history, answers, plans; the invoices' PDFs appended), kept on the customer."""
        self.ensure_one()
        self.env["account.move"].check_access("read")
        return self.env["invoice.followup.handover"]._action_print(
            self.commercial_partner_id
        )

    def action_followup_agency_release(self):
        """Take the customer back from its agency: its invoices' follow-up resumes."""
        self.env["account.move"].check_access("write")
        self.env["invoice.followup.handover"]._take_back(self.commercial_partner_id)
        return True

    def action_followup_open_history(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "invoice_followup.invoice_followup_log_action"
        )
        action["domain"] = [("partner_id", "in", self.commercial_partner_id.ids)]
        return action

    def _followup_set_preferences(
        self, use_email, use_sms, use_letter, use_phone, mobile, lang
    ):
        """Preferences from the portal; the mobile number is validated."""
        self.ensure_one()
        partner = self.commercial_partner_id
        recipient = partner._followup_get_recipient()
        values = {}
        if mobile:
            country = (
                recipient.country_id
                or partner.country_id
                or self.env.company.country_id
            )
            formatted = recipient._phone_format(number=mobile, country=country)
            if not formatted:
                raise UserError(
                    self.env._(
                        "The mobile number %(number)s is not valid. Please "
                        "write it with the "
                        "country code, for example +966 50 123 4567.",
                        number=mobile,
                    )
                )
            values["mobile"] = formatted
        if lang:
            if lang not in dict(self.env["res.lang"].get_installed()):
                raise UserError(self.env._("This language is not available."))
            values["lang"] = lang
        if values:
            recipient.write(values)
        partner.write(
            {
                "followup_use_email": use_email,
                "followup_use_sms": use_sms,
                "followup_use_letter": use_letter,
                "followup_use_phone": use_phone,
            }
        )
        partner._message_log(
            body=self.env._(
                "Contact preferences updated by the customer in the portal."
            )
        )
        return True

    # ------------------------------------------------------------------
    # Payment plan requested by the customer in the portal
    # ------------------------------------------------------------------
    def _followup_overdue_moves(self, currency_id=None):
        """The customer's overdue invoices in one currency (the largest debt
        when several) and one company, not already in a plan or disputed: what
        "Pay all overdue" and a payment plan request cover."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        moves = self._followup_open_invoices(all_companies=True).filtered(
            lambda m: m.followup_date_due
            and m.followup_date_due < today
            and m.followup_pause_reason not in ("payment_plan", "dispute")
        )
        if currency_id:
            moves = moves.filtered(lambda m: m.currency_id.id == currency_id)
        elif len(moves.currency_id) > 1:
            by_currency = moves.grouped("currency_id")
            moves = max(
                by_currency.values(),
                key=lambda ms: sum(ms.mapped("amount_residual_signed")),
            )
        if not moves:
            raise UserError(self.env._("You have no overdue invoice to pay."))
        if len(moves.company_id) > 1:
            moves = moves.filtered(lambda m: m.company_id == moves[:1].company_id)
        return moves
