# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged

from .common import TODAY, FollowupHttpCommon, make_step, send_email

NBSP = "\N{NO-BREAK SPACE}"


def plain(html):
    """``html`` with its no-break spaces as plain spaces."""
    return str(html).replace("&nbsp;", " ").replace(NBSP, " ")


@tagged("post_install", "-at_install")
class TestFollowupEarlyDiscount(FollowupHttpCommon):
    """Odoo's early-payment discount (2% within 10 days) told to the customer
    in the reminders and the portal statement while it lasts, and taken by
    Odoo's own mechanism when the customer pays online within the date: on the
    invoice's page and with the statement's "Pay all"."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.term_epd = cls.env["account.payment.term"].create(
            {
                "name": "2% within 10 days, net 30",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100.0, "nb_days": 30}
                    )
                ],
            }
        )
        # due at once, 2% off within 10 days: overdue and still discounted
        cls.term_epd_now = cls.env["account.payment.term"].create(
            {
                "name": "2% within 10 days, due at once",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100.0, "nb_days": 0}
                    )
                ],
            }
        )
        cls._demo_provider()  # the invoice page shows its payment form
        cls.customer_b.lang = "en_US"
        cls.loss_account = (
            cls.company.account_journal_early_pay_discount_loss_account_id
        )

    def _mail_body(self, step):
        return (
            self.env["mail.mail"]
            .search([("mail_message_id", "=", step.mail_message_id.id)])
            .body_html
        )

    def _discount_lines(self, move):
        """The early-payment discount items that settled ``move``."""
        payments = move.line_ids.matched_credit_ids.credit_move_id.move_id
        return payments.line_ids.filtered(
            lambda line: line.account_id == self.loss_account
        )

    # ------------------------------------------------------------------ mails
    def test_pre_due_reminder_tells_the_discount_while_it_lasts(self):
        """Scenario: an invoice of 1,000.00 with 2% off within 10 days, dated
        2 March. On 4 March the friendly pre-due reminder says "Pay $ 980.00
        by March 12 instead of $ 1,000.00"; an Arabic-speaking customer reads
        it right to left with the month in Arabic and each amount kept left to
        right; on 13 March the same reminder says nothing of a discount."""
        invoice_date = TODAY - timedelta(days=2)
        move = self._invoice(
            self.customer_b,
            amount=1000.0,
            invoice_date=invoice_date,
            term=self.term_epd,
        )
        ar_move = self._invoice(
            self.customer, amount=1000.0, invoice_date=invoice_date, term=self.term_epd
        )
        self.customer.lang = "ar_001"
        with freeze_time(TODAY):
            step = make_step(
                self.env, self.customer_b, self.company, self.stage_friendly, move
            )
            send_email(step)
            ar_step = make_step(
                self.env, self.customer, self.company, self.stage_friendly, ar_move
            )
            send_email(ar_step)
        body = plain(self._mail_body(step))
        self.assertIn("Pay $ 980.00 by March 12 instead of $ 1,000.00", body)
        ar_body = str(self._mail_body(ar_step))
        self.assertIn('dir="rtl"', ar_body)
        self.assertIn("12 مارس", ar_body)
        self.assertIn(
            "\N{LEFT-TO-RIGHT ISOLATE}$\N{NO-BREAK SPACE}980.00"
            "\N{POP DIRECTIONAL ISOLATE}",
            ar_body.replace("&nbsp;", NBSP),
        )

        with freeze_time(TODAY + timedelta(days=9)):  # 13 March: too late
            late = make_step(
                self.env, self.customer_b, self.company, self.stage_friendly, move
            )
            send_email(late)
        late_body = plain(self._mail_body(late))
        self.assertIn(move.name, late_body)
        self.assertIn("$ 1,000.00", late_body)
        self.assertNotIn("980.00", late_body)
        self.assertNotIn("instead of", late_body)

    def test_pre_due_reminder_goes_before_the_discount_ends(self):
        """Scenario: the daily run, 4 March. An invoice of 25 February with 2 %
        off within 10 days (until 7 March), due 27 March: its friendly reminder
        (3 days before the due date) comes 3 days before the discount's end
        instead, today, and says "Pay $ 980.00 by March 7"; an invoice of the
        same day without a discount gets "did it arrive?" today and its
        friendly reminder on 24 March."""
        with freeze_time(TODAY):
            move = self._invoice(
                self.customer_b,
                amount=1000.0,
                invoice_date=TODAY - timedelta(days=7),
                term=self.term_epd,
            )
            plain_move = self._invoice(
                self.customer,
                amount=1000.0,
                invoice_date=TODAY - timedelta(days=7),
                term=self.term_30,
            )
            self.assertEqual(move.followup_date_due, TODAY + timedelta(days=23))
            self.env["invoice.followup.run"]._run_daily()
            step = self._logs(self.customer_b)
            self.assertEqual(step.stage_id, self.stage_friendly)
            self.assertIn(
                "Pay $ 980.00 by March 7 instead of $ 1,000.00",
                plain(self._mail_body(step)),
            )
            self.assertEqual(move.followup_stage_id, self.stage_friendly)
            # without a discount: only "did it arrive?" today, the friendly later
            self.assertEqual(plain_move.followup_stage_id, self.stage_receipt)
            self.assertEqual(plain_move.followup_next_stage_id, self.stage_friendly)
            self.assertEqual(plain_move.followup_next_date, TODAY + timedelta(days=20))

    # ------------------------------------------------------------------ portal
    def test_statement_and_invoice_page_inside_the_window(self):
        """Scenario: two days after the invoice date the customer opens its
        statement link: the invoice says the discounted amount and the date.
        Odoo's invoice page asks 980.00; paying 980.00 online there settles
        the 1,000.00 invoice in full, 20.00 written off as Odoo's early-payment
        discount."""
        today = fields.Date.today()
        move = self._invoice(
            amount=1000.0, invoice_date=today - timedelta(days=2), term=self.term_epd
        )
        statement = self.url_open(
            self.customer._followup_get_statement_url().replace(
                self.customer.get_base_url(), ""
            )
        )
        self.assertEqual(statement.status_code, 200)
        text = plain(statement.text)
        discount_date = today + timedelta(days=8)
        self.assertIn("o_followup_early_discount", text)
        self.assertIn(
            f"Pay $ 980.00 by {discount_date:%B} {discount_date.day} "
            "instead of $ 1,000.00",
            text,
        )
        token = move._portal_ensure_token()
        page = self.url_open(f"/my/invoices/{move.id}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn('data-amount="980.0"', page.text)

        self._pay_online(f"/invoice/transaction/{move.id}", token, 980.0)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertTrue(move.currency_id.is_zero(move.amount_residual))
        self.assertEqual(sum(self._discount_lines(move).mapped("debit")), 20.0)

    def test_past_the_date_full_amount_asked(self):
        """Scenario: fifteen days after the invoice date the discount is over:
        the statement says nothing of it, Odoo's invoice page asks the full
        1,000.00, and paying it settles the invoice without a discount."""
        today = fields.Date.today()
        move = self._invoice(
            amount=1000.0, invoice_date=today - timedelta(days=15), term=self.term_epd
        )
        statement = self.url_open(
            self.customer._followup_get_statement_url().replace(
                self.customer.get_base_url(), ""
            )
        )
        self.assertIn(move.name, statement.text)
        self.assertNotIn("o_followup_early_discount", statement.text)
        self.assertNotIn("instead of", statement.text)
        token = move._portal_ensure_token()
        page = self.url_open(f"/my/invoices/{move.id}?access_token={token}")
        self.assertIn('data-amount="1000.0"', page.text)
        self._pay_online(f"/invoice/transaction/{move.id}", token, 1000.0)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertFalse(self._discount_lines(move))

    def test_pay_all_takes_each_discount(self):
        """Scenario: the customer owes an invoice due at once with 2% off
        within 10 days (1,000.00, three days old) and an ordinary overdue
        invoice (500.00). "Pay all overdue invoices" asks 1,480.00 and says the
        discount; whatever the browser sends, the transaction is for 1,480.00,
        and once processed both invoices are paid in full, the first with its
        20.00 discount written off."""
        today = fields.Date.today()
        discounted = self._invoice(
            amount=1000.0,
            invoice_date=today - timedelta(days=3),
            term=self.term_epd_now,
        )
        ordinary = self._invoice(
            amount=500.0, invoice_date=today - timedelta(days=40), term=self.term_30
        )
        token = self.customer._followup_get_access_token()
        page = self.url_open(
            f"/my/followup/pay?pid={self.customer.id}&access_token={token}"
        )
        self.assertEqual(page.status_code, 200)
        text = plain(page.text)
        self.assertIn('data-amount="1480.0"', text)
        self.assertIn("1,480.00", text)
        self.assertIn("Pay $ 980.00 by", text)

        tx = self._pay_online(
            f"/my/followup/pay/transaction/{self.customer.id}/{self.company.currency_id.id}",
            token,
            1.0,
        )
        self.assertEqual(tx.amount, 1480.0)
        self.assertEqual(tx.invoice_ids, discounted | ordinary)
        for move in discounted | ordinary:
            self.assertIn(move.payment_state, ("paid", "in_payment"))
            self.assertTrue(move.currency_id.is_zero(move.amount_residual))
        self.assertEqual(sum(self._discount_lines(discounted).mapped("debit")), 20.0)
