# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(
        self, modules, langs, overwrite=False, imported_module=False
    ):
        """A language activated after install also translates the default
        stages the companies already have."""
        res = super()._load_module_terms(
            modules, langs, overwrite=overwrite, imported_module=imported_module
        )
        if "invoice_followup" in modules and "invoice.followup.stage" in self.env:
            self.env["invoice.followup.stage"]._translate_default_stages(
                self.env["res.company"].sudo().search([]), langs
            )
        return res
