# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

    def _invoice_followup_ensure_default_stages(self):
        return True
