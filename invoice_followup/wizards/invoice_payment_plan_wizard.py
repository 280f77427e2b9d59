# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError


class InvoicePaymentPlanWizard(models.TransientModel):
    """Create a payment plan from selected invoices of one customer."""

    _name = "invoice.payment.plan.wizard"
    _description = "Create Payment Plan"

    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        required=True,
        default=lambda self: self.env["account.move"]._followup_context_invoices(),
    )
    instalment_count = fields.Integer("Instalments", default=3)
    frequency = fields.Selection(
        [("weekly", "Weekly"), ("monthly", "Monthly"), ("custom", "Custom dates")],
        default="monthly",
        required=True,
    )
    first_date = fields.Date(
        "First Instalment",
        default=lambda self: fields.Date.context_today(self) + relativedelta(days=7),
    )
    custom_dates = fields.Char(
        "Dates",
        help="Instalment dates as YYYY-MM-DD separated by commas (custom schedule).",
    )
    down_payment = fields.Float(digits=0)
    schedule_preview = fields.Html(compute="_compute_schedule_preview", sanitize=False)

    def _custom_dates(self):
        if self.frequency != "custom":
            return None
        try:
            dates = [
                fields.Date.to_date(d.strip())
                for d in (self.custom_dates or "").split(",")
                if d.strip()
            ]
        except ValueError as error:
            raise UserError(
                self.env._("Write the dates as YYYY-MM-DD, separated by commas.")
            ) from error
        if not dates:
            raise UserError(self.env._("Enter the instalment dates."))
        return dates

    def _plan_values(self):
        self.ensure_one()
        return self.env["invoice.payment.plan"]._prepare_plan_values(
            self.move_ids,
            self.instalment_count,
            self.first_date,
            frequency=self.frequency,
            down_payment=self.down_payment,
            dates=self._custom_dates(),
        )

    @api.depends(
        "move_ids",
        "instalment_count",
        "frequency",
        "first_date",
        "custom_dates",
        "down_payment",
    )
    def _compute_schedule_preview(self):
        for wizard in self:
            try:
                values = wizard._plan_values()
            except UserError as error:
                wizard.schedule_preview = (
                    Markup('<div class="text-danger">%s</div>') % error.args[0]
                )
                continue
            currency = self.env["res.currency"].browse(values["currency_id"])
            rows = Markup("").join(
                Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>")
                % (
                    fields.Date.to_string(cmd[2]["date_due"]),
                    currency.format(cmd[2]["amount"]),
                )
                for cmd in values["line_ids"]
            )
            wizard.schedule_preview = (
                Markup("<table class='table table-sm'>%s</table>") % rows
            )

    def action_create(self):
        self.ensure_one()
        plan = self.env["invoice.payment.plan"].create(self._plan_values())
        return {
            "type": "ir.actions.act_window",
            "res_model": "invoice.payment.plan",
            "res_id": plan.id,
            "view_mode": "form",
        }
