# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _create_payment(self, **extra_create_values):
        """Odoo takes the early-payment discount of ONE invoice paid online at
        its discounted amount; a transaction on several invoices (the
        statement's "Pay all") takes each eligible invoice's discount the same
        way when its amount is what the statement asked."""
        write_offs = self._followup_early_discount_write_offs()
        if write_offs:
            extra_create_values["write_off_line_vals"] = [
                *extra_create_values.get("write_off_line_vals", []),
                *write_offs,
            ]
        return super()._create_payment(**extra_create_values)

    def _followup_early_discount_write_offs(self):
        """The early-payment discount lines (as the Register Payment wizard
        makes them for several invoices) when this transaction pays several
        posted invoices of its currency for exactly the sum of their amounts
        due, the eligible ones at their discounted amount; else []."""
        self.ensure_one()
        invoices = self.invoice_ids
        if (
            len(invoices) < 2
            or any(move.state != "posted" for move in invoices)
            or invoices.currency_id != self.currency_id
        ):
            return []
        epd_lines, open_balance, expected = [], 0.0, 0.0
        for invoice in invoices:
            values = invoice._get_invoice_next_payment_values()
            if values.get("installment_state") != "epd":
                expected += invoice.amount_residual
                continue
            line = values["epd_line"]
            epd_lines.append(
                {
                    "aml": line,
                    "amount_currency": -line.amount_residual_currency,
                    "balance": -line.balance,
                }
            )
            open_balance += values["epd_discount_amount"]
            expected += values["amount_due"]
        if not epd_lines or self.currency_id.compare_amounts(self.amount, expected):
            return []
        counterparts = self.env[
            "account.move"
        ]._get_invoice_counterpart_amls_for_early_payment_discount(
            epd_lines, open_balance
        )
        return [vals for vals_list in counterparts.values() for vals in vals_list]
