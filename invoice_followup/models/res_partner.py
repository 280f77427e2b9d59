# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

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
    payment_risk_level = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")],
        string="Payment Risk",
        default="low",
    )
