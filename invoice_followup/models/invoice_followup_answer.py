# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What a customer answered (portal or token link) or said on a call, with its
late-payment reason: one row per answer, for the reasons analysis (pivot and
graph by reason, customer, risk band, country, salesperson, month). The reason
is also kept on the step the answer followed, on the invoices it concerns and,
as the dominant one, on the customer."""

from odoo import api, fields, models

from .invoice_followup_risk_level import RISK_LEVELS

ANSWER_KINDS = [
    ("question", "Question"),
    ("dispute", "Dispute"),
    ("paid", "Says it is paid"),
    ("promise", "Needs more time (promise)"),
    ("plan_request", "Payment plan request"),
    ("call", "Call outcome"),
]


class InvoiceFollowupAnswer(models.Model):
    _name = "invoice.followup.answer"
    _description = "Follow-up Answer"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(ANSWER_KINDS, required=True, readonly=True)
    reason_id = fields.Many2one(
        "invoice.followup.reason",
        "Reason",
        index=True,
        ondelete="restrict",
        help="Why the customer pays late; an accountant may correct it.",
    )
    move_ids = fields.Many2many(
        "account.move",
        "invoice_followup_answer_move_rel",
        "answer_id",
        "move_id",
        string="Invoices",
        readonly=True,
    )
    step_id = fields.Many2one(
        "invoice.followup.log",
        "After Step",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The last follow-up step sent to the customer before this answer.",
    )
    amount = fields.Monetary(
        "Amount Due",
        readonly=True,
        help="What the invoices concerned owed when the customer answered, in "
        "company currency.",
    )
    promise_date = fields.Date(
        "Promised Date",
        readonly=True,
        help="The date the customer promised to pay by (portal promise or call).",
    )
    promise_amount = fields.Monetary(
        readonly=True,
        help="The amount promised, in company currency (all that was due when not "
        "said).",
    )
    resolved_date = fields.Datetime(
        "Resolved On",
        readonly=True,
        help="When an accountant marked the question or dispute resolved.",
    )
    answered_by = fields.Char(readonly=True)
    user_id = fields.Many2one(
        "res.users", "Recorded By", readonly=True, default=lambda self: self.env.user
    )
    note = fields.Text(readonly=True)
    risk_band = fields.Selection(
        RISK_LEVELS,
        "Risk When Answered",
        readonly=True,
        help="The customer's payment risk when it answered.",
    )
    country_id = fields.Many2one(
        related="partner_id.country_id", store=True, string="Country"
    )
    salesperson_id = fields.Many2one(
        related="partner_id.user_id", store=True, string="Salesperson"
    )

    def _latest_reason(self):
        """The reason of the latest of these answers that has one."""
        return (
            self.filtered("reason_id")
            .sorted(lambda a: (a.date, a.id), reverse=True)[:1]
            .reason_id
        )

    @api.model
    def _record(
        self,
        kind,
        moves,
        reason,
        name="",
        note="",
        partner=None,
        promise_date=None,
        promise_amount=None,
    ):
        """Record one answer of ``partner`` (else the invoices' customer) about
        ``moves`` with ``reason`` (a reason record, may be empty); a promise
        says its date and amount (default: all that is due)."""
        partner = (partner or moves.commercial_partner_id[:1]).commercial_partner_id
        company = moves.company_id[:1] or self.env.company
        step = (
            self.env["invoice.followup.log"]
            .sudo()
            .search(
                [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
                + ([("move_ids", "in", moves.ids)] if moves else []),
                order="date desc, id desc",
                limit=1,
            )
        )
        amount = sum(moves.mapped("amount_residual_signed"))
        return self.sudo().create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "kind": kind,
                "reason_id": reason.id,
                "move_ids": [fields.Command.set(moves.ids)],
                "step_id": step.id,
                "amount": amount,
                "promise_date": promise_date,
                "promise_amount": (promise_amount or amount) if promise_date else 0,
                "answered_by": name,
                "note": note,
                "risk_band": partner._followup_risk_level(company)[0],
            }
        )
