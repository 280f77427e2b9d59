# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class InvoiceFollowupReason(models.Model):
    """Why a customer pays late: the one list every answer (question, dispute,
    "already paid", "need more time", plan request) and every call outcome is
    classified with. Accountants may rename, add or archive reasons."""

    _name = "invoice.followup.reason"
    _description = "Late-payment Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    answer_count = fields.Integer("Answers", compute="_compute_answer_count")

    def _compute_answer_count(self):
        counts = dict(
            self.env["invoice.followup.answer"]._read_group(
                [("reason_id", "in", self.ids)], ["reason_id"], ["__count"]
            )
        )
        for reason in self:
            reason.answer_count = counts.get(reason, 0)

    def _followup_portal_reasons(self):
        """The reasons a customer chooses from, in the page's language."""
        return self.sudo().search([])

    def _followup_from_post(self, value):
        """The active reason whose id the portal posted, else an empty record."""
        try:
            reason_id = int(value or 0)
        except (TypeError, ValueError):
            return self.browse()
        return self.sudo().search([("id", "=", reason_id)], limit=1)
