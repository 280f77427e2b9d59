# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError


class InvoiceFollowupCallWizard(models.TransientModel):
    """Record a phone call with a customer and its outcome."""

    _name = "invoice.followup.call.wizard"
    _description = "Log a Follow-up Call"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    outcome = fields.Selection(
        [
            ("promise", "Promised to pay"),
            ("dispute", "Disputes the invoice"),
            ("no_answer", "No answer"),
            ("callback", "Call back later"),
            ("paid", "Says it is paid"),
        ],
        required=True,
        default="no_answer",
    )
    promise_date = fields.Date("Promised Date")
    reason_id = fields.Many2one(
        "invoice.followup.reason",
        "Why Late",
        help="Why the customer pays late, as it said on the call.",
    )
    note = fields.Text()

    def action_apply(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.outcome == "promise" and (
            not self.promise_date or self.promise_date < today
        ):
            raise UserError(
                self.env._(
                    "Enter the date the customer promised to pay, today or later."
                )
            )
        if self.outcome in ("promise", "dispute") and not self.reason_id:
            raise UserError(
                self.env._("Choose why the customer pays late, as it said on the call.")
            )
        outcome = dict(self._fields["outcome"]._description_selection(self.env))[
            self.outcome
        ]
        body = Markup("<p>%s</p>") % self.env._(
            "Call logged by %(user)s: %(outcome)s. %(note)s",
            user=self.env.user.name,
            outcome=outcome,
            note=self.note or "",
        )
        partners = self.partner_ids.commercial_partner_id
        partners._message_log_batch({partner.id: body for partner in partners})
        if self.outcome != "no_answer":
            for partner in partners:
                self.env["invoice.followup.answer"]._record(
                    "call",
                    partner._followup_open_invoices(),
                    self.reason_id,
                    name=self.env.user.name,
                    note=f"{outcome}. {self.note or ''}".strip(),
                    partner=partner,
                    promise_date=self.promise_date
                    if self.outcome == "promise"
                    else None,
                )
        call_type = self.env.ref("mail.mail_activity_data_call")
        partners.activity_ids.filtered(
            lambda a: a.activity_type_id == call_type and a.user_id == self.env.user
        ).action_feedback(feedback=outcome)
        if self.outcome in ("promise", "dispute"):
            moves = partners._followup_open_invoices()
            moves.write(
                {
                    "followup_pause_reason": self.outcome,
                    "followup_paused_until": self.promise_date
                    if self.outcome == "promise"
                    else False,
                }
            )
            moves._message_log_batch({move.id: body for move in moves})
        return {"type": "ir.actions.act_window_close"}
