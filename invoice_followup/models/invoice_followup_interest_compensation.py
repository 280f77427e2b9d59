# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class InvoiceFollowupInterestCompensation(models.Model):
    """A fixed sum of compensation for the costs of recovery, per late invoice,
    for invoices from an amount on (in the regime's currency)."""

    _name = "invoice.followup.interest.compensation"
    _description = "Statutory Fixed Compensation"
    _order = "regime_id, amount_from"

    regime_id = fields.Many2one(
        "invoice.followup.interest.regime", required=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="regime_id.currency_id")
    amount_from = fields.Monetary(
        "For Invoices From", help="The invoice's amount from which this sum applies."
    )
    amount = fields.Monetary("Fixed Sum", required=True)
