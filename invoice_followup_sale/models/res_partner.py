# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from odoo.addons.base.models.res_partner import WARNING_MESSAGE


class ResPartner(models.Model):
    _inherit = "res.partner"

    # the sales warning the credit hold replaced (invoice.followup.credit.hold)
    followup_hold_prev_sale_warn = fields.Selection(
        WARNING_MESSAGE,
        "Sales Warning Before the Hold",
        readonly=True,
        copy=False,
    )
    followup_hold_prev_sale_warn_msg = fields.Text(
        "Sales Warning Message Before the Hold", readonly=True, copy=False
    )
