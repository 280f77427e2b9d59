# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class InvoiceFollowupWaiveWizard(models.TransientModel):
    """Waive late-payment charges (fees, interest): a credit note each, with
    the reason (models/invoice_followup_charge.py)."""

    _name = "invoice.followup.waive.wizard"
    _description = "Waive Late-payment Charge"

    move_ids = fields.Many2many(
        "account.move", string="Charges", domain=[("followup_charge_kind", "!=", False)]
    )
    reason = fields.Text(
        required=True, help="Kept in the charge's and the customer's chatter."
    )

    def action_apply(self):
        self.ensure_one()
        refunds = self.env["invoice.followup.charge"]._waive(self.move_ids, self.reason)
        return refunds._get_records_action(name=self.env._("Credit Notes"))
