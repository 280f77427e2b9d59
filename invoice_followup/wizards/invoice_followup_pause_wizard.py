# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError

from ..models.account_move import PAUSE_REASONS


class InvoiceFollowupPauseWizard(models.TransientModel):
    """Pause the follow-up of customers' open invoices until a date."""

    _name = "invoice.followup.pause.wizard"
    _description = "Pause Follow-up"

    partner_ids = fields.Many2many("res.partner", string="Customers")
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        default=lambda self: self.env["account.move"]._followup_context_invoices(),
    )
    reason = fields.Selection(
        [r for r in PAUSE_REASONS if r[0] in ("manual", "dispute", "promise")],
        required=True,
        default="manual",
    )
    date_until = fields.Date(
        "Until",
        help="Follow-up resumes the day after. Empty: until someone resumes it.",
    )
    note = fields.Text()

    def action_apply(self):
        self.ensure_one()
        if self.date_until and self.date_until < fields.Date.context_today(self):
            raise UserError(self.env._("The pause must end today or later."))
        moves = self.move_ids or self.partner_ids._followup_open_invoices()
        if not moves:
            raise UserError(self.env._("There is no open invoice to pause."))
        moves.write(
            {
                "followup_pause_reason": self.reason,
                "followup_paused_until": self.date_until,
            }
        )
        reason = dict(self._fields["reason"]._description_selection(self.env))[
            self.reason
        ]
        body = self.env._(
            "Follow-up paused (%(reason)s) until %(date)s by %(user)s. %(note)s",
            reason=reason,
            date=self.date_until
            and fields.Date.to_string(self.date_until)
            or self.env._("further notice"),
            user=self.env.user.name,
            note=self.note or "",
        )
        moves._message_log_batch({move.id: body for move in moves})
        partners = moves.commercial_partner_id
        partners._message_log_batch({partner.id: body for partner in partners})
        return {"type": "ir.actions.act_window_close"}
