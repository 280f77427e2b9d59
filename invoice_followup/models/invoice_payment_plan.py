# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Payment plans: the plan record, its instalments' schedule and policy, the
customer's requests from the portal (_request_preview, _pending_request,
_create_request), acceptance, payments applied to instalments and the daily
check that breaks a missed plan. Over 400 lines because a plan's whole life
lives with the plan; its lines are models/invoice_payment_plan_line.py."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .invoice_followup_risk_level import RISK_LEVELS, RISK_ORDER

LIVE_STATES = ("draft", "proposed", "active")


class InvoicePaymentPlan(models.Model):
    """An instalment agreement for one customer's overdue invoices. What is paid
    is read from the invoices' residual: any payment counts, no special
    reconciliation."""

    _name = "invoice.payment.plan"
    _description = "Payment Plan"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(default="/", copy=False, readonly=True, required=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain=[("parent_id", "=", False)],
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one("res.currency", required=True)
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        check_company=True,
        domain=lambda self: self.env["account.move"]._followup_open_domain(),
    )
    amount_total = fields.Monetary("Plan Total", currency_field="currency_id")
    line_ids = fields.One2many(
        "invoice.payment.plan.line", "plan_id", string="Instalments", copy=True
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("proposed", "Proposed"),
            ("active", "Active"),
            ("done", "Done"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    origin = fields.Selection(
        [("accountant", "Accountant"), ("customer", "Customer request")],
        default="accountant",
        required=True,
    )
    amount_paid = fields.Monetary(
        compute="_compute_amount_paid", currency_field="currency_id"
    )
    amount_open = fields.Monetary(
        "Still to Pay", compute="_compute_amount_paid", currency_field="currency_id"
    )
    next_line_id = fields.Many2one(
        "invoice.payment.plan.line", compute="_compute_amount_paid"
    )
    accepted_by = fields.Char(copy=False, readonly=True, tracking=True)
    accepted_date = fields.Datetime(copy=False, readonly=True)
    note = fields.Html("Terms", translate=True)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        domain=[("share", "=", False)],
    )

    _sql_constraints = [
        (
            "amount_total_positive",
            "CHECK(amount_total > 0)",
            "A payment plan must be for a positive amount.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("invoice.payment.plan") or "/"
                )
        return super().create(vals_list)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for plan in self:
            plan.access_url = f"/my/payment_plans/{plan.id}"
        return res

    def _allocate_payments(self):
        """{line: amount paid}: what the invoices no longer owe, applied to the
        instalments in date order."""
        self.ensure_one()
        residual = sum(self.move_ids.mapped("amount_residual"))
        remaining = max(self.currency_id.round(self.amount_total - residual), 0.0)
        allocation = {}
        for line in self.line_ids.sorted(lambda pl: (pl.date_due, pl.id)):
            allocation[line] = min(line.amount, remaining)
            remaining = self.currency_id.round(remaining - allocation[line])
        return allocation

    @api.depends(
        "move_ids.amount_residual",
        "line_ids.amount",
        "line_ids.date_due",
        "amount_total",
    )
    def _compute_amount_paid(self):
        for plan in self:
            residual = sum(plan.move_ids.mapped("amount_residual"))
            plan.amount_paid = max(
                plan.currency_id.round(plan.amount_total - residual), 0.0
            )
            plan.amount_open = plan.amount_total - plan.amount_paid
            allocation = plan._allocate_payments()
            plan.next_line_id = next(
                (
                    line
                    for line, paid in allocation.items()
                    if plan.currency_id.compare_amounts(paid, line.amount) < 0
                ),
                self.env["invoice.payment.plan.line"],
            )

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    @api.constrains("line_ids", "amount_total", "move_ids", "partner_id", "currency_id")
    def _check_consistency(self):
        for plan in self:
            moves = plan.move_ids
            if (
                moves.commercial_partner_id
                and moves.commercial_partner_id != plan.partner_id.commercial_partner_id
            ):
                raise ValidationError(
                    self.env._(
                        "A payment plan covers the invoices of one customer only."
                    )
                )
            if moves and moves.currency_id != plan.currency_id:
                raise ValidationError(
                    self.env._("A payment plan covers invoices in one currency only.")
                )
            if plan.line_ids:
                if any(
                    plan.currency_id.compare_amounts(line.amount, 0) <= 0
                    for line in plan.line_ids
                ):
                    raise ValidationError(
                        self.env._("Each instalment must be a positive amount.")
                    )
                total = sum(plan.line_ids.mapped("amount"))
                if plan.currency_id.compare_amounts(total, plan.amount_total) != 0:
                    raise ValidationError(
                        self.env._(
                            "The instalments add up to %(sum)s but the plan is "
                            "for %(total)s.",
                            sum=plan.currency_id.format(total),
                            total=plan.currency_id.format(plan.amount_total),
                        )
                    )

    @api.constrains("move_ids", "state")
    def _check_one_live_plan(self):
        """An invoice belongs to at most one live plan (draft, proposed, active).
        The invoices' rows are locked first, so that two requests at once cannot
        both pass the check."""
        live = self.filtered(lambda p: p.state in LIVE_STATES and p.move_ids)
        if not live:
            return
        self.env.execute_query(
            SQL(
                "SELECT id FROM account_move WHERE id IN %s ORDER BY id FOR UPDATE",
                tuple(live.move_ids.ids),
            )
        )
        others = live.move_ids._followup_live_plans() - live
        for plan in live:
            clash = others.filtered(
                lambda other, plan=plan: other.move_ids & plan.move_ids
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "Invoice %(invoices)s is already in payment plan %(plan)s.",
                        invoices=", ".join(
                            (clash.move_ids & plan.move_ids).mapped("name")
                        ),
                        plan=clash[0].name,
                    )
                )

    @api.model
    def _split_amounts(self, total, count, currency, down_payment=0.0):
        """Split ``total`` in ``count`` instalments (after an optional down payment)
        that add up exactly in ``currency``: rounding goes on the last one."""
        if count < 1:
            raise UserError(self.env._("A payment plan needs at least one instalment."))
        if currency.compare_amounts(total, 0) <= 0:
            raise UserError(self.env._("There is nothing to pay in instalments."))
        if down_payment and (
            currency.compare_amounts(down_payment, 0) < 0
            or currency.compare_amounts(down_payment, total) >= 0
        ):
            raise UserError(
                self.env._("The down payment must be positive and less than the total.")
            )
        amounts = [currency.round(down_payment)] if down_payment else []
        rest = currency.round(total - (down_payment or 0.0))
        each = currency.round(rest / count)
        amounts += [each] * (count - 1)
        amounts.append(currency.round(rest - each * (count - 1)))
        if any(currency.compare_amounts(a, 0) <= 0 for a in amounts):
            raise UserError(self.env._("Too many instalments for this amount."))
        return amounts

    @api.model
    def _schedule_dates(self, first_date, count, frequency):
        step = (
            relativedelta(weeks=1) if frequency == "weekly" else relativedelta(months=1)
        )
        return [first_date + step * index for index in range(count)]

    @api.model
    def _prepare_plan_values(
        self,
        moves,
        count,
        first_date,
        frequency="monthly",
        down_payment=0.0,
        dates=None,
    ):
        """Values of a plan for ``moves`` (one customer, one currency, open)."""
        if not moves:
            raise UserError(self.env._("Select the invoices to pay in instalments."))
        if len(moves.commercial_partner_id) > 1:
            raise UserError(
                self.env._("A payment plan covers the invoices of one customer only.")
            )
        if len(moves.currency_id) > 1:
            raise UserError(
                self.env._("A payment plan covers invoices in one currency only.")
            )
        if len(moves.company_id) > 1:
            raise UserError(
                self.env._("A payment plan covers invoices of one company only.")
            )
        if not all(m._followup_is_open() for m in moves):
            raise UserError(
                self.env._(
                    "Only open posted customer invoices can go in a payment plan."
                )
            )
        if (
            moves.filtered(lambda m: m.followup_pause_reason == "payment_plan")
            or moves._followup_live_plans()
        ):
            raise UserError(
                self.env._("Some of these invoices are already in a payment plan.")
            )
        currency = moves.currency_id
        total = currency.round(sum(moves.mapped("amount_residual")))
        today = fields.Date.context_today(self)
        if dates:
            dates = sorted(dates)
            count = len(dates) - (1 if down_payment else 0)
        else:
            if not first_date:
                raise UserError(self.env._("Choose the date of the first instalment."))
            dates = self._schedule_dates(
                first_date, count + (1 if down_payment else 0), frequency
            )
        if dates[0] < today:
            raise UserError(self.env._("Instalments cannot fall in the past."))
        amounts = self._split_amounts(total, count, currency, down_payment)
        return {
            "partner_id": moves.commercial_partner_id.id,
            "company_id": moves.company_id.id,
            "currency_id": currency.id,
            "move_ids": [fields.Command.set(moves.ids)],
            "amount_total": total,
            "line_ids": [
                fields.Command.create({"date_due": date, "amount": amount})
                for date, amount in zip(dates, amounts, strict=False)
            ],
        }

    def _policy_refusals(self):
        """Why this plan is outside the company's policy for automatic approval
        (empty: inside)."""
        self.ensure_one()
        company = self.company_id
        reasons = []
        lines = self.line_ids.sorted("date_due")
        if (
            company.payment_plan_max_instalments
            and len(lines) > company.payment_plan_max_instalments
        ):
            reasons.append(
                self.env._(
                    "more than %(n)s instalments",
                    n=company.payment_plan_max_instalments,
                )
            )
        if lines and company.payment_plan_max_months:
            limit = fields.Date.context_today(self) + relativedelta(
                months=company.payment_plan_max_months
            )
            if lines[-1].date_due > limit:
                reasons.append(
                    self.env._(
                        "longer than %(n)s months", n=company.payment_plan_max_months
                    )
                )
        minimum = company.currency_id._convert(
            company.payment_plan_min_instalment,
            self.currency_id,
            company,
            fields.Date.context_today(self),
        )
        if minimum and any(
            self.currency_id.compare_amounts(pl.amount, minimum) < 0 for pl in lines
        ):
            reasons.append(
                self.env._(
                    "instalments below %(amount)s",
                    amount=self.currency_id.format(minimum),
                )
            )
        level = self.partner_id._followup_risk_level(company)[0]
        if RISK_ORDER.get(level, 0) > RISK_ORDER.get(
            company.payment_plan_max_risk, len(RISK_LEVELS) - 1
        ):
            reasons.append(self.env._("customer risk is %(level)s", level=level))
        if company.payment_plan_max_amount:
            total_company = self.currency_id._convert(
                self.amount_total,
                company.currency_id,
                company,
                fields.Date.context_today(self),
            )
            if (
                company.currency_id.compare_amounts(
                    total_company, company.payment_plan_max_amount
                )
                > 0
            ):
                reasons.append(
                    self.env._(
                        "amount above %(amount)s",
                        amount=company.currency_id.format(
                            company.payment_plan_max_amount
                        ),
                    )
                )
        return reasons

    # ------------------------------------------------------------------
    # Requested by the customer in the portal (called on the sudoed
    # commercial partner after the controller checked access)
    # ------------------------------------------------------------------
    @api.model
    def _request_preview(self, partner, count=None, currency_id=None):
        """What the request form shows to ``partner``: invoices, allowed numbers
        of instalments and the schedule for the chosen one."""
        moves = partner._followup_overdue_moves(currency_id)
        moves -= moves._followup_live_plans().move_ids
        if not moves:
            raise UserError(
                self.env._("Your overdue invoices are already in a payment plan.")
            )
        company = moves.company_id
        maximum = max(company.payment_plan_max_instalments or 12, 2)
        count = min(max(count or min(3, maximum), 2), maximum)
        values = self._prepare_plan_values(
            moves, count, fields.Date.context_today(self) + relativedelta(days=7)
        )
        return {
            "moves": moves,
            "currency": moves.currency_id,
            "total": values["amount_total"],
            "count": count,
            "counts": list(range(2, maximum + 1)),
            "schedule": [
                (cmd[2]["date_due"], cmd[2]["amount"]) for cmd in values["line_ids"]
            ],
        }

    @api.model
    def _pending_request(self, partner):
        """The customer's own request still waiting (draft or proposed): one at a
        time."""
        return self.search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("origin", "=", "customer"),
                ("state", "in", ("draft", "proposed")),
            ],
            limit=1,
        )

    @api.model
    def _create_request(self, partner, count=None, currency_id=None, reason=None):
        """Create the plan ``partner`` asked for (or return its pending request):
        inside the company's policy it is approved and proposed at once, else an
        accountant decides. Either way the responsible gets an activity."""
        pending = self._pending_request(partner)
        if pending:
            return pending
        preview = self._request_preview(partner, count, currency_id)
        moves = preview["moves"]
        plan = self.create(
            {
                **self._prepare_plan_values(
                    moves,
                    preview["count"],
                    fields.Date.context_today(self) + relativedelta(days=7),
                ),
                "origin": "customer",
                "user_id": partner._followup_get_responsible(moves.company_id).id,
            }
        )
        self.env["invoice.followup.answer"]._record(
            "plan_request",
            moves,
            reason or self.env["invoice.followup.reason"],
            partner=partner,
        )
        refusals = plan._policy_refusals()
        if refusals:
            plan.message_post(
                body=self.env._(
                    "Requested by the customer; needs approval: %(reasons)s.",
                    reasons=", ".join(refusals),
                )
            )
            plan._notify_responsible(
                self.env._(
                    "Approve or change the payment plan %(name)s", name=plan.name
                )
            )
        else:
            plan.message_post(
                body=self.env._(
                    "Requested by the customer within the policy: approved "
                    "automatically."
                )
            )
            plan.action_propose()
            plan._notify_responsible(
                self.env._(
                    "Payment plan %(name)s requested by the customer: proposed "
                    "automatically",
                    name=plan.name,
                )
            )
        return plan

    # ------------------------------------------------------------------
    # State changes
    # ------------------------------------------------------------------
    def action_propose(self):
        """Send the plan to the customer for acceptance in the portal."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only draft plans can be proposed."))
            if not plan.line_ids:
                raise UserError(self.env._("Add the instalments first."))
            plan.state = "proposed"
            template = self.env.ref(
                "invoice_followup.mail_template_payment_plan_proposed",
                raise_if_not_found=False,
            )
            if template and plan.partner_id.email:
                plan.with_context(
                    mail_notify_force_send=False
                ).message_post_with_source(
                    template,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
        return True

    def _action_accept(self, name):
        """The customer accepts (portal) or the accountant records an agreement."""
        self.ensure_one()
        if self.state != "proposed":
            raise UserError(self.env._("Only a proposed plan can be accepted."))
        if not (name or "").strip():
            raise UserError(self.env._("Please type your name to accept the plan."))
        self.write(
            {"accepted_by": name.strip(), "accepted_date": fields.Datetime.now()}
        )
        self._activate()
        self._notify_responsible(
            self.env._(
                "Payment plan %(name)s accepted by %(by)s",
                name=self.name,
                by=self.accepted_by,
            )
        )
        return True

    def action_activate(self):
        """Agreement reached outside the portal (phone, meeting)."""
        for plan in self:
            if plan.state not in ("draft", "proposed"):
                raise UserError(
                    self.env._("Only draft or proposed plans can be activated.")
                )
            plan._activate()
        return True

    def _activate(self):
        self.state = "active"
        self.move_ids.write(
            {"followup_pause_reason": "payment_plan", "followup_paused_until": False}
        )
        self.env["invoice.followup.credit.hold"]._release(
            self.partner_id,
            self.company_id,
            self.env._("payment plan %(name)s accepted", name=self.name),
        )
        body = self.env._(
            "Payment plan %(name)s is active: follow-up paused.", name=self.name
        )
        self.move_ids._message_log_batch({move.id: body for move in self.move_ids})

    def _action_decline(self, name):
        self.ensure_one()
        if self.state != "proposed":
            raise UserError(self.env._("Only a proposed plan can be declined."))
        self.state = "cancelled"
        self.message_post(
            body=self.env._("Declined by the customer (%(name)s).", name=name or "")
        )
        self._notify_responsible(
            self.env._("Payment plan %(name)s declined", name=self.name)
        )
        return True

    def action_cancel(self):
        for plan in self:
            if plan.state == "active":
                plan._release_invoices()
            plan.state = "cancelled"
        return True

    def action_draft(self):
        self.filtered(lambda p: p.state in ("proposed", "cancelled")).write(
            {"state": "draft"}
        )
        return True

    def _release_invoices(self):
        moves = self.move_ids.filtered(
            lambda m: m.followup_pause_reason == "payment_plan"
        )
        moves.write({"followup_pause_reason": False, "followup_paused_until": False})
        return moves

    def _notify_responsible(self, summary):
        """An activity for the plan's responsible (else the customer's follow-up
        responsible), without an assignment mail."""
        user = self.user_id or self.partner_id._followup_get_responsible(
            self.company_id
        )
        if user:
            self.with_context(mail_activity_quick_update=True).activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                user_id=user.id,
                date_deadline=fields.Date.context_today(self),
            )

    def _break(self):
        """A missed instalment past the grace days: the plan breaks, the break is
        recorded on the customer and follow-up resumes at the configured stage."""
        self.ensure_one()
        self.state = "broken"
        moves = self._release_invoices().filtered(lambda m: m._followup_is_open())
        partner = self.partner_id.commercial_partner_id
        partner.payment_plan_broken_count += 1
        body = self.env._(
            "Payment plan %(name)s broken: an instalment is unpaid past the "
            "grace days.",
            name=self.name,
        )
        partner._message_log(body=body)
        self.message_post(body=body)
        self._notify_responsible(
            self.env._("Payment plan %(name)s broken", name=self.name)
        )
        stage = self.company_id.payment_plan_broken_stage_id
        if moves and stage:
            self.env["invoice.followup.run"]._run(moves, run_by="cron", stage=stage)
        return True

    # ------------------------------------------------------------------
    # Daily run
    # ------------------------------------------------------------------
    @api.model
    def _cron_payment_plans(self):
        """Done when fully paid; reminders before each instalment and on the day
        it is missed; broken past the grace days."""
        today = fields.Date.context_today(self)
        for plan in self.sudo().search([("state", "=", "active")]):
            plan = plan.with_company(plan.company_id)
            if plan.currency_id.is_zero(plan.amount_open):
                plan.state = "done"
                plan.message_post(
                    body=self.env._("All instalments are paid. Thank you!")
                )
                continue
            line = plan.next_line_id
            if not line:
                continue
            company = plan.company_id
            if line.date_due + timedelta(days=company.payment_plan_grace_days) < today:
                plan._break()
            elif line.date_due < today and not line.missed_notice_sent:
                plan._send_instalment_mail(
                    line, "invoice_followup.mail_template_payment_plan_missed"
                )
                line.missed_notice_sent = True
            elif (
                not line.reminder_sent
                and line.date_due - timedelta(days=company.payment_plan_reminder_days)
                <= today
                <= line.date_due
            ):
                plan._send_instalment_mail(
                    line, "invoice_followup.mail_template_payment_plan_reminder"
                )
                line.reminder_sent = True

    def _send_instalment_mail(self, line, template_xmlid):
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if template and self.partner_id.email:
            self.with_context(
                mail_notify_force_send=False, instalment_line_id=line.id
            ).message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )

    def _get_instalment_line(self):
        """The instalment a reminder mail is about (templates)."""
        line_id = self.env.context.get("instalment_line_id")
        return (
            self.env["invoice.payment.plan.line"].browse(line_id)
            if line_id
            else self.next_line_id
        )

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Payment plan %(name)s", name=self.name)

    def _get_agreement_summary(self):
        self.ensure_one()
        return Markup("").join(
            Markup("<li>%s: %s</li>")
            % (
                fields.Date.to_string(line.date_due),
                self.currency_id.format(line.amount),
            )
            for line in self.line_ids.sorted("date_due")
        )
