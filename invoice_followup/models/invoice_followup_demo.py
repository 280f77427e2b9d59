# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the demo data needs that XML cannot say shortly: a year of paid
invoices per customer (real invoices paid with the Register Payment wizard, on
the day the customer's habit says), and a few answers with their reasons, so the
payment behaviour, the predictions and the cash-in forecast have a history."""

from datetime import timedelta

from odoo import Command, api, fields, models


class InvoiceFollowupDemo(models.AbstractModel):
    _name = "invoice.followup.demo"
    _description = "Follow-up Demo Data"

    @api.model
    def _create_paid_history(self, history, product_id):
        """``history``: {partner id: [(days ago issued, days paid after the due
        date, amount), ...]}; each invoice has a 30-day term."""
        today = fields.Date.context_today(self)
        term = self.env.ref("account.account_payment_term_30days")
        for partner_id, invoices in history.items():
            for days_ago, late, amount in invoices:
                issued = today - timedelta(days=days_ago)
                paid_on = min(issued + timedelta(days=30 + late), today)
                move = self.env["account.move"].create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": int(partner_id),
                        "invoice_date": issued,
                        "invoice_payment_term_id": term.id,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": product_id,
                                    "quantity": 1,
                                    "price_unit": amount,
                                }
                            )
                        ],
                    }
                )
                move.action_post()
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=move.ids
                ).create({"payment_date": paid_on})._create_payments()

    @api.model
    def _create_answers(self, answers):
        """``answers``: [(kind, invoice id, reason id, name), ...]."""
        Answer = self.env["invoice.followup.answer"]
        for kind, move_id, reason_id, name in answers:
            Answer._record(
                kind,
                self.env["account.move"].browse(move_id),
                self.env["invoice.followup.reason"].browse(reason_id),
                name=name,
            )
