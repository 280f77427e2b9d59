# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

# The payment risk levels, lowest first: the one list the customer's level, the
# stages' risk filter and the payment plan policy are written with.
RISK_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
RISK_ORDER = {code: index for index, (code, _label) in enumerate(RISK_LEVELS)}


class InvoiceFollowupRiskLevel(models.Model):
    """Payment risk levels a stage can be restricted to."""

    _name = "invoice.followup.risk.level"
    _description = "Payment Risk Level"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(RISK_LEVELS, required=True)
    sequence = fields.Integer(default=10)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "Each risk level exists once."),
    ]
