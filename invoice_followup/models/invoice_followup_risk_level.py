# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class InvoiceFollowupRiskLevel(models.Model):
    """Payment risk levels a stage can be restricted to."""

    _name = "invoice.followup.risk.level"
    _description = "Payment Risk Level"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")], required=True
    )
    sequence = fields.Integer(default=10)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "Each risk level exists once."),
    ]
