# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class InvoicePaymentPlanLine(models.Model):
    """One instalment of a payment plan."""

    _name = "invoice.payment.plan.line"
    _description = "Payment Plan Instalment"
    _order = "date_due, id"

    plan_id = fields.Many2one(
        "invoice.payment.plan", required=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="plan_id.currency_id")
    date_due = fields.Date("Due Date", required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    amount_paid = fields.Monetary(
        compute="_compute_state", currency_field="currency_id"
    )
    state = fields.Selection(
        [("paid", "Paid"), ("open", "Open"), ("late", "Late")], compute="_compute_state"
    )
    reminder_sent = fields.Boolean(copy=False, readonly=True)
    missed_notice_sent = fields.Boolean(copy=False, readonly=True)

    @api.constrains("amount", "date_due")
    def _check_plan(self):
        self.plan_id._check_consistency()

    @api.depends("plan_id.move_ids.amount_residual", "amount", "date_due")
    @api.depends_context("tz")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        allocation = {}
        for plan in self.plan_id:
            allocation.update(plan._allocate_payments())
        for line in self:
            line.amount_paid = allocation.get(line, 0.0)
            if line.currency_id.compare_amounts(line.amount_paid, line.amount) >= 0:
                line.state = "paid"
            elif line.date_due < today:
                line.state = "late"
            else:
                line.state = "open"
