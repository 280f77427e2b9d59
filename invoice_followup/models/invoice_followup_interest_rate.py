# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class InvoiceFollowupInterestRate(models.Model):
    """One reference rate of a statutory interest regime, valid from its date
    until the next one's."""

    _name = "invoice.followup.interest.rate"
    _description = "Statutory Interest Rate"
    _order = "regime_id, date_from desc"

    regime_id = fields.Many2one(
        "invoice.followup.interest.regime", required=True, ondelete="cascade"
    )
    date_from = fields.Date(
        "Valid From",
        required=True,
        help="Valid until the day before the next rate of the table.",
    )
    reference_rate = fields.Float(
        "Reference Rate (%)",
        digits=(16, 2),
        help="The central bank's rate the law refers to (the ECB's main "
        "refinancing rate on 1 January or 1 July, the Bank of England's base rate "
        "on 31 December or 30 June).",
    )
    margin = fields.Float("Points Added", digits=(16, 2), default=8.0)
    rate = fields.Float(
        "Annual Rate (%)",
        compute="_compute_rate",
        store=True,
        digits=(16, 2),
    )

    _sql_constraints = [
        (
            "date_uniq",
            "unique(regime_id, date_from)",
            "A regime has one rate per date of validity.",
        )
    ]

    @api.depends("reference_rate", "margin")
    def _compute_rate(self):
        for rate in self:
            rate.rate = rate.reference_rate + rate.margin
