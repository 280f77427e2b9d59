# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from .account_move import FOLLOWUP_MOVE_TYPES


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        """A reconciliation (payment, credit note) may settle what a customer on
        credit hold owed: lift the hold when nothing overdue is left in that
        company (invoice.followup.credit.hold._release_paid)."""
        partials = super().create(vals_list)
        moves = (partials.debit_move_id | partials.credit_move_id).move_id.filtered(
            lambda m: m.move_type in FOLLOWUP_MOVE_TYPES
        )
        if moves:
            self.env["invoice.followup.credit.hold"]._release_paid(moves)
        return partials
