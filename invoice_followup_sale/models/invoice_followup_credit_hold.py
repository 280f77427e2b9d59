# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class InvoiceFollowupCreditHold(models.AbstractModel):
    _inherit = "invoice.followup.credit.hold"

    @api.model
    def _warning_fields(self):
        """A credit hold blocks sales orders too: Odoo's sales warning of the
        customer (sale_warn), kept and restored as the invoice warning."""
        return [*super()._warning_fields(), ("sale_warn", "sale_warn_msg")]
